"""Composition root: `create_app(settings)` builds the portal; the lifespan opens and closes
everything it needs through one AsyncExitStack.

Nothing is created at import time, so tests can build as many independent apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy.ext.asyncio import AsyncEngine

from portal.api import actions as actions_api
from portal.api import audit as audit_api
from portal.api import canaries as canaries_api
from portal.api import costs as costs_api
from portal.api import dora as dora_api
from portal.api import flagger_events, gates, github_webhooks, health
from portal.api import hpas as hpas_api
from portal.api import notifications as notifications_api
from portal.api import tokens as tokens_api
from portal.api.error_responses import document_errors, error_responses
from portal.aws.cost_explorer import open_cost_explorer
from portal.aws.spot_prices import open_spot_prices
from portal.config import Settings, load_settings
from portal.db import PoolLimits, SessionMaker, create_engine, create_sessionmaker
from portal.deps import PortalState
from portal.http.admission import Admission, AdmissionCollector, AdmissionMiddleware
from portal.http.errors import install_error_handlers
from portal.http.request_ids import RequestIdMiddleware
from portal.http.text_inputs import reject_control_characters
from portal.kube.clusters import Cluster, open_clusters
from portal.kube.fleet_watch import watching_fleet
from portal.kube.kinds import KINDS_BY_KEY
from portal.kube.view import ClusterView
from portal.kube.watch_metrics import WatchCollector
from portal.kube.watch_timing import WatchTiming
from portal.security.access import public, require_role
from portal.security.denials import keep_flushing_denial_tallies
from portal.security.installing import install_security, install_security_headers
from portal.security.roles import Role
from portal.services.actions_following import RetryFollower
from portal.services.actions_sweeping import RunEndSweeper
from portal.services.broadcast_metrics import BroadcastCollector
from portal.services.broadcasting import Broadcaster
from portal.services.cost_refresh import CostRefresher
from portal.services.costs import check_downtime, cost_scope, watched_spot_targets
from portal.services.dora_gauges import DoraGauges
from portal.services.electing import electing
from portal.services.gate_book import GateBook
from portal.services.gate_call_writing import GateCallWriter
from portal.services.github_deliveries import process_backlog
from portal.services.leadership import LeaderCollector, LeaderOnly
from portal.services.notification_dora_levels import DoraLevelWatcher
from portal.services.notification_secrets import SecretBox
from portal.services.notification_sending import NotificationSender, delivery_config
from portal.services.notification_watching import NotificationWatcher
from portal.services.readiness import clusters_check, database_check
from portal.services.retention import keep_purging
from portal.services.timeline_metrics import TimelineCollector
from portal.services.timeline_recording import TimelineRecorder
from portal.web import admin, canary_actions, fleet_pages, freezes, pages, stream
from portal.web import audit as audit_page
from portal.web import costs as costs_page
from portal.web import dora as dora_page
from portal.web import notifications as notifications_pages
from portal.web.live import LivePush
from portal.web.templating import build_templates

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _register(stack: AsyncExitStack, registry: CollectorRegistry, collector: Collector) -> None:
    registry.register(collector)
    stack.callback(registry.unregister, collector)


async def _open_fleet(
    stack: AsyncExitStack, settings: Settings, registry: CollectorRegistry
) -> tuple[list[Cluster], ClusterView]:
    """Clients for every configured cluster and the (still empty) view of them."""
    clusters = await stack.enter_async_context(
        open_clusters(
            kubeconfig=settings.kubeconfig,
            contexts=settings.kube_contexts,
            namespaces=settings.kube_namespaces,
            in_cluster_name=settings.kube_in_cluster_name,
        )
    )
    view = ClusterView(
        clusters=[cluster.name for cluster in clusters], mesh_providers=settings.mesh_providers
    )
    _register(stack, registry, WatchCollector(view))
    return clusters, view


async def _watch_fleet(
    stack: AsyncExitStack, settings: Settings, clusters: list[Cluster], view: ClusterView
) -> None:
    """One list+watch per kind on each cluster, from now until shutdown."""
    await stack.enter_async_context(
        watching_fleet(
            clusters=clusters,
            kinds=[KINDS_BY_KEY[key] for key in settings.watch_kinds],
            view=view,
            timing=WatchTiming(server_timeout_seconds=settings.watch_timeout_seconds),
        )
    )


def _in_background(stack: AsyncExitStack, work: Coroutine[Any, Any, None], *, name: str) -> None:
    """A named task that lives as long as the app: cancelled and awaited on shutdown."""
    task = asyncio.create_task(work, name=name)

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)


async def _open_costs(
    stack: AsyncExitStack,
    settings: Settings,
    sessionmaker: SessionMaker,
    view: ClusterView,
    leader_only: LeaderOnly,
) -> CostRefresher | None:
    """With PORTAL_AWS_REGION: one Cost Explorer and one EC2 client for the app's life and the
    refresh loop (Cost Explorer figures, and spot prices of the watched spot nodes)."""
    region = settings.aws_region
    if region is None:
        return None
    explorer = await stack.enter_async_context(
        open_cost_explorer(
            region=region,
            endpoint_url=settings.aws_endpoint_url,
            timeout_seconds=settings.cost_timeout_seconds,
        )
    )
    # The demo's moto answers every spot price with a placeholder (USD 0.00001): demo spot nodes
    # are priced with the configured discount instead, and say so.
    spot = (
        None
        if settings.cost_demo
        else await stack.enter_async_context(
            open_spot_prices(region=region, endpoint_url=settings.aws_endpoint_url)
        )
    )
    refresher = CostRefresher(
        sessionmaker=sessionmaker,
        explorer=explorer,
        scope=cost_scope(settings),
        interval_seconds=settings.cost_refresh_seconds,
        manual_interval_seconds=settings.cost_manual_refresh_seconds,
        spot=spot,
        spot_wanted=lambda: watched_spot_targets(view, region=region),
        nodes_listed=view.all_listed.wait if view.clusters else None,
    )
    leader_only.add(refresher.run, name="cost-refresh")
    return refresher


async def _deliver_notifications(
    stack: AsyncExitStack, settings: Settings, sessionmaker: SessionMaker, leader_only: LeaderOnly
) -> None:
    """The outbox deliverer: the leader's; its claims are given back when it stops."""
    client = await stack.enter_async_context(httpx.AsyncClient(follow_redirects=False))
    key = settings.notify_secret_key.get_secret_value() if settings.notify_secret_key else None
    sender = NotificationSender(
        sessionmaker=sessionmaker,
        secrets=SecretBox(key=key, environ=os.environ),
        config=delivery_config(settings),
        client=client,
    )

    async def deliver() -> None:
        try:
            await sender.run()
        finally:
            await sender.release()

    leader_only.add(deliver, name="notification-sender")


