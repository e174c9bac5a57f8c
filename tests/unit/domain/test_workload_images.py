"""The image of a canary's target workload."""

from __future__ import annotations

from typing import Any

from portal.domain.workload_images import first_container_image


def deployment(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "podinfo", "namespace": "test"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "podinfo"}},
            "template": {
                "metadata": {"labels": {"app": "podinfo"}},
                "spec": {"containers": containers},
            },
        },
    }


def test_first_container_image_is_the_run_image() -> None:
    containers = [
        {"name": "podinfod", "image": "ghcr.io/stefanprodan/podinfo:6.7.1"},
        {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0"},
    ]
    assert first_container_image(deployment(containers)) == "ghcr.io/stefanprodan/podinfo:6.7.1"


def test_workload_without_containers_has_no_image() -> None:
    assert first_container_image(deployment([])) is None
    assert first_container_image({"kind": "Deployment"}) is None
