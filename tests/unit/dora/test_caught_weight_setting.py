"""PORTAL_DORA_CAUGHT_MAX_WEIGHT: a percentage of routed traffic, 1..100, default 50."""

from __future__ import annotations

import pytest

from portal.config import SettingsError, load_settings


def test_the_default_is_flaggers_documented_max_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_DORA_CAUGHT_MAX_WEIGHT", raising=False)
    assert load_settings().dora_caught_max_weight == 50


@pytest.mark.parametrize("value", ["1", "100"])
def test_the_bounds_are_accepted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PORTAL_DORA_CAUGHT_MAX_WEIGHT", value)
    assert load_settings().dora_caught_max_weight == int(value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0", "Input should be greater than or equal to 1"),
        ("101", "Input should be less than or equal to 100"),
        ("half", "Input should be a valid integer"),
    ],
)
def test_outside_1_to_100_is_refused_with_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("PORTAL_DORA_CAUGHT_MAX_WEIGHT", value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert f"PORTAL_DORA_CAUGHT_MAX_WEIGHT: {problem}" in str(caught.value)
