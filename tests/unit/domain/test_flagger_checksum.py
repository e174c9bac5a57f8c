"""The run checksum is computed from the Canary's status exactly as Flagger v1.44.0 does
(pkg/controller/webhook.go:144-154, pkg/canary/spec.go:54-66), by the portal and by devcluster
alike."""

from __future__ import annotations

import pytest

from devcluster.simulation.hashing import run_checksum
from portal.domain.flagger_checksum import (
    flagger_checksum,
    fnv32a,
    observed_checksum,
    safe_encode,
    spew_text,
)

STRUCT = "(struct { TrackedConfigs *map[string]string; LastAppliedSpec string })"


def test_spew_prints_a_nil_map_and_the_string_with_their_types() -> None:
    assert spew_text(last_applied_spec="5d8f9c7b6a", tracked_configs=None) == (
        STRUCT + '{TrackedConfigs:(*map[string]string)<nil> LastAppliedSpec:(string)"5d8f9c7b6a"}'
    )


def test_spew_sorts_map_keys_and_tells_an_empty_map_from_nil() -> None:
    configs = {"secret/db": "b2", "configmap/app": "a1"}
    assert spew_text(last_applied_spec="x", tracked_configs=configs) == (
        STRUCT + "{TrackedConfigs:(*map[string]string)"
        'map["configmap/app":"a1" "secret/db":"b2"] LastAppliedSpec:(string)"x"}'
    )
    assert "(*map[string]string)map[] " in spew_text(last_applied_spec="x", tracked_configs={})


def test_the_checksum_is_fnv32a_of_that_text_in_the_safe_alphabet() -> None:
    text = spew_text(last_applied_spec="x", tracked_configs=None)
    assert flagger_checksum(last_applied_spec="x", tracked_configs=None) == safe_encode(
        str(fnv32a(text.encode()))
    )
    assert fnv32a(b"") == 0x811C9DC5
    assert fnv32a(b"a") == 0xE40C292C
    assert safe_encode("0123") == "4567"  # ord("0") = 48, 48 % 27 = 21: "4"


@pytest.mark.parametrize("configs", [None, {}, {"secret/db": "b2", "configmap/app": "a1"}])
def test_devcluster_sends_the_checksum_the_portal_computes(
    configs: dict[str, str] | None,
) -> None:
    assert run_checksum(last_applied_spec="rev1", tracked_configs=configs) == flagger_checksum(
        last_applied_spec="rev1", tracked_configs=configs
    )


def test_the_observed_checksum_comes_from_the_watched_status() -> None:
    canary = {"status": {"lastAppliedSpec": "rev1", "trackedConfigs": {"secret/db": "b2"}}}
    assert observed_checksum(canary) == flagger_checksum(
        last_applied_spec="rev1", tracked_configs={"secret/db": "b2"}
    )
    assert observed_checksum({"status": {"lastAppliedSpec": "rev1"}}) == flagger_checksum(
        last_applied_spec="rev1", tracked_configs=None
    )
    assert observed_checksum({"status": {"phase": "Initializing"}}) is None
    assert observed_checksum({}) is None
