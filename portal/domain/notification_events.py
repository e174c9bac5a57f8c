"""Notices for the one-off transitions: a run that failed (with its cause), an operator's
rollback, a freeze started or lifted, a cluster gone stale, a DORA level that dropped.

The DORA job does not emit level changes yet: `dora_level_notice` is the constructor it will call
(with the session of the write that records the new level) once it does. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from portal.domain.notification_conditions import canary_group
from portal.domain.notification_rules import Notice, Subject, Transition
from portal.domain.run_records import AmendRunEnd, EndRun, Outcome, RunDecision

CanaryKey = tuple[str, str, str]


def run_end_notices(
    key: CanaryKey,
    decisions: Sequence[RunDecision],
    *,
    labels: Mapping[str, str],
    revision: str | None,
    at: datetime,
) -> list[Notice]:
    """A FAILED notice for each run the decisions close as rolled back (or explain later)."""
    cluster, namespace, name = key
    subject = Subject(cluster, namespace, name, dict(labels))
    notices = []
    for decision in decisions:
        if isinstance(decision, EndRun) and decision.outcome is Outcome.ROLLED_BACK:
            notices.append(_failed(subject, decision, key))
        elif isinstance(decision, AmendRunEnd):
            notices.append(
                Notice(
                    transition=Transition.FAILED,
                    subject=subject,
                    at=at,
                    key=f"failed-cause:{'/'.join(key)}:{revision}:{decision.cause}",
                    group=canary_group(cluster, namespace, name, revision),
                    cause=f"{decision.reason} (cause: {decision.cause})",
                )
            )
    return notices


def _failed(subject: Subject, end: EndRun, key: CanaryKey) -> Notice:
    cause = end.reason or "rolled back"
    if end.cause is not None:
        cause += f" (cause: {end.cause})"
    details = {"revision": end.revision or "-", "run took": f"{int(end.duration_seconds)}s"}
    if end.image:
        details["image"] = end.image
    return Notice(
        transition=Transition.FAILED,
        subject=subject,
        at=end.ended_at,
        key=f"failed:{'/'.join(key)}:{end.started_at.isoformat()}",
        group=canary_group(*key, end.revision),
        cause=cause,
        details=details,
    )


def operator_rollback_notice(
    key: CanaryKey,
    *,
    labels: Mapping[str, str],
    revision: str | None,
    actor: str,
    reason: str,
    action_id: int | None,
    at: datetime,
) -> Notice:
    cluster, namespace, name = key
    return Notice(
        transition=Transition.OPERATOR_ROLLBACK,
        subject=Subject(cluster, namespace, name, dict(labels)),
        at=at,
        key=f"operator-rollback:{action_id if action_id is not None else at.isoformat()}",
        group=canary_group(cluster, namespace, name, revision),
        cause=f"{actor}: {reason}",
        details={"revision": revision or "-", "by": actor},
    )


def freeze_notice(
    *,
    started: bool,
    freeze_id: int,
    cluster: str,
    namespace: str | None,
    reason: str,
    actor: str,
    at: datetime,
) -> Notice:
    transition = Transition.FREEZE_STARTED if started else Transition.FREEZE_LIFTED
    return Notice(
        transition=transition,
        subject=Subject(cluster, namespace),
        at=at,
        key=f"{transition}:{freeze_id}",
        group=f"freeze:{freeze_id}",
        cause=reason,
        details={"by": actor, "freeze": f"#{freeze_id}"},
    )


def stale_notice(*, cluster: str, since: datetime, now: datetime, error: str | None) -> Notice:
    """A cluster whose watches have been out of sync since `since` (one key per episode)."""
    seconds = max((now - since).total_seconds(), 0.0)
    return Notice(
        transition=Transition.CLUSTER_STALE,
        subject=Subject(cluster),
        at=now,
        key=f"stale:{cluster}:{since.isoformat()}",
        group=f"stale:{cluster}:{since.isoformat()}",
        cause=error or "the portal's watches of this cluster are disconnected",
        details={"stale since": since.isoformat(timespec="seconds")},
        stale_seconds=seconds,
    )


def dora_level_notice(
    *, metric: str, before: str, after: str, window_days: int, at: datetime
) -> Notice:
    """For the DORA job (not yet wired): a metric's level fell, e.g. elite → high."""
    return Notice(
        transition=Transition.DORA_LEVEL_DROPPED,
        subject=Subject(None),
        at=at,
        key=f"dora:{metric}:{window_days}:{before}>{after}:{at.date().isoformat()}",
        group=f"dora:{at.date().isoformat()}",
        cause=f"{metric}: {before} → {after} over {window_days} days",
        details={"metric": metric, "before": before, "after": after},
    )
