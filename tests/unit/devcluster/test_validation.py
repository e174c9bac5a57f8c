"""Custom resources validated against the real Flagger CRD schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devcluster.crds import crd_types, default_crds_dir, load_crd_types
from devcluster.errors import ApiError
from devcluster.resources import ResourceType
from devcluster.validation import SchemaValidator

CRDS = default_crds_dir()
pytestmark = pytest.mark.skipif(CRDS is None, reason="no CRD directory")


@pytest.fixture(scope="module")
def canaries() -> ResourceType:
    assert CRDS is not None
    return next(t for t in load_crd_types(Path(CRDS)) if t.plural == "canaries")


def _canary(**analysis: Any) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "podinfo"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
            "analysis": {"interval": "1m", "threshold": 5, "stepWeight": 10, **analysis},
        },
    }


def _causes(rtype: ResourceType, obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(ApiError) as raised:
        SchemaValidator().validate(rtype, obj)
    assert raised.value.code == 422
    return [(c.field, c.reason, c.message) for c in raised.value.causes]


def test_valid_canary_passes(canaries: ResourceType) -> None:
    SchemaValidator().validate(canaries, _canary())


def test_pattern_violation_names_field_and_pattern(canaries: ResourceType) -> None:
    assert _causes(canaries, _canary(interval="1h")) == [
        (
            "spec.analysis.interval",
            "FieldValueInvalid",
            "Invalid value: \"1h\": spec.analysis.interval in body should match '^[0-9]+(m|s)'",
        )
    ]


def test_wrong_type_is_type_invalid(canaries: ResourceType) -> None:
    assert _causes(canaries, _canary(threshold="five")) == [
        (
            "spec.analysis.threshold",
            "FieldValueTypeInvalid",
            'Invalid value: "string": spec.analysis.threshold in body must be of type number: '
            '"string"',
        )
    ]


def test_missing_required_field_is_required_value(canaries: ResourceType) -> None:
    obj = _canary()
    del obj["spec"]["targetRef"]
    assert _causes(canaries, obj) == [("spec.targetRef", "FieldValueRequired", "Required value")]


def test_enum_violation_lists_supported_values(canaries: ResourceType) -> None:
    obj = _canary()
    obj["spec"]["targetRef"]["kind"] = "StatefulSet"
    [(field, reason, message)] = _causes(canaries, obj)
    assert (field, reason) == ("spec.targetRef.kind", "FieldValueNotSupported")
    assert message.startswith(
        'Unsupported value: "StatefulSet": supported values: "DaemonSet", "Deployment"'
    )


def test_invalid_message_lists_several_causes_in_brackets(canaries: ResourceType) -> None:
    with pytest.raises(ApiError) as raised:
        SchemaValidator().validate(canaries, _canary(interval="x", threshold="y"))
    assert raised.value.message.startswith(
        'Canary.flagger.app "podinfo" is invalid: [spec.analysis.interval: '
    )


def test_prune_drops_unknown_fields_and_nulls_unless_strict(canaries: ResourceType) -> None:
    obj = _canary()
    obj["spec"]["bogus"] = 1
    obj["spec"]["suspend"] = None
    pruned = SchemaValidator().prepare(canaries, obj, strict=False)
    assert pruned.unknown == ["spec.bogus"]
    assert "bogus" not in pruned.obj["spec"]
    assert "suspend" not in pruned.obj["spec"]
    with pytest.raises(ApiError) as raised:
        SchemaValidator().prepare(canaries, obj, strict=True)
    assert raised.value.message == (
        'Canary in version "v1beta1" cannot be handled as a Canary: strict decoding error: '
        'unknown field "spec.bogus"'
    )


def test_object_name_must_be_a_dns_subdomain(canaries: ResourceType) -> None:
    obj = _canary()
    obj["metadata"]["name"] = "Not_Valid"
    [(field, reason, _)] = _causes(canaries, obj)
    assert (field, reason) == ("metadata.name", "FieldValueInvalid")


def test_schema_defaults_fill_missing_fields_of_existing_maps() -> None:
    assert CRDS is not None
    kustomizations = next(t for t in load_crd_types(Path(CRDS)) if t.plural == "kustomizations")
    obj: dict[str, Any] = {"metadata": {"name": "apps"}, "spec": {"interval": "10m", "prune": True}}
    SchemaValidator().default(kustomizations, obj)
    assert obj["spec"]["force"] is False
    assert obj["status"] == {"observedGeneration": -1}
    assert "sourceRef" not in obj["spec"]


def test_missing_crd_directory_serves_flagger_and_flux_kinds_unvalidated(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    missing = tmp_path / "no-crds-here"
    with caplog.at_level("WARNING", logger="devcluster.crds"):
        first = crd_types(missing)
        crd_types(missing)
    assert {t.plural for t in first} == {
        "canaries",
        "metrictemplates",
        "alertproviders",
        "kustomizations",
        "helmreleases",
    }
    assert all(t.schema is None for t in first)
    assert [r.getMessage() for r in caplog.records] == [
        f"no CRD directory found ({missing}): serving custom kinds without validation"
    ]
