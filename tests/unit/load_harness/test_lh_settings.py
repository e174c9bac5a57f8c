"""Settings: validated at start, with messages that name the variable and never its value."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from load_harness.config import Settings, describe_errors


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from an environment without any harness variable."""
    for name in list(os.environ):
        if name.startswith("LOAD_HARNESS_") or name in {"APP_VERSION", "POD_NAME", "POD_NAMESPACE"}:
            monkeypatch.delenv(name)


def errors_of(**environment: str) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        with pytest.raises(ValidationError) as caught:
            Settings()
    return describe_errors(error=caught.value)


def test_missing_api_key_is_refused_with_the_way_out() -> None:
    assert errors_of() == [
        "LOAD_HARNESS_API_KEY is not set: set it (16+ characters), or set "
        "LOAD_HARNESS_AUTH=disabled to run without authentication on purpose"
    ]


def test_auth_disabled_explicitly_starts_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAD_HARNESS_AUTH", "disabled")
    settings = Settings()
    assert (settings.auth, settings.api_key) == ("disabled", None)


def test_unknown_auth_mode_is_refused() -> None:
    assert errors_of(LOAD_HARNESS_AUTH="off") == [
        "LOAD_HARNESS_AUTH: Input should be 'required' or 'disabled'"
    ]


def test_short_api_key_is_refused_without_echoing_it() -> None:
    errors = errors_of(LOAD_HARNESS_API_KEY="hunter2-short")
    assert errors == ["LOAD_HARNESS_API_KEY: must be at least 16 characters long"]
    assert "hunter2" not in "".join(errors)


def test_api_key_is_hidden_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAD_HARNESS_API_KEY", "a-long-enough-secret-key")
    settings = Settings()
    assert "a-long-enough-secret-key" not in repr(settings)
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "a-long-enough-secret-key"


def test_every_out_of_range_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAD_HARNESS_AUTH", "disabled")
    errors = errors_of(
        LOAD_HARNESS_MEMORY_SHARE="0.95",
        LOAD_HARNESS_MAX_JOBS="0",
        LOAD_HARNESS_CHAOS_ERROR_RATE="1.5",
        LOAD_HARNESS_CHAOS_LATENCY_MS="-1",
    )
    assert errors == [
        "LOAD_HARNESS_MEMORY_SHARE: Input should be less than or equal to 0.9",
        "LOAD_HARNESS_MAX_JOBS: Input should be greater than or equal to 1",
        "LOAD_HARNESS_CHAOS_ERROR_RATE: Input should be less than or equal to 1",
        "LOAD_HARNESS_CHAOS_LATENCY_MS: Input should be greater than or equal to 0",
    ]


def test_downward_api_variables_are_read_without_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAD_HARNESS_AUTH", "disabled")
    monkeypatch.setenv("APP_VERSION", "1.7.0")
    monkeypatch.setenv("POD_NAME", "load-harness-primary-5c7")
    monkeypatch.setenv("POD_NAMESPACE", "staging")
    settings = Settings()
    assert (settings.app_version, settings.pod_name, settings.pod_namespace) == (
        "1.7.0",
        "load-harness-primary-5c7",
        "staging",
    )


def test_chaos_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAD_HARNESS_AUTH", "disabled")
    monkeypatch.setenv("LOAD_HARNESS_CHAOS_ERROR_RATE", "0.25")
    monkeypatch.setenv("LOAD_HARNESS_CHAOS_LATENCY_MS", "300")
    monkeypatch.setenv("LOAD_HARNESS_CHAOS_JITTER_MS", "50")
    monkeypatch.setenv("LOAD_HARNESS_CHAOS_SEED", "42")
    settings = Settings()
    assert (
        settings.chaos_error_rate,
        settings.chaos_latency_ms,
        settings.chaos_jitter_ms,
        settings.chaos_seed,
    ) == (0.25, 300, 50, 42)
