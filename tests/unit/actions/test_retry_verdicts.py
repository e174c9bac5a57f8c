"""A retry's verdict: applied once Flagger started a new run, else why it did not (issue 10.4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal.domain.canaries import CanaryView, build_canary_view
from portal.domain.retry_verdicts import retry_verdict

ASKED = datetime(2026, 11, 25, 12, tzinfo=UTC)


def canary(
    phase: str, *, applied: str, promoted: str = "good", suspend: bool = False
) -> CanaryView:
    obj: dict[str, Any] = {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "targetRef": {"kind": "Deployment", "name": "web"},
            "suspend": suspend,
            "analysis": {"interval": "30s"},
        },
        "status": {"phase": phase, "lastAppliedSpec": applied, "lastPromotedSpec": promoted},
    }
    return build_canary_view(obj, cluster="prod", now=ASKED)


def verdict(view: CanaryView, *, after: float) -> tuple[str, str] | None:
    now = ASKED + timedelta(seconds=after)
    return retry_verdict(view, failed_revision="bad", requested_at=ASKED, now=now)


def test_a_new_run_is_applied_as_soon_as_it_shows() -> None:
    assert verdict(canary("Progressing", applied="retried"), after=5) == (
        "applied",
        "Flagger started a new run (Progressing, revision retried)",
    )


def test_no_verdict_within_two_intervals() -> None:
    assert verdict(canary("Failed", applied="bad"), after=59) is None


def test_a_lost_retry_says_flagger_stored_the_template_without_a_run() -> None:
    outcome, detail = verdict(canary("Failed", applied="retried"), after=60) or ("", "")
    assert outcome == "not started"
    assert detail.startswith(
        "Flagger did not start a new run: it recorded the new template on the Failed canary"
    )


def test_a_revert_to_the_last_promoted_template_is_named() -> None:
    assert verdict(canary("Failed", applied="good"), after=60) == (
        "not started",
        "Flagger did not start a new run: the target's template is the last promoted one "
        "(lastPromotedSpec), which Flagger never treats as a new revision",
    )


def test_a_paused_canary_is_named() -> None:
    outcome, detail = verdict(canary("Failed", applied="bad", suspend=True), after=61) or ("", "")
    assert (outcome, detail) == (
        "not started",
        "Flagger did not start a new run: the canary is paused (spec.suspend: true); resume it "
        "and retry",
    )
