"""One error policy: JSON for the API, a toast for htmx, a page for browsers; never internals."""

import sqlite3

import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from portal.errors import Conflict
from tests.support.apps import RunningApp


def add_failing_routes(app: FastAPI) -> None:
    async def conflict() -> None:
        raise Conflict("canary shop/web is not progressing")

    async def crash() -> None:
        raise RuntimeError("secret internal detail")

    async def typed(count: int) -> dict[str, int]:
        return {"count": count}

    async def locked() -> None:
        cause = sqlite3.OperationalError("database is locked")
        raise OperationalError("INSERT INTO canary_actions ...", {}, cause)

    app.add_api_route("/api/v1/test-locked", locked)
    app.add_api_route("/api/v1/test-conflict", conflict)
    app.add_api_route("/test-conflict", conflict)
    app.add_api_route("/api/v1/test-crash", crash)
    app.add_api_route("/api/v1/test-typed", typed)


@pytest.fixture
def failing(portal: RunningApp) -> RunningApp:
    add_failing_routes(portal.app)
    return portal


async def test_api_errors_are_json_detail(failing: RunningApp) -> None:
    response = await failing.client.get("/api/v1/test-conflict")
    assert response.status_code == 409
    assert response.json() == {"detail": "canary shop/web is not progressing"}


async def test_unknown_api_path_is_json_404(failing: RunningApp) -> None:
    response = await failing.client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_validation_errors_are_422_with_the_field(failing: RunningApp) -> None:
    response = await failing.client.get("/api/v1/test-typed", params={"count": "many"})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", "count"]
    assert problem["type"] == "int_parsing"


async def test_unexpected_errors_are_500_without_internals(failing: RunningApp) -> None:
    response = await failing.client.get("/api/v1/test-crash")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; see the portal log"}
    assert "secret internal detail" not in response.text
    assert len(response.headers["x-request-id"]) == 32


async def test_a_database_locked_or_unreachable_is_503_with_retry_after(
    failing: RunningApp,
) -> None:
    response = await failing.client.get("/api/v1/test-locked")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "detail": "database locked by another writer: the portal's database is busy or "
        "unreachable; nothing more was changed, retry shortly"
    }
    assert "INSERT" not in response.text


async def test_htmx_requests_get_a_toast_retargeted_to_the_toast_area(failing: RunningApp) -> None:
    response = await failing.client.get("/test-conflict", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert response.headers["hx-retarget"] == "#toasts"
    assert response.headers["hx-reswap"] == "beforeend"
    assert '<div class="toast toast-error" role="alert">' in response.text
    assert "canary shop/web is not progressing" in response.text
    assert "<html" not in response.text


async def test_browsers_get_an_error_page(failing: RunningApp) -> None:
    response = await failing.client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>404 · Not Found</h1>" in response.text
