"""Answer Flagger's gate calls from the database, and remember each call.

Every replica reads the same rows (policies come from settings and the hook's metadata,
openings and freezes from the database), so all answer alike and a restart loses nothing. A
call whose checksum is the run the portal observes (computed from the watched status, as
Flagger computes it) is stored as the gate's last call, which the canary page shows; operator
actions never take a checksum from a call: they bind to the observed run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.canary_gates import Gate
from portal.domain.flagger_checksum import observed_checksum
from portal.domain.gate_rules import ALWAYS, GateAnswer, decide_gate, policy_for
from portal.domain.raw_fields import mapping_at, optional_str_at
from portal.domain.template_hashes import template_hash
from portal.kube.view import ClusterView
from portal.models.gates import GateCall, GateOpening
from portal.services.flagger_webhooks import FlaggerPayload
from portal.services.gates_freezes import active_freeze_for

ANSWER_LIMIT = 1000


async def answer_gate(
    session: AsyncSession,
    *,
    view: ClusterView,
    cluster: str,
    gate: Gate,
    payload: FlaggerPayload,
    defaults: Mapping[Any, str],
    now: datetime,
) -> GateAnswer:
    """Pass or hold one gate call (caller commits). The call is kept as the gate's last call
    only when its checksum is the run the portal observes: a forged checksum changes nothing."""
    target = f"{payload.name}.{payload.namespace}"
    obj = view.get("canaries", cluster=cluster, namespace=payload.namespace, name=payload.name)
    if obj is None:
        return GateAnswer(
            False, f"unknown canary {target} in cluster {cluster}: the portal does not watch it"
        )
    freeze = None
    if gate is Gate.CONFIRM_ROLLOUT:
        freeze = await active_freeze_for(session, cluster=cluster, namespace=payload.namespace)
    openings = await openings_for(
        session, cluster=cluster, payload=payload, gate=gate, checksum=payload.checksum
    )
    current = target_template(view, cluster=cluster, canary=obj)
    usable, stale = split_stale(openings, gate=gate, current_template=current)
    answer = decide_gate(
        gate,
        target=target,
        policy=policy_for(gate, metadata=payload.metadata, defaults=defaults),
        checksum=payload.checksum,
        openings=usable,
        freeze=freeze,
    )
    if stale and not answer.passed:
        answer = GateAnswer(False, stale_reason(target=target, gate=gate))
    if payload.checksum == observed_checksum(obj):
        revision = optional_str_at(mapping_at(obj, "status"), "lastAppliedSpec")
        await remember_call(
            session,
            cluster=cluster,
            gate=gate,
            payload=payload,
            revision=revision,
            answer=answer,
            now=now,
        )
    return answer


def target_template(view: ClusterView, *, cluster: str, canary: Mapping[str, Any]) -> str | None:
    """The pod-template hash of the canary's target Deployment as the view shows it."""
    target = mapping_at(mapping_at(canary, "spec"), "targetRef")
    name = optional_str_at(target, "name")
    namespace = optional_str_at(mapping_at(canary, "metadata"), "namespace")
    if not name or not namespace:
        return None
    return template_hash(view.get("deployments", cluster=cluster, namespace=namespace, name=name))


def split_stale(
    openings: list[GateOpening], *, gate: Gate, current_template: str | None
) -> tuple[set[str], bool]:
    """The usable openings' checksums, and whether a run-bound confirm-rollout approval was
    left out because the target's pod template changed since the operator looked."""
    usable, stale = set(), False
    for opening in openings:
        bound = gate is Gate.CONFIRM_ROLLOUT and opening.checksum != ALWAYS
        if (
            bound
            and opening.template_hash is not None
            and opening.template_hash != current_template
        ):
            stale = True
            continue
        usable.add(opening.checksum)
    return usable, stale


def stale_reason(*, target: str, gate: Gate) -> str:
    return (
        f"{gate} of {target}: the approval was for another pod template; the target changed "
        "since the operator looked, so approve the new revision again"
    )


async def openings_for(
    session: AsyncSession, *, cluster: str, payload: FlaggerPayload, gate: Gate, checksum: str
) -> list[GateOpening]:
    """The openings (this run's checksum, or `*`) an operator made for this gate."""
    rows = await session.exec(
        select(GateOpening).where(
            GateOpening.cluster == cluster,
            GateOpening.namespace == payload.namespace,
            GateOpening.name == payload.name,
            GateOpening.gate == gate.value,
            col(GateOpening.checksum).in_([checksum, ALWAYS]),
        )
    )
    return list(rows)


async def remember_event_call(
    session: AsyncSession,
    *,
    view: ClusterView,
    cluster: str,
    payload: FlaggerPayload,
    now: datetime,
) -> None:
    """An event webhook call is kept like a passed gate call (the run's last sign of life),
    only when its checksum is the run the portal observes (caller commits)."""
    obj = view.get("canaries", cluster=cluster, namespace=payload.namespace, name=payload.name)
    if obj is None or not payload.checksum or payload.checksum != observed_checksum(obj):
        return
    await remember_call(
        session,
        cluster=cluster,
        gate=Gate.EVENT,
        payload=payload,
        revision=optional_str_at(mapping_at(obj, "status"), "lastAppliedSpec"),
        answer=GateAnswer(True, "event recorded"),
        now=now,
    )


def _upsert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def remember_call(
    session: AsyncSession,
    *,
    cluster: str,
    gate: Gate,
    payload: FlaggerPayload,
    revision: str | None,
    answer: GateAnswer,
    now: datetime,
) -> None:
    """Store the gate's last call: one row per (canary, gate), replaced by each new call."""
    values = {
        "checksum": payload.checksum,
        "revision": revision,
        "phase": payload.phase,
        "passed": answer.passed,
        "answer": answer.reason[:ANSWER_LIMIT],
        "seen_at": now,
    }
    key = {"cluster": cluster, "namespace": payload.namespace, "name": payload.name}
    table = GateCall.metadata.tables[GateCall.__tablename__]
    insert = _upsert(session)(table).values(
        **key, gate=gate.value, held_since=None if answer.passed else now, **values
    )
    statement = insert.on_conflict_do_update(
        index_elements=["cluster", "namespace", "name", "gate"],
        set_=values | {"held_since": _held_since(table, insert.excluded)},
    )
    await session.exec(statement)


def _held_since(table: Any, new: Any) -> Any:
    """Keep the start of a hold while the gate keeps holding the same run; a pass clears it."""
    still_holding = and_(
        table.c.passed.is_(False),
        table.c.held_since.is_not(None),
        table.c.checksum == new.checksum,
    )
    return case(
        (new.passed.is_(True), None),
        (still_holding, table.c.held_since),
        else_=new.seen_at,
    )


async def last_calls(
    session: AsyncSession, *, cluster: str, namespace: str, name: str
) -> dict[Gate, GateCall]:
    """The last call of each portal gate of one canary."""
    rows = await session.exec(
        select(GateCall).where(
            GateCall.cluster == cluster, GateCall.namespace == namespace, GateCall.name == name
        )
    )
    return {Gate(row.gate): row for row in rows}


async def openings_of(
    session: AsyncSession, *, cluster: str, namespace: str, name: str
) -> list[GateOpening]:
    """The gates operators opened for one canary (run-bound ones until their run ends)."""
    rows = await session.exec(
        select(GateOpening)
        .where(
            GateOpening.cluster == cluster,
            GateOpening.namespace == namespace,
            GateOpening.name == name,
        )
        .order_by(col(GateOpening.id))
    )
    return list(rows)
