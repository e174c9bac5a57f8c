"""Rule scope, label selectors, backoff and Retry-After: the pure parts of notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.domain.notification_delivery import Backoff, judge_answer, retry_after_seconds
from portal.domain.notification_events import freeze_notice, stale_notice
from portal.domain.notification_rules import (
    Notice,
    Requirement,
    RuleScope,
    SelectorInvalid,
    Subject,
    Transition,
    parse_selector,
    selects,
)

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)


def canary_notice(labels: dict[str, str], *, cluster: str = "prod") -> Notice:
    subject = Subject(cluster, "payments", "ledger", labels)
    return Notice(Transition.FAILED, subject, NOW, key="k", group="g")


def test_selector_terms_parse_like_kubernetes() -> None:
    assert parse_selector("app=web, tier!=db,canary,!legacy,env==prod") == (
        Requirement("app", "=", "web"),
        Requirement("tier", "!=", "db"),
        Requirement("canary", "exists"),
        Requirement("legacy", "absent"),
        Requirement("env", "=", "prod"),
    )
    assert parse_selector("") == ()


@pytest.mark.parametrize("text", ["app=we b", "=web", "a b", "app=" + "x" * 64, "app=web!"])
def test_bad_selectors_are_refused(text: str) -> None:
    with pytest.raises(SelectorInvalid):
        parse_selector(text)


def test_scope_selects_by_cluster_namespace_and_labels() -> None:
    scope = RuleScope(
        transitions=frozenset({Transition.FAILED}),
        cluster="prod",
        namespace="payments",
        selector=parse_selector("team=payments,!legacy"),
    )
    assert selects(scope, canary_notice({"team": "payments"})) is True
    assert selects(scope, canary_notice({"team": "search"})) is False
    assert selects(scope, canary_notice({"team": "payments", "legacy": "1"})) is False
    assert selects(scope, canary_notice({"team": "payments"}, cluster="staging")) is False


def test_a_label_selector_never_selects_a_freeze() -> None:
    freeze = freeze_notice(
        started=True, freeze_id=1, cluster="prod", namespace=None, reason="r", actor="a", at=NOW
    )
    everything = frozenset(Transition)
    assert selects(RuleScope(transitions=everything), freeze) is True
    assert (
        selects(RuleScope(transitions=everything, selector=parse_selector("a=b")), freeze) is False
    )


def test_stale_cluster_waits_for_the_rules_minutes() -> None:
    scope = RuleScope(transitions=frozenset({Transition.CLUSTER_STALE}), stale_minutes=5)
    since = NOW - timedelta(minutes=5)
    assert (
        selects(
            scope,
            stale_notice(cluster="prod", since=since, now=NOW - timedelta(seconds=1), error=None),
        )
        is False
    )
    assert selects(scope, stale_notice(cluster="prod", since=since, now=NOW, error=None)) is True


def test_backoff_doubles_and_retry_after_wins_when_longer() -> None:
    backoff = Backoff(base_seconds=2.0, max_seconds=10.0, max_attempts=5)
    assert [backoff.delay(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]
    verdict = judge_answer(429, error=None, retry_after="30", attempts=1, backoff=backoff, now=NOW)
    assert verdict.retry_at == NOW + timedelta(seconds=30)
    verdict = judge_answer(503, error=None, retry_after="1", attempts=2, backoff=backoff, now=NOW)
    assert verdict.retry_at == NOW + timedelta(seconds=4)
    verdict = judge_answer(500, error=None, retry_after=None, attempts=5, backoff=backoff, now=NOW)
    assert (verdict.gave_up, verdict.error) == (True, "HTTP 500 (gave up after 5 tries)")


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_seconds("Wed, 02 Dec 2026 10:01:00 GMT", now=NOW) == 60.0
    assert retry_after_seconds("soon", now=NOW) is None
