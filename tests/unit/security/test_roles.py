import pytest

from portal.security.roles import Identity, Role, anonymous, role_for_groups

MAPPING = {
    "admin": ["platform-admins"],
    "operator": ["oncall"],
    "viewer": ["eng"],
}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        (["eng"], Role.viewer),
        (["eng", "oncall"], Role.operator),
        (["oncall", "platform-admins", "eng"], Role.admin),
        (["sales"], None),
        ([], None),
    ],
)
def test_the_highest_role_of_any_group_wins(groups: list[str], expected: Role | None) -> None:
    assert role_for_groups(groups, MAPPING.items()) == expected


def test_roles_are_ordered() -> None:
    assert Role.admin.allows(Role.operator)
    assert Role.operator.allows(Role.viewer)
    assert not Role.viewer.allows(Role.operator)
    assert not Role.operator.allows(Role.admin)


def test_an_identity_without_a_role_may_do_nothing() -> None:
    nobody = Identity(name="mallory", role=None, auth_method="proxy")
    assert nobody.authenticated
    assert not nobody.may(Role.viewer)


def test_anonymous_is_not_authenticated_and_holds_the_configured_role() -> None:
    assert anonymous(None) == Identity(name="anonymous", role=None, auth_method="anonymous")
    assert anonymous("viewer").may(Role.viewer)
    assert not anonymous("viewer").authenticated
