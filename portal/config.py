"""Portal settings: read once from PORTAL_* environment variables, validated, then frozen.

Nothing here runs at import time; the composition root (`create_app`, the CLI) calls
`load_settings()` and passes the result down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogFormat = Literal["json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """The environment holds a setting the portal cannot start with."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def default_crds_dir() -> Path | None:
    """`../shared/crds` beside the repository, when it exists."""
    candidate = REPO_ROOT.parent / "shared" / "crds"
    return candidate if candidate.is_dir() else None


class Settings(BaseSettings):
    """Every setting of the portal; each maps to the variable `PORTAL_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", frozen=True, extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/portal.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    database_echo: bool = Field(default=False, description="Log every SQL statement.")
    host: str = Field(default="127.0.0.1", description="Address `portal serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `portal serve` binds to.")
    log_level: LogLevel = Field(default="info", description="Lowest log level written.")
    log_format: LogFormat = Field(
        default="json", description="json for machines, console for people."
    )
    kubeconfig: Path | None = Field(
        default=None, description="Kubeconfig file; unset means in-cluster ServiceAccount config."
    )
    kube_contexts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated kubeconfig contexts to watch, each a named cluster "
        "(default: the current context).",
    )
    crds_dir: Path | None = Field(
        default_factory=default_crds_dir,
        description="Directory of the Flagger and Flux CRD YAML files (default ../shared/crds).",
    )
    static_dir: Path = Field(
        default=REPO_ROOT / "static", description="Static assets served at /static."
    )
    templates_dir: Path = Field(default=REPO_ROOT / "templates", description="Jinja2 templates.")

    @field_validator("kube_contexts", mode="before")
    @classmethod
    def _contexts_from_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                "(the portal only uses async drivers)"
            )
        return value

    @field_validator("kubeconfig")
    @classmethod
    def _kubeconfig_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {value} does not exist")
        return value


def describe_validation_error(error: ValidationError) -> str:
    """One line per bad setting, naming the environment variable and the problem."""
    lines = []
    for item in error.errors():
        name = "PORTAL_" + "_".join(str(part) for part in item["loc"]).upper()
        given = item.get("input")
        shown = "" if isinstance(given, dict) else f" (got {given!r})"
        lines.append(f"{name}: {item['msg']}{shown}")
    return "invalid portal settings:\n  " + "\n  ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; raise SettingsError with a readable message when it is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from error
