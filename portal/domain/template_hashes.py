"""A short hash of a Deployment's pod template, as the portal's view shows it.

While a canary waits at confirm-rollout, Flagger's checksum still names the previous revision
(pkg/controller/webhook.go:144-154 hashes `status.lastAppliedSpec`, which Flagger only moves
when the new revision starts: scheduler.go:852-859, 896-904 at v1.44.0). An approval therefore
also records which pod template the operator was looking at, and holds when it changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

HASH_LENGTH = 16


def template_hash(raw_deployment: Mapping[str, Any] | None) -> str | None:
    """`spec.template` hashed (canonical JSON, SHA-256, 16 hex digits); None without one."""
    if raw_deployment is None:
        return None
    spec = raw_deployment.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    if not isinstance(template, Mapping):
        return None
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]
