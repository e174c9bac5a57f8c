"""Whether a retry made Flagger start a new run, and if not, why (pure; see actions_following).

Flagger can miss a retry's new template: a Failed canary's status is synced every tick before the
change check (scheduler.go:861-867 at v1.44.0), so a tick that stops early (primary not ready)
stores the new hash and no later tick sees a change; a template equal to `lastPromotedSpec` is
never a new revision (canary/spec.go:32-49).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.domain.canaries import CanaryView

VERDICT_INTERVALS = 2
NOT_STARTED = "Flagger did not start a new run"


def retry_verdict(
    canary: CanaryView,
    *,
    failed_revision: str | None,
    requested_at: datetime,
    now: datetime,
    window_seconds: float | None = None,
) -> tuple[str, str] | None:
    """(outcome, detail) once known, None while Flagger may still start the run."""
    if canary.phase != "Failed" and canary.revision != failed_revision:
        return "applied", f"Flagger started a new run ({canary.phase}, revision {canary.revision})"
    window = window_seconds or VERDICT_INTERVALS * canary.interval_seconds
    if now - requested_at < timedelta(seconds=window):
        return None
    return "not started", f"{NOT_STARTED}: {_why_not(canary, failed_revision=failed_revision)}"


def _why_not(canary: CanaryView, *, failed_revision: str | None) -> str:
    if canary.suspended:
        return "the canary is paused (spec.suspend: true); resume it and retry"
    if canary.revision is not None and canary.revision == canary.last_promoted_spec:
        return (
            "the target's template is the last promoted one (lastPromotedSpec), which Flagger "
            "never treats as a new revision"
        )
    if canary.revision != failed_revision:
        return (
            "it recorded the new template on the Failed canary without starting a run (a tick "
            "that stopped early, e.g. while the primary was not ready, loses it); retry again "
            "once the primary is ready"
        )
    return (
        f"the canary's revision did not change within {VERDICT_INTERVALS} analysis intervals "
        "(is Flagger running and watching this namespace?)"
    )
