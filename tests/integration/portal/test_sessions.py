"""The request session commits when the handler succeeds and leaves nothing when it fails."""

import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from portal.deps import SessionDep
from portal.errors import Conflict
from portal.models import AuditEvent
from tests.support.apps import RunningApp, csrf_headers


def add_writing_routes(app: FastAPI) -> None:
    async def write(session: SessionDep, fail: bool = False) -> dict[str, str]:
        session.add(AuditEvent(actor="alice", role="operator", action="pause", outcome="applied"))
        await session.flush()
        if fail:
            raise Conflict("refused after writing")
        return {"status": "written"}

    async def count(session: SessionDep) -> dict[str, int]:
        total = (await session.exec(select(func.count()).select_from(AuditEvent))).one()
        return {"rows": total}

    app.add_api_route("/api/v1/test-write", write, methods=["POST"])
    app.add_api_route("/api/v1/test-count", count)


@pytest.fixture
def writing(portal: RunningApp) -> RunningApp:
    add_writing_routes(portal.app)
    return portal


async def test_a_successful_request_commits(writing: RunningApp) -> None:
    headers = await csrf_headers(writing.client)
    assert (await writing.client.post("/api/v1/test-write", headers=headers)).status_code == 200
    assert (await writing.client.get("/api/v1/test-count")).json() == {"rows": 1}


async def test_a_failed_request_leaves_no_half_written_row(writing: RunningApp) -> None:
    headers = await csrf_headers(writing.client)
    response = await writing.client.post(
        "/api/v1/test-write", params={"fail": "true"}, headers=headers
    )
    assert response.status_code == 409
    assert (await writing.client.get("/api/v1/test-count")).json() == {"rows": 0}
