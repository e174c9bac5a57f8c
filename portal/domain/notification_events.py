"""Notices for the one-off transitions: a run that failed (with its cause), an operator's
rollback, a freeze started or lifted, a cluster gone stale, a DORA level that dropped.

`dora_level_notice` is written by `portal.services.notification_dora_levels` in the transaction
that records the new level. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from portal.domain.dora_level_drops import METRIC_TITLES, Seen, Stream
from portal.domain.dora_levels import Level
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
    stream: Stream,
    *,
    metric: str,
    before: Seen,
    after: Level,
    value: str,
    window_days: int,
    at: datetime,
) -> Notice:
    """A metric's level fell (e.g. high → medium). The key names the level it fell from and
    since when that level held, so the same drop seen again (a restart, a second evaluator)
    is one notice; the drops of one evaluation of one service go out as one message."""
    place = f"{stream.cluster}/{stream.namespace}/{stream.service}"
    title = METRIC_TITLES.get(metric, metric)
    return Notice(
        transition=Transition.DORA_LEVEL_DROPPED,
        subject=Subject(stream.cluster or None, stream.namespace or None, service=stream.service),
        at=at,
        key=f"dora:{place}:{metric}:{before.level}>{after}:{before.since.isoformat()}",
        group=f"dora:{place}@{at.isoformat()}",
        cause=f"{title}: {before.level} → {after} over the last {window_days} days",
        details={
            "service": stream.service,
            "metric": title,
            "before": str(before.level),
            "after": str(after),
            "value": value,
            f"{before.level} since": before.since.isoformat(timespec="seconds"),
        },
    )
