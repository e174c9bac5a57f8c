"""The multi-cluster demo fleet: `prod-eu`, `prod-us` and `staging` as scenarios of their own.

Each is a profile: its team namespaces and services (canaries in every Flagger strategy, HPAs on
about half), its EKS nodes, and its release train's cadence. The production clusters are larger
(21 canaries between them) and release in turn, staggered; `staging` releases often and every
second release there is bad. `demo` (one cluster, six canaries) is the single-cluster profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devcluster.scenarios import (
    DEMO_NODES,
    DEMO_SERVICES,
    INITIAL_VERSION,
    DemoNode,
    DemoService,
    canary_object,
    deployment_object,
    hpa_object,
    namespace_object,
    node_object,
)

RELEASE_SECONDS = 240.0
BAD_EVERY = 3


@dataclass(frozen=True)
class Profile:
    """One scenario's objects and its release train."""

    services: tuple[DemoService, ...]
    nodes: tuple[DemoNode, ...]
    release_seconds: float = RELEASE_SECONDS
    """Simulated seconds between two releases of the train."""
    first_release_seconds: float = RELEASE_SECONDS
    """Simulated seconds before the train's first release (staggers clusters)."""
    bad_every: int = BAD_EVERY
    """Every n-th release fails its analysis."""


_SHAPES: tuple[dict[str, Any], ...] = (
    {"interval": "30s", "threshold": 3, "maxWeight": 50, "stepWeight": 10},
    {"interval": "30s", "threshold": 2, "stepWeights": [5, 10, 25, 50, 80]},
    {"interval": "1m", "threshold": 2, "iterations": 5},
    {
        "interval": "30s",
        "threshold": 3,
        "iterations": 6,
        "match": [{"headers": {"x-canary": {"exact": "insider"}}}],
    },
)
_STAGING_SHAPES: tuple[dict[str, Any], ...] = (
    {"interval": "15s", "threshold": 2, "maxWeight": 50, "stepWeight": 25},
    {"interval": "15s", "threshold": 1, "iterations": 3},
)


def _services(
    teams: dict[str, tuple[str, ...]],
    *,
    shapes: tuple[dict[str, Any], ...],
    openings: dict[str, str] | None = None,
) -> tuple[DemoService, ...]:
    found = []
    index = 0
    for namespace, names in teams.items():
        for name in names:
            opening = (openings or {}).get(f"{namespace}/{name}", "")
            found.append(
                DemoService(
                    namespace,
                    name,
                    shapes[index % len(shapes)],
                    replicas=2 + index % 3,
                    cpu=("250m", "500m", "1")[index % 3],
                    memory=("256Mi", "512Mi", "1Gi")[index % 3],
                    hpa=(2, 6 + 2 * (index % 4)) if index % 2 == 0 else None,
                    initial_load=round(0.35 + 0.1 * (index % 5), 2),
                    opening=opening,
                    progress_deadline_seconds=120 if opening else 600,
                )
            )
            index += 1
    return tuple(found)


def _nodes(region: str, spec: tuple[tuple[str, str, str, int, int], ...]) -> tuple[DemoNode, ...]:
    return tuple(
        DemoNode(
            f"ip-10-{10 + i}-{i % 3 + 1}-{20 + 7 * i}.{region}.compute.internal",
            instance_type,
            capacity,
            f"{region}{zone}",
            cpu,
            memory,
        )
        for i, (instance_type, capacity, zone, cpu, memory) in enumerate(spec)
    )


PROFILES: dict[str, Profile] = {
    "demo": Profile(services=DEMO_SERVICES, nodes=DEMO_NODES),
    "prod-eu": Profile(
        services=_services(
            {
                "shop": ("frontend", "cart", "catalog", "recommendations"),
                "payments": ("checkout", "ledger", "fraud-check"),
                "search": ("indexer", "query-api"),
                "identity": ("auth", "profile"),
            },
            shapes=_SHAPES,
            openings={"payments/ledger": "primary-breaks"},
        ),
        nodes=DEMO_NODES,
        release_seconds=150.0,
        first_release_seconds=60.0,
    ),
    "prod-us": Profile(
        services=_services(
            {
                "shop": ("frontend", "cart", "catalog"),
                "payments": ("checkout", "ledger", "billing"),
                "search": ("query-api", "autocomplete"),
                "identity": ("auth", "sessions"),
            },
            shapes=_SHAPES[1:] + _SHAPES[:1],
            openings={"search/query-api": "never-ready"},
        ),
        nodes=_nodes(
            "us-east-1",
            (
                ("m5.xlarge", "ON_DEMAND", "a", 4, 16),
                ("m5.xlarge", "ON_DEMAND", "b", 4, 16),
                ("m6i.2xlarge", "ON_DEMAND", "c", 8, 32),
                ("c6i.xlarge", "SPOT", "a", 4, 8),
                ("m6i.large", "SPOT", "b", 2, 8),
            ),
        ),
        release_seconds=150.0,
        first_release_seconds=135.0,
    ),
    "staging": Profile(
        services=_services(
            {
                "shop": ("frontend", "cart"),
                "payments": ("checkout",),
                "search": ("query-api",),
                "identity": ("auth",),
                "platform": ("gateway",),
            },
            shapes=_STAGING_SHAPES,
        ),
        nodes=_nodes(
            "eu-central-1",
            (
                ("t3.large", "SPOT", "a", 2, 8),
                ("t3.large", "SPOT", "b", 2, 8),
                ("m6i.large", "ON_DEMAND", "c", 2, 8),
            ),
        ),
        release_seconds=45.0,
        first_release_seconds=20.0,
        bad_every=2,
    ),
}
FLEET = ("prod-eu", "prod-us", "staging")


def profile_objects(
    *, scenario: str, gate_base_url: str | None, gate_token: str | None
) -> list[dict[str, Any]]:
    """Every object a profile seeds, namespaces first, in creation order."""
    profile = PROFILES[scenario]
    namespaces = sorted({service.namespace for service in profile.services})
    objects = [namespace_object(name=name) for name in namespaces]
    objects += [node_object(node=node) for node in profile.nodes]
    for service in profile.services:
        objects.append(deployment_object(service=service, version=INITIAL_VERSION))
        if service.hpa is not None:
            objects.append(hpa_object(service=service))
        objects.append(
            canary_object(service=service, gate_base_url=gate_base_url, gate_token=gate_token)
        )
    return objects
