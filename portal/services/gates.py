"""Answer Flagger's gate calls, and remember each call.

Every replica answers from the same rows (policies come from settings and the hook's metadata,
openings and freezes from the database through the gate book, current as of each call), so all
answer alike and a restart loses nothing. A
call whose checksum is the run the portal observes (computed from the watched status, as
Flagger computes it) is stored as the gate's last call, which the canary page shows; operator
actions never take a checksum from a call: they bind to the observed run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.canary_gates import Gate
from portal.domain.flagger_checksum import observed_checksum
from portal.domain.gate_rules import ALWAYS, FreezeFact, GateAnswer, decide_gate, policy_for
from portal.domain.raw_fields import mapping_at, optional_str_at
from portal.domain.template_hashes import template_hash
from portal.kube.view import ClusterView
from portal.models.gates import GateCall, GateOpening
from portal.services.flagger_webhooks import FlaggerPayload
from portal.services.gate_book import GateBook, GateStateUnreadable, OpeningFact
from portal.services.gate_call_writing import (
    GateCallWriter,
    NotedCall,
    UnwrittenCalls,
    merged,
    noted_call,
    write_calls,
)
from portal.services.gates_freezes import active_freeze_for


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
    """Pass or hold one gate call reading the database, and write the last call before
    answering (caller commits): the path before the gate book, kept as the benchmark's baseline
    (`PORTAL_GATE_BOOK=false`)."""
    obj = view.get("canaries", cluster=cluster, namespace=payload.namespace, name=payload.name)
    if obj is None:
        return unknown_canary(cluster=cluster, payload=payload)
    freeze = None
    if gate is Gate.CONFIRM_ROLLOUT:
        freeze = await active_freeze_for(session, cluster=cluster, namespace=payload.namespace)
    openings = await openings_for(
        session, cluster=cluster, payload=payload, gate=gate, checksum=payload.checksum
    )
    facts = [OpeningFact(o.checksum, o.template_hash) for o in openings]
    answer = decide(
        view,
        obj,
        cluster=cluster,
        gate=gate,
        payload=payload,
        defaults=defaults,
        openings=facts,
        freeze=freeze,
    )
    call = call_to_keep(obj, cluster=cluster, gate=gate, payload=payload, answer=answer, now=now)
    if call is not None:
        await write_calls(await session.connection(), [call])
    return answer


async def answer_from_book(
    *,
    book: GateBook,
    writer: GateCallWriter,
    view: ClusterView,
    cluster: str,
    gate: Gate,
    payload: FlaggerPayload,
    defaults: Mapping[Any, str],
    now: datetime,
) -> GateAnswer:
    """Pass or hold one gate call from the gate book (current as of the call); the last call is
    noted for the next batch, never written on the answer's path. An unreadable gate state
    holds every gate (fail-safe)."""
    obj = view.get("canaries", cluster=cluster, namespace=payload.namespace, name=payload.name)
    if obj is None:
        return unknown_canary(cluster=cluster, payload=payload)
    try:
        snapshot = await book.snapshot()
    except GateStateUnreadable as unreadable:
        answer = fail_safe_hold(why=str(unreadable))
    else:
        key = {"cluster": cluster, "namespace": payload.namespace}
        freeze = snapshot.freeze_for(**key) if gate is Gate.CONFIRM_ROLLOUT else None
        openings = snapshot.openings_for(
            **key, name=payload.name, gate=gate.value, checksum=payload.checksum
        )
        answer = decide(
            view,
            obj,
            cluster=cluster,
            gate=gate,
            payload=payload,
            defaults=defaults,
            openings=openings,
            freeze=freeze,
        )
    call = call_to_keep(obj, cluster=cluster, gate=gate, payload=payload, answer=answer, now=now)
    if call is not None:
        writer.note(call)
    return answer


def unknown_canary(*, cluster: str, payload: FlaggerPayload) -> GateAnswer:
    target = f"{payload.name}.{payload.namespace}"
    return GateAnswer(
        False, f"unknown canary {target} in cluster {cluster}: the portal does not watch it"
    )


def fail_safe_hold(*, why: str) -> GateAnswer:
    """The same words as a database error on a gate path (portal.http.errors)."""
    return GateAnswer(
        False,
        f"hold: the portal cannot read its gates ({why}); a gate it cannot decide never "
        "passes, so Flagger waits and asks again at its next tick",
    )


def decide(
    view: ClusterView,
    obj: Mapping[str, Any],
    *,
    cluster: str,
    gate: Gate,
    payload: FlaggerPayload,
    defaults: Mapping[Any, str],
    openings: list[OpeningFact],
    freeze: FreezeFact | None,
) -> GateAnswer:
    target = f"{payload.name}.{payload.namespace}"
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
        return GateAnswer(False, stale_reason(target=target, gate=gate))
    return answer


def call_to_keep(
    obj: Mapping[str, Any],
    *,
    cluster: str,
    gate: Gate,
    payload: FlaggerPayload,
    answer: GateAnswer,
    now: datetime,
) -> NotedCall | None:
    """The call as the gate's last call, only when its checksum is the run the portal
    observes: a forged checksum changes nothing."""
    if payload.checksum != observed_checksum(obj):
        return None
    return noted_call(
        cluster=cluster,
        namespace=payload.namespace,
        name=payload.name,
        gate=gate,
        checksum=payload.checksum,
        phase=payload.phase,
        revision=optional_str_at(mapping_at(obj, "status"), "lastAppliedSpec"),
        answer=answer,
        now=now,
    )


def target_template(view: ClusterView, *, cluster: str, canary: Mapping[str, Any]) -> str | None:
    """The pod-template hash of the canary's target Deployment as the view shows it."""
    target = mapping_at(mapping_at(canary, "spec"), "targetRef")
    name = optional_str_at(target, "name")
    namespace = optional_str_at(mapping_at(canary, "metadata"), "namespace")
    if not name or not namespace:
        return None
    return template_hash(view.get("deployments", cluster=cluster, namespace=namespace, name=name))


