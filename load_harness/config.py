"""Settings for the load harness, read once from the environment and validated at start.

Everything is prefixed `LOAD_HARNESS_` except the three values Kubernetes injects through the
downward API (`APP_VERSION`, `POD_NAME`, `POD_NAMESPACE`). The API key is a `SecretStr` so it is
never printed by a repr, a log line or a validation error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "LOAD_HARNESS_"
MIN_KEY_LENGTH = 16


class Settings(BaseSettings):
    """Validated, frozen configuration of one load-harness process."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", populate_by_name=True
    )

    auth: Literal["required", "disabled"] = "required"
    api_key: SecretStr | None = None
    app_version: str = Field(default="unknown", validation_alias=AliasChoices("APP_VERSION"))
    pod_name: str = Field(default="unknown", validation_alias=AliasChoices("POD_NAME"))
    pod_namespace: str = Field(default="unknown", validation_alias=AliasChoices("POD_NAMESPACE"))
    cgroup_root: Path = Path("/sys/fs/cgroup")
    memory_share: float = Field(default=0.5, gt=0.0, le=0.9)
    max_jobs: int = Field(default=4, ge=1, le=64)
    max_work_iterations: int = Field(default=200_000, ge=1, le=10_000_000)
    worker_nice: int = Field(default=10, ge=0, le=19)
    chaos_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    chaos_latency_ms: int = Field(default=0, ge=0, le=60_000)
    chaos_jitter_ms: int = Field(default=0, ge=0, le=60_000)
    chaos_seed: int | None = None

    @field_validator("api_key")
    @classmethod
    def _key_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_KEY_LENGTH} characters long")
        return value

    @model_validator(mode="after")
    def _require_key_unless_disabled(self) -> Self:
        if self.auth == "required" and self.api_key is None:
            raise ValueError(
                f"{ENV_PREFIX}API_KEY is not set: set it ({MIN_KEY_LENGTH}+ characters), or set "
                f"{ENV_PREFIX}AUTH=disabled to run without authentication on purpose"
            )
        return self


def describe_errors(*, error: ValidationError) -> list[str]:
    """One line per invalid setting, naming the environment variable, never echoing its value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{env_name(field=field)}: {message}" if field else message)
    return lines


def env_name(*, field: str) -> str:
    """The environment variable that sets `field`."""
    if field in {"APP_VERSION", "POD_NAME", "POD_NAMESPACE"}:
        return field
    return f"{ENV_PREFIX}{field.upper()}"
