from pathlib import Path

import pytest

from portal.config import Settings, SettingsError, load_settings


def test_defaults_use_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/portal.db"
    assert settings.port == 8000
    assert settings.kube_contexts == []


def test_kube_contexts_are_read_as_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_KUBE_CONTEXTS", "prod-eu, prod-us,,staging")
    assert load_settings().kube_contexts == ["prod-eu", "prod-us", "staging"]


def test_bad_values_name_the_variable_and_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_PORT", "eighty")
    monkeypatch.setenv("PORTAL_DATABASE_URL", "mysql://db/portal")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "PORTAL_PORT: Input should be a valid integer" in message
    assert "(got 'eighty')" in message
    assert "PORTAL_DATABASE_URL: Value error, must start with sqlite+aiosqlite://" in message


def test_missing_kubeconfig_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        SettingsError, match=r"PORTAL_KUBECONFIG: Value error, file .* does not exist"
    ):
        load_settings(kubeconfig=tmp_path / "absent")


def test_settings_cannot_change_after_they_are_read() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 9000  # type: ignore[misc]


def test_leader_renew_deadline_must_fall_between_the_retry_and_the_lease() -> None:
    with pytest.raises(SettingsError) as longer:
        load_settings(leader_lease_seconds=10, leader_renew_deadline_seconds=10)
    with pytest.raises(SettingsError) as shorter:
        load_settings(leader_retry_seconds=5, leader_renew_deadline_seconds=6)
    assert str(longer.value) == (
        "invalid portal settings:\n  PORTAL_LEADER_RENEW_DEADLINE_SECONDS: Value error, must be "
        "shorter than PORTAL_LEADER_LEASE_SECONDS (10) (got 10)"
    )
    assert str(shorter.value) == (
        "invalid portal settings:\n  PORTAL_LEADER_RENEW_DEADLINE_SECONDS: Value error, must be "
        "longer than 1.2 x PORTAL_LEADER_RETRY_SECONDS (5) (got 6)"
    )
    assert load_settings().leader_lease_seconds == 10
