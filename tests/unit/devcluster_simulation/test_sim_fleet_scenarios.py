"""The multi-cluster demo's profiles: prod-eu and prod-us large and staggered, staging busy."""

from __future__ import annotations

from collections import Counter

import jsonschema
import pytest

from devcluster.fleet_scenarios import FLEET, PROFILES
from devcluster.scenarios import scenario_objects
from devcluster.simulation.canary_model import Strategy, parse_canary
from devcluster.simulation.release_driver import is_bad_release
from tests.unit.devcluster_simulation.test_sim_scenarios import GATE, canary_schema, of_kind


def kinds(scenario: str) -> Counter[str]:
    objects = scenario_objects(scenario=scenario, gate_base_url=GATE, gate_token="t0k")
    return Counter(obj["kind"] for obj in objects)


def test_the_production_clusters_hold_21_canaries_in_four_teams_each() -> None:
    assert kinds("prod-eu")["Canary"] == 11
    assert kinds("prod-us")["Canary"] == 10
    for name in ("prod-eu", "prod-us"):
        namespaces = {s.namespace for s in PROFILES[name].services}
        assert namespaces == {"identity", "payments", "search", "shop"}


def test_every_cluster_has_its_own_nodes_and_hpas() -> None:
    assert {
        name: (kinds(name)["Node"], kinds(name)["HorizontalPodAutoscaler"]) for name in FLEET
    } == {
        "prod-eu": (6, 6),
        "prod-us": (5, 5),
        "staging": (3, 3),
    }
    regions = {name: {node.zone[:-1] for node in PROFILES[name].nodes} for name in FLEET}
    assert regions == {
        "prod-eu": {"eu-west-1"},
        "prod-us": {"us-east-1"},
        "staging": {"eu-central-1"},
    }


def test_releases_are_staggered_and_staging_releases_often_and_fails_more() -> None:
    eu, us, staging = (PROFILES[name] for name in FLEET)
    assert (eu.first_release_seconds, us.first_release_seconds) == (60.0, 135.0)
    assert staging.release_seconds < eu.release_seconds
    bad = [n for n in range(6) if is_bad_release(number=n, every=staging.bad_every)]
    assert bad == [1, 3, 5]
    assert [n for n in range(6) if is_bad_release(number=n, every=eu.bad_every)] == [2, 5]


@pytest.mark.parametrize("scenario", FLEET)
def test_fleet_canaries_are_valid_and_cover_the_strategies(scenario: str) -> None:
    validator = jsonschema.Draft202012Validator(canary_schema())
    canaries = of_kind(
        scenario_objects(scenario=scenario, gate_base_url=GATE, gate_token="t0k"), "Canary"
    )
    assert [e.message for c in canaries for e in validator.iter_errors(c)] == []
    strategies = {parse_canary(obj=c).analysis.strategy for c in canaries}
    expected = {Strategy.CANARY, Strategy.BLUE_GREEN}
    assert strategies == (expected if scenario == "staging" else set(Strategy))
