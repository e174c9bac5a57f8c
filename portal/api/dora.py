"""`/api/v1/dora`: the five metrics, the deployments behind them, and the ingest any CI calls.

Ingest is idempotent by natural key (a deployment: its stream and start; a change: repo and sha;
an incident: service and opening time), needs an operator, and answers 422 naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from portal.api.dora_schemas import (
    CanaryCaughtOut,
    ChangeIn,
    DeploymentIn,
    DeploymentOut,
    DeploymentPage,
    DoraOut,
    FailureRateOut,
    FailureSplitOut,
    FrequencyOut,
    IncidentIn,
    LeadTimeOut,
    Recorded,
    RecoveryOut,
    ReworkOut,
    WeekOut,
    WindowOut,
)
from portal.deps import SessionDep, SettingsDep
from portal.domain.dora_levels import LevelsTable
from portal.domain.dora_windows import MAX_WINDOW_DAYS, Window, window_ending
from portal.security.access import OperatorUser, ViewerUser
from portal.services.dora_facts import (
    ChangeFact,
    DeploymentFact,
    IncidentFact,
    deployment_of_commit,
    record_change,
    record_deployment,
    record_incident,
)
from portal.services.dora_metrics import DoraReport, compute_report
from portal.services.dora_queries import Filters, list_deployments

router = APIRouter(prefix="/api/v1/dora", tags=["dora"])


class DoraQuery(BaseModel):
    window_days: int = Field(default=30, ge=1, le=MAX_WINDOW_DAYS)
    until: AwareDatetime | None = None
    service: str | None = Field(default=None, max_length=253)
    namespace: str | None = Field(default=None, max_length=253)
    cluster: str | None = Field(default=None, max_length=128)
    environment: str | None = Field(default=None, max_length=128)
    levels_table: LevelsTable = "2023"

    def window(self) -> Window:
        return window_ending(until=self.until or datetime.now(UTC), days=self.window_days)

    def filters(self) -> Filters:
        return Filters(
            service=self.service or None,
            namespace=self.namespace or None,
            cluster=self.cluster or None,
            environment=self.environment or None,
        )


class DeploymentsQuery(DoraQuery):
    outcome: Literal["success", "failed"] | None = None
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=500)


def present_report(report: DoraReport) -> DoraOut:
    window = report.window
    return DoraOut(
        window=WindowOut(start=window.start, end=window.end, days=window.days),
        filters=report.filters.as_dict(),
        deployment_frequency=FrequencyOut.model_validate(report.deployment_frequency),
        lead_time=LeadTimeOut.model_validate(report.lead_time),
        change_failure_rate=FailureRateOut.model_validate(report.change_failure_rate).model_copy(
            update={"split": FailureSplitOut.model_validate(report.failure_split)}
        ),
        recovery_time=RecoveryOut.model_validate(report.recovery_time),
        rework_rate=ReworkOut.model_validate(report.rework_rate),
        levels_table=report.levels_table,
        trend=[WeekOut.model_validate(week) for week in report.trend],
        canary_failures=CanaryCaughtOut.model_validate(report.canary_failures),
    )


@router.get("", response_model=DoraOut)
async def get_dora(
    query: Annotated[DoraQuery, Query()],
    session: SessionDep,
    settings: SettingsDep,
    _viewer: ViewerUser,
) -> DoraOut:
    """Deployment frequency, lead time, change failure rate, recovery time and rework rate of
    the deployments finished in the window, with their levels and a weekly trend."""
    report = await compute_report(
        session,
        window=query.window(),
        filters=query.filters(),
        table=query.levels_table,
        caught_max_weight=settings.dora_caught_max_weight,
    )
    return present_report(report)


@router.get("/deployments", response_model=DeploymentPage)
async def get_deployments(
    query: Annotated[DeploymentsQuery, Query()], session: SessionDep, _viewer: ViewerUser
) -> DeploymentPage:
    """The deployments behind a figure (same window and filters), newest first."""
    total, rows = await list_deployments(
        await session.connection(),
        query.window(),
        query.filters(),
        outcome=query.outcome,
        offset=query.offset,
        limit=query.limit,
    )
    items = [DeploymentOut.model_validate(row) for row in rows]
    return DeploymentPage(items=items, total=total, offset=query.offset, limit=query.limit)


def deployment_key(body: DeploymentIn) -> str:
    parts = (body.service, body.environment, body.cluster, body.namespace)
    return "|".join((*parts, body.started_at.astimezone(UTC).isoformat()))


@router.post("/deployments", response_model=Recorded)
async def post_deployment(
    body: DeploymentIn, session: SessionDep, _operator: OperatorUser
) -> Recorded:
    """A deployment from any CI; the same stream and start again updates the same row."""
    fields = body.model_dump(exclude={"hotfix"})
    fact = DeploymentFact(
        source="api", external_key=deployment_key(body), planned=not body.hotfix, **fields
    )
    return Recorded(id=await record_deployment(session, fact))


@router.post("/changes", response_model=Recorded)
async def post_change(body: ChangeIn, session: SessionDep, _operator: OperatorUser) -> Recorded:
    """A commit; `deployment_commit_sha` names the deployed commit that shipped it."""
    return Recorded(id=await record_change(session, ChangeFact(**body.model_dump())))


@router.post("/incidents", response_model=Recorded)
async def post_incident(body: IncidentIn, session: SessionDep, _operator: OperatorUser) -> Recorded:
    """An incident; `deployment_commit_sha` links it to the service's deployment of that commit
    (which then counts as a change failure)."""
    deployment_id = None
    if body.deployment_commit_sha:
        deployment_id = await deployment_of_commit(
            session, service=body.service, commit_sha=body.deployment_commit_sha
        )
    fact = IncidentFact(
        service=body.service,
        opened_at=body.opened_at,
        resolved_at=body.resolved_at,
        deployment_id=deployment_id,
    )
    return Recorded(id=await record_incident(session, fact))
