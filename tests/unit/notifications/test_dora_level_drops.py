"""Which DORA level changes are drops, and which rules select a drop: the pure parts."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.dora_level_drops import Seen, Stream, level_changes
from portal.domain.dora_levels import Level
from portal.domain.notification_events import dora_level_notice
from portal.domain.notification_rules import (
    Notice,
    RuleScope,
    Transition,
    parse_selector,
    selects,
)

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
SINCE = datetime(2026, 11, 2, 10, tzinfo=UTC)
DROPS = frozenset({Transition.DORA_LEVEL_DROPPED})


def test_only_a_fall_from_a_seen_level_is_a_drop() -> None:
    seen = {
        "deployment_frequency": Seen(Level.HIGH, SINCE),
        "lead_time": Seen(Level.HIGH, SINCE),
        "change_failure_rate": Seen(Level.ELITE, SINCE),
        "recovery_time": Seen(Level.MEDIUM, SINCE),
    }
    current = {
        "deployment_frequency": Level.MEDIUM,  # drop
        "lead_time": Level.ELITE,  # rise
        "change_failure_rate": Level.ELITE,  # unchanged
        "recovery_time": None,  # no data: keeps medium
    }
    changes = level_changes(seen, current)
    assert [(c.metric, c.after, c.dropped) for c in changes] == [
        ("deployment_frequency", Level.MEDIUM, True),
        ("lead_time", Level.ELITE, False),
    ]


def test_a_first_sighting_is_recorded_without_a_drop() -> None:
    [change] = level_changes({}, {"deployment_frequency": Level.LOW, "lead_time": None})
    assert (change.metric, change.before, change.after, change.dropped) == (
        "deployment_frequency",
        None,
        Level.LOW,
        False,
    )


def drop(cluster: str = "prod", namespace: str = "shop", service: str = "checkout") -> Notice:
    return dora_level_notice(
        Stream(service, cluster, namespace),
        metric="deployment_frequency",
        before=Seen(Level.HIGH, SINCE),
        after=Level.MEDIUM,
        value="0.13 successful deployments a day",
        window_days=30,
        at=NOW,
    )


def test_rules_scope_drops_by_cluster_namespace_and_service() -> None:
    notice = drop()
    assert selects(RuleScope(transitions=DROPS), notice) is True
    for scope, selected in (
        (RuleScope(transitions=DROPS, cluster="prod", namespace="shop"), True),
        (RuleScope(transitions=DROPS, service="checkout"), True),
        (RuleScope(transitions=DROPS, cluster="staging"), False),
        (RuleScope(transitions=DROPS, namespace="search"), False),
        (RuleScope(transitions=DROPS, service="search"), False),
        (RuleScope(transitions=DROPS, canary="checkout"), False),
        (RuleScope(transitions=DROPS, selector=parse_selector("app=checkout")), False),
        (RuleScope(transitions=frozenset({Transition.FAILED})), False),
    ):
        assert selects(scope, notice) is selected, scope


def test_the_same_drop_seen_again_has_the_same_key() -> None:
    assert drop().key == drop().key
    assert drop().key != drop(cluster="staging").key