def split_stale(
    openings: Iterable[OpeningFact], *, gate: Gate, current_template: str | None
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


def event_call_to_keep(
    *, view: ClusterView, cluster: str, payload: FlaggerPayload, now: datetime
) -> NotedCall | None:
    """An event webhook call is kept like a passed gate call (the run's last sign of life),
    only when its checksum is the run the portal observes."""
    obj = view.get("canaries", cluster=cluster, namespace=payload.namespace, name=payload.name)
    if obj is None or not payload.checksum:
        return None
    answer = GateAnswer(True, "event recorded")
    return call_to_keep(
        obj, cluster=cluster, gate=Gate.EVENT, payload=payload, answer=answer, now=now
    )


async def last_calls(
    session: AsyncSession,
    *,
    cluster: str,
    namespace: str,
    name: str,
    unwritten: UnwrittenCalls | None = None,
) -> dict[Gate, GateCall]:
    """The last call of each portal gate of one canary: the stored ones, under the calls this
    replica answered and has not written yet (`unwritten`, asked after the read, so nothing
    written meanwhile is missed and nothing stored is newer than what overlays it)."""
    rows = await session.exec(
        select(GateCall).where(
            GateCall.cluster == cluster, GateCall.namespace == namespace, GateCall.name == name
        )
    )
    calls = {Gate(row.gate): row for row in rows}
    if unwritten is not None:
        for call in unwritten(cluster=cluster, namespace=namespace, name=name):
            calls[Gate(call.gate)] = _as_stored(calls.get(Gate(call.gate)), call)
    return calls


NOTED = NotedCall.__slots__
"""The fields a stored last call shares with a noted one."""


def _as_stored(stored: GateCall | None, call: NotedCall) -> GateCall:
    """The row `call` becomes once written over `stored`, by the rule the writer and its upsert
    keep (`merged`: a hold that goes on for the same checksum keeps its start). A new object:
    the session never writes it."""
    older = None if stored is None else NotedCall(**{f: getattr(stored, f) for f in NOTED})
    return GateCall(**merged(older, call).row())


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
