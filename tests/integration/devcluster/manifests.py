"""Manifests and paths the devcluster tests share."""

from __future__ import annotations

from typing import Any

CANARIES = "/apis/flagger.app/v1beta1/namespaces/default/canaries"


def canary(name: str = "podinfo", **analysis: Any) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "analysis": {
                "interval": "1m",
                "threshold": 5,
                "stepWeight": 10,
                "maxWeight": 50,
                **analysis,
            },
        },
    }
