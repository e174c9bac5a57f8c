"""What a canary page says beside a threshold Prometheus has no value for, over Prometheus's
HTTP API (a canned answer from a local server: one metric of two measured)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from portal.services.prometheus import last_metric_values
from tests.support.servers import serve_app

ANSWER = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [
            {
                "metric": {
                    "__name__": "flagger_canary_metric_analysis",
                    "cluster": "staging",
                    "namespace": "platform",
                    "name": "gateway",
                    "metric": "request-success-rate",
                },
                "value": [1764686400.0, "91.3"],
            }
        ],
    },
}


async def query(request: Request) -> JSONResponse:
    assert request.query_params["query"] == (
        'flagger_canary_metric_analysis{namespace="platform",name="gateway"}'
    )
    return JSONResponse(ANSWER)


async def test_a_metric_not_measured_yet_says_so_beside_one_that_was() -> None:
    app = Starlette(routes=[Route("/api/v1/query", query)])
    async with serve_app(app) as url:
        found = await last_metric_values(
            base_url=url, cluster="staging", namespace="platform", target="gateway"
        )
    assert (found.values, found.note) == ({"request-success-rate": 91.3}, "no value measured yet")
