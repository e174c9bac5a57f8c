"""What a request handler may depend on: the app's typed state and Annotated aliases.

The lifespan builds one `PortalState` and stores it on `app.state.portal`; handlers reach it
only through these dependencies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.config import Settings
from portal.db import SessionMaker
from portal.kube.clusters import Cluster
from portal.kube.view import ClusterView
from portal.services.actions import ActionEnv
from portal.services.broadcasting import Broadcaster
from portal.services.cost_refresh import CostRefresher, SpotBook
from portal.services.costs import CostsView, costs_view
from portal.services.dora_gauges import DoraGauges
from portal.services.gate_book import GateBook
from portal.services.gate_call_writing import GateCallWriter, UnwrittenCalls
from portal.services.leadership import StatusSource
from portal.services.readiness import ReadinessCheck
from portal.services.timeline_recording import TimelineRecorder


@dataclass(frozen=True)
class PortalState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: SessionMaker
    templates: Jinja2Templates
    view: ClusterView
    broadcaster: Broadcaster
    recorder: TimelineRecorder
    clusters: tuple[Cluster, ...] = ()
    cost_refresher: CostRefresher | None = None
    dora_gauges: DoraGauges | None = None
    readiness_checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    leader: StatusSource | None = None
    """Who leads the singleton work (/readyz, the portal_leader gauge)."""
    gate_book: GateBook | None = None
    """Gate openings and freezes in memory (None: `PORTAL_GATE_BOOK=false`)."""
    gate_calls: GateCallWriter | None = None
    """Flagger's last calls, written in batches after the answers."""

    async def flush_gate_calls(self) -> None:
        """Write the last calls answered so far, before showing last-call data."""
        if self.gate_calls is not None:
            await self.gate_calls.flush()

    @property
    def unwritten_gate_calls(self) -> UnwrittenCalls | None:
        """The last calls answered and not written yet, for readers to overlay."""
        return self.gate_calls.unwritten if self.gate_calls is not None else None

    @property
    def spot_prices(self) -> SpotBook | None:
        """The spot prices the cost refresher last read (None without Cost Explorer)."""
        return self.cost_refresher.spot if self.cost_refresher else None

    async def costs_now(self) -> CostsView:
        """The cost page's figures now: the stored snapshot and the live burn (no AWS call)."""
        return await costs_view(
            self.sessionmaker,
            self.view,
            self.settings,
            now=datetime.now(UTC),
            spot=self.spot_prices,
        )


async def get_state(request: Request) -> PortalState:
    """Async, like every cheap dependency here: FastAPI runs a plain `def` dependency in a
    worker thread, a thread hop per request (measured: 11% of a gate call's CPU)."""
    state: PortalState = request.app.state.portal
    return state


StateDep = Annotated[PortalState, Depends(get_state)]


async def get_settings(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler succeeds, rolled back when it raises.

    Used with `scope="function"` (below): FastAPI runs this exit when the handler returns, before
    the response is built, so no answer goes out before its transaction committed and a failed
    commit is the caller's error, not a silent loss. (The default "request" scope exits only
    after the response was sent.)"""
    async with state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_templates(state: StateDep) -> Jinja2Templates:
    return state.templates


TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


async def get_view(state: StateDep) -> ClusterView:
    return state.view


ViewDep = Annotated[ClusterView, Depends(get_view)]


async def get_action_env(request: Request, state: StateDep) -> ActionEnv:
    """What an operator action needs to reach the fleet, for the API and the web form alike."""
    settings = state.settings
    return ActionEnv(
        view=state.view,
        clients={cluster.name: cluster.client for cluster in state.clusters},
        portal_url=str(request.base_url),
        token_configured=bool(settings.flagger_tokens)
        or settings.flagger_webhook_token is not None,
        timeout=settings.kube_write_timeout_seconds,
        now=datetime.now(UTC),
        flush_gate_calls=state.flush_gate_calls,
    )


ActionEnvDep = Annotated[ActionEnv, Depends(get_action_env)]
