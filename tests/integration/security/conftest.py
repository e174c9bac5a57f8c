"""Fixtures for the security tests: settings with overrides on this test's own database."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from portal.config import Settings

MakeSettings = Callable[..., Settings]


@pytest.fixture
def make_settings(database_url: str) -> MakeSettings:
    def make(**overrides: object) -> Settings:
        return Settings(database_url=database_url, log_format="console", **overrides)  # type: ignore[arg-type]

    return make
