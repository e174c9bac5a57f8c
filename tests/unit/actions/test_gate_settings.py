"""PORTAL_GATE_DEFAULTS and PORTAL_KUBE_WRITE_TIMEOUT_SECONDS are read and checked at start."""

from __future__ import annotations

import pytest

from portal.config import SettingsError, load_settings


def test_gate_defaults_come_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_GATE_DEFAULTS", '{"confirm-promotion": "closed"}')
    monkeypatch.setenv("PORTAL_KUBE_WRITE_TIMEOUT_SECONDS", "2.5")
    settings = load_settings()
    assert settings.gate_defaults == {"confirm-promotion": "closed"}
    assert settings.kube_write_timeout_seconds == 2.5


def test_unknown_gates_and_policies_stop_the_portal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_GATE_DEFAULTS", '{"confirm-everything": "maybe"}')
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "PORTAL_GATE_DEFAULTS" in str(raised.value)


def test_defaults_leave_every_gate_to_its_built_in_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_GATE_DEFAULTS", raising=False)
    monkeypatch.delenv("PORTAL_KUBE_WRITE_TIMEOUT_SECONDS", raising=False)
    settings = load_settings()
    assert (settings.gate_defaults, settings.kube_write_timeout_seconds) == ({}, 10.0)
