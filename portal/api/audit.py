"""The audit log over JSON: filtered, newest first, at most 500 events per answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from portal.deps import SessionDep
from portal.models.audit import AuditEventPublic
from portal.security.access import ViewerUser
from portal.services.audit import AuditQuery, list_audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=list[AuditEventPublic])
async def get_audit(
    query: Annotated[AuditQuery, Query()], session: SessionDep, _viewer: ViewerUser
) -> list[AuditEventPublic]:
    """Audit events matching every given filter (exact match; `since`/`until` inclusive)."""
    return await list_audit(session, query=query)
