"""Composition root: `create_app(settings)` builds the portal; the lifespan opens and closes
everything it needs through one AsyncExitStack.

Nothing is created at import time, so tests can build as many independent apps as they like.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from portal.api import audit as audit_api
from portal.api import health
from portal.api import tokens as tokens_api
from portal.config import Settings, load_settings
from portal.db import create_engine, create_sessionmaker
from portal.deps import PortalState
from portal.http.errors import install_error_handlers
from portal.http.request_ids import RequestIdMiddleware
from portal.security.access import public
from portal.security.installing import install_security, install_security_headers
from portal.services.readiness import database_check
from portal.web import admin, pages
from portal.web import audit as audit_page
from portal.web.templating import build_templates


def _lifespan(settings: Settings) -> object:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = create_engine(settings.database_url, echo=settings.database_echo)
            stack.push_async_callback(engine.dispose)
            app.state.portal = PortalState(
                settings=settings,
                engine=engine,
                sessionmaker=create_sessionmaker(engine),
                templates=build_templates(settings.templates_dir),
                readiness_checks={"database": database_check(engine)},
            )
            yield

    return lifespan


def _instrument(app: FastAPI) -> None:
    """Prometheus metrics on a registry of this app's own, exact status codes kept."""
    registry = CollectorRegistry()
    instrumentator = Instrumentator(
        should_group_status_codes=False,
        should_ignore_untemplated=True,
        excluded_handlers=["/metrics", "/static/.*"],
        registry=registry,
    )
    instrumentator.instrument(app).expose(app, include_in_schema=False, should_gzip=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        title="infra-fleet portal",
        version="0.1.0",
        description="Flagger canaries, HPAs, AWS costs and DORA stats across an EKS fleet.",
        lifespan=_lifespan(settings),  # type: ignore[arg-type]
    )
    install_security(app, settings)
    install_error_handlers(app)
    _instrument(app)
    app.add_middleware(RequestIdMiddleware)
    install_security_headers(app, settings)
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    app.include_router(health.router, dependencies=[Depends(public("probes; no data"))])
    app.include_router(pages.router)
    app.include_router(audit_page.router)
    app.include_router(admin.router)
    app.include_router(audit_api.router)
    app.include_router(tokens_api.router)
    return app
