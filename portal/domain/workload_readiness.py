"""Whether a canary's workloads are ready, read from the watched Deployments.

Flagger checks the primary's readiness before anything else in a tick and the canary's before
any rollback hook (scheduler.go:295-310 and 354-378 at v1.44.0): an action's effect depends on
them. A Deployment reads ready when every desired replica is ready; a missing Deployment, one
scaled to zero or a kind the portal does not watch is unknown (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal.domain.raw_fields import int_at, mapping_at


def deployment_ready(obj: Mapping[str, Any] | None) -> bool | None:
    """True when all desired replicas are ready, False when some are not, None when unknown."""
    if obj is None:
        return None
    desired = int_at(mapping_at(obj, "spec"), "replicas", default=1)
    if desired <= 0:
        return None
    return int_at(mapping_at(obj, "status"), "readyReplicas") >= desired
