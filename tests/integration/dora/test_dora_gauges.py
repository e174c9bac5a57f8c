"""The five DORA metrics per service (last 30 days) on /metrics, read with Prometheus' parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from portal.security.roles import Role
from tests.support.apps import RunningApp, signed_in


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_gauges_per_service_and_no_sample_without_data(portal: RunningApp) -> None:
    now = datetime.now(UTC)
    failed, fixed = now - timedelta(days=3), now - timedelta(days=3) + timedelta(hours=1)
    base = {"service": "checkout", "cluster": "prod", "namespace": "shop"}
    async with signed_in(portal, Role.operator) as client:
        for finished, outcome, sha in (
            (failed, "failed", "aaaa1111"),
            (fixed, "success", "bbbb2222"),
        ):
            body = base | {
                "commit_sha": sha,
                "started_at": stamp(finished - timedelta(minutes=5)),
                "finished_at": stamp(finished),
                "outcome": outcome,
            }
            assert (await client.post("/api/v1/dora/deployments", json=body)).status_code == 200
    gauges = portal.app.state.portal.dora_gauges
    await gauges.refresh()
    text = (await portal.client.get("/metrics")).text
    samples = {
        (sample.name, sample.labels.get("service")): sample.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("portal_dora_")
        for sample in family.samples
    }
    assert samples == {
        ("portal_dora_deployments_per_day", "checkout"): 1 / 30,
        ("portal_dora_change_failure_rate", "checkout"): 0.5,
        ("portal_dora_recovery_median_seconds", "checkout"): 3600.0,
        ("portal_dora_rework_rate", "checkout"): 0.5,
    }
