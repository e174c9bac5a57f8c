"""Last measured canary analysis values from Prometheus (`flagger_canary_metric_analysis`).

Flagger keeps measured values nowhere else but Warning events; showing them next to the
thresholds is what operators ask for most. One instant query per canary page view, with a
short timeout: Prometheus being slow or away never breaks the page, it only says so.

Flagger labels the series with the canary's `spec.targetRef.name` (recorder.go `SetAnalysis`),
not the Canary's name. One Prometheus may scrape several clusters' Flaggers: a series carrying a
`cluster` label (the scrape config's target label) counts only for that cluster; a series
without one (a Prometheus per cluster) counts for any.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

QUERY_TIMEOUT_SECONDS = 2.0
METRIC = "flagger_canary_metric_analysis"
NOT_MEASURED = "no value measured yet"


@dataclass(frozen=True, slots=True)
class MetricValues:
    values: dict[str, float] = field(default_factory=dict)
    note: str = ""


def _selector(namespace: str, name: str) -> str:
    def quoted(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    return f'{METRIC}{{namespace="{quoted(namespace)}",name="{quoted(name)}"}}'


def _parse(body: object, *, cluster: str) -> dict[str, float]:
    if not isinstance(body, dict) or body.get("status") != "success":
        raise ValueError("unexpected answer")
    values: dict[str, float] = {}
    for item in (body.get("data") or {}).get("result") or []:
        labels = item.get("metric") or {}
        metric = labels.get("metric")
        sample = item.get("value") or []
        if labels.get("cluster", cluster) != cluster:
            continue
        if metric and len(sample) == 2:
            values[str(metric)] = float(sample[1])
    return values


async def last_metric_values(
    *, base_url: str | None, cluster: str, namespace: str, target: str
) -> MetricValues:
    if not base_url:
        return MetricValues(note="set PORTAL_PROMETHEUS_URL to see measured values")
    url = base_url.rstrip("/") + "/api/v1/query"
    try:
        async with httpx.AsyncClient(timeout=QUERY_TIMEOUT_SECONDS) as client:
            response = await client.get(url, params={"query": _selector(namespace, target)})
            response.raise_for_status()
            values = _parse(response.json(), cluster=cluster)
    except (httpx.HTTPError, ValueError) as error:
        return MetricValues(note=f"Prometheus unavailable ({type(error).__name__})")
    # the note stands in for every metric Prometheus has no value of: all of them, or some
    return MetricValues(values=values, note=NOT_MEASURED)
