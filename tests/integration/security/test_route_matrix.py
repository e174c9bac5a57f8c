"""Every route of the real app, called as anonymous, viewer, operator and admin.

The routes are read from the app itself, so a route added without an access decision fails
here, and so does a write that a viewer or an anonymous caller could make.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from portal.security.access import Access, route_entries, unclassified_routes
from portal.security.roles import Role
from tests.support.apps import RunningApp, running_app, signed_in

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
READ_PAGES = {"/", "/canaries", "/hpas", "/dora", "/costs", "/audit"}
ROLES = [Role.viewer, Role.operator, Role.admin]


def concrete_path(path: str) -> str:
    """The path with every parameter filled in: a number that fits str and int parameters
    and names nothing that exists, so allowed calls change nothing."""
    return re.sub(r"{[^}]+}", "999999", path)


def api_routes(app: FastAPI) -> list[tuple[str, str, Access | None]]:
    return [
        (method, entry.path, entry.access)
        for entry in route_entries(app.routes)
        for method in sorted(entry.methods)
    ]


async def call(client: httpx.AsyncClient, method: str, path: str) -> int:
    body = {} if method in UNSAFE else None
    return (await client.request(method, path, json=body)).status_code


async def test_no_route_is_left_without_an_access_decision(portal: RunningApp) -> None:
    assert unclassified_routes(portal.app.routes) == []


async def test_a_route_added_without_a_decision_is_reported(portal: RunningApp) -> None:
    async def undecided() -> dict[str, str]:
        return {}

    portal.app.add_api_route("/api/v1/undecided", undecided)
    assert unclassified_routes(portal.app.routes) == ["/api/v1/undecided"]


async def test_every_write_needs_operator_or_admin_and_every_read_a_role(
    portal: RunningApp,
) -> None:
    routes = api_routes(portal.app)
    assert {path for _, path, _ in routes} >= READ_PAGES
    for method, path, access in routes:
        assert access is not None, f"{method} {path} has no access decision"
        if access.public:
            assert not path.startswith(("/api/", "/admin")), f"{method} {path} is public"
            assert path not in READ_PAGES, f"{method} {path} is readable by anyone"
        elif method in UNSAFE:
            assert access.role in (Role.operator, Role.admin), f"{method} {path}: {access}"


async def test_each_role_gets_exactly_the_routes_it_is_allowed(portal: RunningApp) -> None:
    checked = 0
    async with (
        signed_in(portal, Role.viewer) as viewer,
        signed_in(portal, Role.operator) as operator,
        signed_in(portal, Role.admin) as admin,
    ):
        clients = {Role.viewer: viewer, Role.operator: operator, Role.admin: admin}
        for method, path, access in api_routes(portal.app):
            if access is None or access.role is None:
                continue
            target = concrete_path(path)
            anonymous = await call(portal.client, method, target)
            assert anonymous in (401, 403), f"anonymous {method} {path} -> {anonymous}"
            if method not in UNSAFE:
                assert anonymous == 401, f"anonymous {method} {path} -> {anonymous}"
            for role in ROLES:
                status = await call(clients[role], method, target)
                if role.allows(access.role):
                    assert status not in (401, 403), f"{role} {method} {path} -> {status}"
                else:
                    assert status == 403, f"{role} {method} {path} -> {status}"
                checked += 1
    assert checked >= 3 * 5


@pytest.mark.parametrize("mode", ["local", "token"])
async def test_read_only_refuses_every_write_for_everyone(make_settings, mode: str) -> None:  # type: ignore[no-untyped-def]
    async with (
        running_app(make_settings(read_only=True, auth_mode=mode)) as running,
        signed_in(running, Role.admin) as admin,
    ):
        response = await admin.post("/api/v1/tokens", json={"name": "ci", "role": "viewer"})
        assert response.status_code == 403
        assert response.json() == {
            "detail": "the portal is read-only (PORTAL_READ_ONLY): no changes are allowed"
        }
        assert (await admin.get("/api/v1/tokens")).status_code == 200
