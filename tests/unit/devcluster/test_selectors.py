"""Label and field selector parsing and matching."""

from __future__ import annotations

import pytest

from devcluster.errors import ApiError
from devcluster.selectors import parse_field_selector, parse_label_selector

LABELS = {"app": "web", "tier": "front", "env": "prod"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", True),
        ("app==web", True),
        ("app!=web", False),
        ("app=api", False),
        ("missing!=x", True),
        ("tier in (front, back)", True),
        ("tier notin (front)", False),
        ("tier notin (back)", True),
        ("env", True),
        ("!env", False),
        ("!missing", True),
        ("app=web,tier in (front),!missing", True),
        ("app=web,env=dev", False),
        ("", True),
    ],
)
def test_label_selector_matches_like_the_api_server(selector: str, expected: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is expected


@pytest.mark.parametrize(
    "selector", ["tier in front", "a=b=c", "in (x)", "Bad Key=1", "!tier in (a)"]
)
def test_unparseable_label_selector_is_bad_request(selector: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_label_selector(selector)
    assert raised.value.code == 400


def test_missing_labels_match_only_negative_requirements() -> None:
    assert parse_label_selector("!app").matches(None) is True
    assert parse_label_selector("app").matches(None) is False


def test_field_selector_matches_nested_fields_and_aliases() -> None:
    event = {
        "metadata": {"name": "e", "namespace": "ns"},
        "involvedObject": {"kind": "Canary", "name": "podinfo"},
    }
    selector = parse_field_selector(
        "regarding.kind=Canary,involvedObject.name==podinfo,metadata.namespace!=other",
        supported=("involvedObject.kind", "involvedObject.name"),
        aliases={"regarding.kind": "involvedObject.kind"},
    )
    assert selector.matches(event) is True
    assert selector.value_of("involvedObject.kind") == "Canary"


def test_unsupported_field_is_bad_request_with_real_message() -> None:
    with pytest.raises(ApiError) as raised:
        parse_field_selector("spec.suspend=true", supported=(), aliases={})
    assert raised.value.message == "field label not supported: spec.suspend"
