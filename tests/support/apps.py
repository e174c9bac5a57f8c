"""Drive a real portal app in-process: its lifespan runs for real, requests go over httpx's
ASGI transport, from a chosen peer address (127.0.0.1 unless told otherwise).

Signing in for tests:
- `signed_in(running, Role.operator)`: a client of the same app sending a real API token of
  that role (works in every auth mode; API tokens are exempt from CSRF);
- `csrf_headers(client)`: what a browser-like client (cookies, no token) must send on writes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from portal.app import create_app
from portal.config import Settings
from portal.security.csrf import COOKIE_NAME
from portal.security.roles import Role
from portal.services.audit import Actor
from portal.services.tokens import issue_token

BASE_URL = "http://portal.test"


def base_url_for(settings: Settings) -> str:
    """Local mode answers only loopback Host values with its port (DNS rebinding)."""
    return f"http://127.0.0.1:{settings.port}" if settings.auth_mode == "local" else BASE_URL


@dataclass(frozen=True)
class RunningApp:
    app: FastAPI
    client: httpx.AsyncClient

    def client_from(self, host: str, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        """Another client of this app whose TCP peer is `host` (close it after use)."""
        transport = httpx.ASGITransport(app=self.app, client=(host, 50001))
        base_url = base_url_for(self.app.state.security.settings)
        return httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers)


@asynccontextmanager
async def running_app(
    settings: Settings, *, client_host: str = "127.0.0.1"
) -> AsyncIterator[RunningApp]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client_host, 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url=base_url_for(settings)
        ) as client:
            yield RunningApp(app=app, client=client)


async def create_api_token(
    running: RunningApp, role: Role, *, name: str | None = None, expires_days: int | None = None
) -> str:
    """Issue a real token straight through the service; returns the secret."""
    async with running.app.state.portal.sessionmaker() as session:
        issued = await issue_token(
            session,
            name=name or f"test-{role}-{uuid.uuid4().hex[:8]}",
            role=role,
            actor=Actor(name="tests", role="admin"),
            expires_days=expires_days,
        )
        await session.commit()
    return issued.secret


@asynccontextmanager
async def signed_in(
    running: RunningApp, role: Role, *, host: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    secret = await create_api_token(running, role)
    async with running.client_from(host, {"Authorization": f"Bearer {secret}"}) as client:
        yield client


async def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """Let the portal set its CSRF cookie on `client`, and return the header that echoes it."""
    if COOKIE_NAME not in client.cookies:
        await client.get("/healthz")
    return {"X-CSRF-Token": client.cookies[COOKIE_NAME]}
