"""Table models by feature. Importing this package registers every table on SQLModel.metadata,
which Alembic compares against the migrations."""

from portal.models.audit import AuditEvent
from portal.models.costs import CostSnapshot
from portal.models.dora import (
    Change,
    Deployment,
    DeploymentChange,
    GithubDelivery,
    Incident,
    Push,
)
from portal.models.gates import CanaryAction, Freeze, GateCall, GateOpening, GateStateVersion
from portal.models.notifications import (
    DoraLevelState,
    NotificationChannel,
    NotificationOutbox,
    NotificationRule,
    NotificationState,
)
from portal.models.timeline import CanaryRun, HpaSample, TimelineEntry
from portal.models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CanaryAction",
    "CanaryRun",
    "Change",
    "CostSnapshot",
    "Deployment",
    "DeploymentChange",
    "DoraLevelState",
    "Freeze",
    "GateCall",
    "GateOpening",
    "GateStateVersion",
    "GithubDelivery",
    "HpaSample",
    "Incident",
    "NotificationChannel",
    "NotificationOutbox",
    "NotificationRule",
    "NotificationState",
    "Push",
    "TimelineEntry",
]
