import ipaddress

import pytest

from portal.config import Settings, SettingsError, load_settings


def test_local_mode_is_refused_unless_the_portal_binds_to_loopback() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(auth_mode="local", host="0.0.0.0")
    assert str(caught.value) == (
        "invalid portal settings:\n  PORTAL_AUTH_MODE: Value error, local mode needs PORTAL_HOST "
        "to be a loopback address (got PORTAL_HOST='0.0.0.0'); use PORTAL_AUTH_MODE=proxy behind "
        "oauth2-proxy (got 'local')"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_local_mode_is_accepted_on_loopback(host: str) -> None:
    assert load_settings(auth_mode="local", host=host).auth_mode == "local"


def test_proxy_mode_needs_trusted_proxies() -> None:
    with pytest.raises(
        SettingsError,
        match="PORTAL_AUTH_MODE: Value error, proxy mode needs PORTAL_TRUSTED_PROXIES",
    ):
        load_settings(auth_mode="proxy")


def test_security_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_AUTH_MODE", "proxy")
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")
    monkeypatch.setenv("PORTAL_ROLE_GROUPS", '{"admin":["platform-admins"],"viewer":["eng"]}')
    monkeypatch.setenv("PORTAL_READ_ONLY", "true")
    settings = load_settings()
    assert settings.trusted_proxies == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    ]
    assert settings.role_groups == {"admin": ["platform-admins"], "viewer": ["eng"]}
    assert settings.read_only is True
    assert settings.anonymous_role is None


def test_unknown_roles_and_bad_rate_limits_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(role_groups={"owner": ["x"]}, rate_limit_actions="lots")
    message = str(caught.value)
    assert (
        "PORTAL_ROLE_GROUPS_OWNER_[KEY]: Input should be 'viewer', 'operator' or 'admin' "
        "(got 'owner')" in message
    )
    assert (
        "PORTAL_RATE_LIMIT_ACTIONS: Value error, couldn't parse rate limit string 'lots'" in message
    )


def test_the_default_mode_admits_no_browser() -> None:
    settings = load_settings()
    assert settings.auth_mode == "token"
    assert settings.anonymous_role is None


SECRET_SETTINGS = [
    name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation)
]


def test_every_secret_setting_is_known_here() -> None:
    assert SECRET_SETTINGS == [
        "flagger_webhook_token",
        "github_webhook_secret",
        "notify_secret_key",
    ]


@pytest.mark.parametrize("name", SECRET_SETTINGS)
@pytest.mark.parametrize("value", ["", "x", "y" * 31])
def test_empty_and_short_secrets_are_refused_at_start(name: str, value: str) -> None:
    """Attack: an empty PORTAL_FLAGGER_WEBHOOK_TOKEN accepted every caller."""
    with pytest.raises(SettingsError) as caught:
        load_settings(**{name: value})
    assert (
        f"PORTAL_{name.upper()}: Value error, must be at least 32 characters (got {len(value)})"
        in str(caught.value)
    )


@pytest.mark.parametrize("name", SECRET_SETTINGS)
def test_a_32_character_secret_is_accepted(name: str) -> None:
    settings = load_settings(**{name: "z" * 32})
    assert getattr(settings, name).get_secret_value() == "z" * 32
