"""Drive a real portal app in-process: its lifespan runs for real, requests go over httpx's
ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from portal.app import create_app
from portal.config import Settings


@dataclass(frozen=True)
class RunningApp:
    app: FastAPI
    client: httpx.AsyncClient


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[RunningApp]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
            yield RunningApp(app=app, client=client)