async def _open_gate_book(
    stack: AsyncExitStack, settings: Settings, engine: AsyncEngine
) -> tuple[GateBook | None, GateCallWriter | None]:
    """The gate book and the batched last-call writer (closed before the engine: the writer
    writes what is pending on shutdown)."""
    if not settings.gate_book:
        return None, None
    book = GateBook(engine, timeout=settings.gate_state_timeout_seconds)
    stack.push_async_callback(book.close)
    await book.warm()
    writer = GateCallWriter(engine, flush_seconds=settings.gate_call_flush_seconds)
    await stack.enter_async_context(writer)
    return book, writer


def _lifespan(settings: Settings, registry: CollectorRegistry) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = create_engine(
                settings.database_url,
                echo=settings.database_echo,
                pool=PoolLimits(
                    size=settings.database_pool_size,
                    overflow=settings.database_max_overflow,
                    timeout_seconds=settings.database_pool_timeout_seconds,
                ),
            )
            stack.push_async_callback(engine.dispose)
            templates = build_templates(settings.templates_dir)
            broadcaster = await stack.enter_async_context(Broadcaster())
            _register(stack, registry, BroadcastCollector(broadcaster.metrics))
            clusters, view = await _open_fleet(stack, settings, registry)
            sessionmaker = create_sessionmaker(engine)
            live = LivePush(app=app, view=view, broadcaster=broadcaster, templates=templates)
            notifier = NotificationWatcher(
                sessionmaker=sessionmaker,
                view=view,
                tick_seconds=settings.notify_tick_seconds,
                scan_seconds=settings.notify_scan_seconds,
            )
            recorder = TimelineRecorder(
                sessionmaker=sessionmaker,
                view=view,
                on_committed=lambda c, ns, n: live.timeline_changed(
                    cluster=c, namespace=ns, name=n
                ),
                on_run_ended=lambda c, ns, n: live.run_ended(cluster=c, namespace=ns, name=n),
                on_decided=notifier.runs_decided,
            )
            _register(stack, registry, TimelineCollector(recorder))
            leader_only = LeaderOnly()
            view.subscribe(notifier.on_change)
            leader_only.add(notifier.run, name="notification-watcher")
            leader_only.add(DoraLevelWatcher(sessionmaker=sessionmaker).run, name="dora-levels")
            await _deliver_notifications(stack, settings, sessionmaker, leader_only)
            view.subscribe(live.on_change)
            sweeper = RunEndSweeper(
                sessionmaker=sessionmaker,
                view=view,
                clients={cluster.name: cluster.client for cluster in clusters},
                timeout_seconds=settings.kube_write_timeout_seconds,
            )
            view.subscribe(sweeper.on_change)
            leader_only.add(sweeper.run, name="run-end-sweeper")
            follower = RetryFollower(
                sessionmaker=sessionmaker,
                view=view,
                window_seconds=settings.retry_verdict_seconds,
            )
            view.subscribe(follower.on_change)
            leader_only.add(follower.run, name="retry-follower")
            leader_only.add(recorder.run, name="timeline-recorder")  # it subscribes itself
            leader_only.add(
                lambda: keep_purging(sessionmaker, retention_days=settings.timeline_retention_days),
                name="history-retention",
            )
            _in_background(stack, keep_flushing_denial_tallies(app), name="denial-tallies")
            leader_only.add(
                lambda: process_backlog(
                    sessionmaker, workflows=frozenset(settings.github_deploy_workflows)
                ),
                name="github-backlog",
            )
            dora_gauges = DoraGauges(sessionmaker)
            _register(stack, registry, dora_gauges)
            _in_background(stack, dora_gauges.keep_refreshing(), name="dora-gauges")
            cost_refresher = await _open_costs(stack, settings, sessionmaker, view, leader_only)
            await _watch_fleet(stack, settings, clusters, view)
            gate_book, gate_calls = await _open_gate_book(stack, settings, engine)
            leader = await stack.enter_async_context(
                electing(settings=settings, clusters=clusters, leader_only=leader_only)
            )
            _register(stack, registry, LeaderCollector(leader, leader_only))
            app.state.portal = PortalState(
                settings=settings,
                engine=engine,
                sessionmaker=sessionmaker,
                templates=templates,
                view=view,
                broadcaster=broadcaster,
                recorder=recorder,
                clusters=tuple(clusters),
                cost_refresher=cost_refresher,
                dora_gauges=dora_gauges,
                leader=leader,
                gate_book=gate_book,
                gate_calls=gate_calls,
                readiness_checks={
                    "database": database_check(engine),
                    "clusters": clusters_check(view),
                },
            )
            yield

    return lifespan


