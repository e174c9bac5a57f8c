"""The image a canary run ships, read from its target workload.

A run's record names the image under test; Flagger's status has only a template hash, so the
service reads the target Deployment (or DaemonSet) from its watch and passes the image along.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal.domain.raw_fields import list_at, mapping_at, optional_str_at


def first_container_image(workload: Mapping[str, Any]) -> str | None:
    """`spec.template.spec.containers[0].image` of a Deployment or DaemonSet, or None."""
    pod_spec = mapping_at(mapping_at(mapping_at(workload, "spec"), "template"), "spec")
    containers = [c for c in list_at(pod_spec, "containers") if isinstance(c, Mapping)]
    return optional_str_at(containers[0], "image") if containers else None
