"""Fixtures for the security tests: settings with overrides on this test's own database, and
a direct look at the audit rows (through the service, not HTTP)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from portal.config import Settings
from portal.models.audit import AuditEventPublic
from portal.services.audit import AuditQuery, list_audit
from tests.support.apps import RunningApp

MakeSettings = Callable[..., Settings]


@pytest.fixture
def make_settings(database_url: str) -> MakeSettings:
    def make(**overrides: object) -> Settings:
        return Settings(database_url=database_url, log_format="console", **overrides)  # type: ignore[arg-type]

    return make


async def audit_rows(running: RunningApp, **filters: object) -> list[AuditEventPublic]:
    async with running.app.state.portal.sessionmaker() as session:
        return await list_audit(session, query=AuditQuery.model_validate(filters))