def _instrument(app: FastAPI, registry: CollectorRegistry) -> None:
    """Prometheus metrics on a registry of this app's own, exact status codes kept."""
    instrumentator = Instrumentator(
        should_group_status_codes=False,
        should_ignore_untemplated=True,
        excluded_handlers=["/metrics", "/static/.*"],
        registry=registry,
    )
    instrumentator.instrument(app).expose(app, include_in_schema=False, should_gzip=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    check_downtime(settings)
    registry = CollectorRegistry()
    app = FastAPI(
        title="infra-fleet portal",
        version="0.1.0",
        description="Flagger canaries, HPAs, AWS costs and DORA stats across an EKS fleet.",
        lifespan=_lifespan(settings, registry),
        # FastAPI's /docs and /redoc load their scripts from a CDN with inline script, which
        # the portal's CSP forbids; the schema itself is served at /openapi.json.
        docs_url=None,
        redoc_url=None,
        # every route: a control character in a path, query, JSON or form field is a 422
        dependencies=[Depends(reject_control_characters)],
    )
    install_security(app, settings)
    # inside the 500 handler, metrics and the access log (a refusal is counted and logged),
    # outside everything that reads a body or the database
    app.state.admission = admission = Admission(settings.max_requests_in_flight)
    registry.register(AdmissionCollector(admission))
    app.add_middleware(AdmissionMiddleware, admission=admission)
    install_error_handlers(app)
    _instrument(app, registry)
    app.add_middleware(RequestIdMiddleware)
    install_security_headers(app, settings)
    app.mount("/static", StaticFiles(directory=settings.static_dir), name="static")
    errors = error_responses()
    app.include_router(
        health.router, dependencies=[Depends(public("probes; no data"))], responses=errors
    )
    app.include_router(fleet_pages.router)
    app.include_router(canary_actions.router)
    app.include_router(freezes.router)
    app.include_router(pages.router)
    app.include_router(dora_page.router)
    app.include_router(costs_page.router)
    app.include_router(
        stream.router, dependencies=[Depends(require_role(Role.viewer))], responses=errors
    )
    app.include_router(canaries_api.router, responses=errors)
    app.include_router(hpas_api.router, responses=errors)
    app.include_router(costs_api.router, responses=errors)
    app.include_router(flagger_events.router, responses=errors)
    app.include_router(gates.router, responses=errors)
    app.include_router(gates.freezes_router, responses=errors)
    app.include_router(gates.state_router, responses=errors)
    app.include_router(actions_api.router, responses=errors)
    app.include_router(audit_page.router)
    app.include_router(admin.router)
    app.include_router(audit_api.router, responses=errors)
    app.include_router(tokens_api.router, responses=errors)
    app.include_router(dora_api.router, responses=errors)
    app.include_router(github_webhooks.router, responses=errors)
    app.include_router(notifications_api.router, responses=errors)
    app.include_router(notifications_pages.router)
    document_errors(app)
    return app
