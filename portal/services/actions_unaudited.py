"""An action whose database failed after its effect may have reached the cluster: it is never
answered as a success, and never as "nothing changed" either.

The audit row is committed as "requested" before any Kubernetes call (actions_audit.py), so an
effect always has a row; what can fail is completing it. The answer (503) then says what was
done in the cluster and which audit row still says "requested", and the portal logs it.
"""

from __future__ import annotations

import structlog

from portal.db import unavailable_cause
from portal.errors import ServiceUnavailable

log = structlog.get_logger("portal.actions")
RETRY_AFTER_SECONDS = 5


class ActionNotAudited(ServiceUnavailable):
    """The action's effect was (or may have been) made; its audit row could not be completed."""


def not_audited(
    error: Exception, *, action: str, target: str, audit_id: int, done: str | None
) -> ActionNotAudited:
    cause = unavailable_cause(error) or type(error).__name__
    made = (
        f"the cluster change was made ({done})"
        if done is not None
        else "the action may have reached the cluster"
    )
    detail = (
        f"{action} of {target}: {made}, but its audit row #{audit_id} could not be completed "
        f"({cause}) and still says 'requested'; check the canary before trying again"
    )
    log.error(
        "action not fully audited",
        action=action,
        target=target,
        audit_id=audit_id,
        done=done,
        cause=cause,
    )
    return ActionNotAudited(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
