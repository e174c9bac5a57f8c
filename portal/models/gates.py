"""The portal as Flagger's gate service: what operators asked for, what Flagger last asked,
and which change freezes hold new releases.

Everything lives in the database so every replica answers a gate call alike and nothing is lost
on restart. Run-bound rows carry Flagger's run checksum (stable within one analysis run, new with
each revision), so a decision about one run never leaks into the next release.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.models.audit import utcnow
from portal.models.timestamps import UtcDateTime

ALWAYS = "*"
"""The checksum of an opening that holds for every run ("always" approvals)."""


def _timestamp(*, nullable: bool = False) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable)


class CanaryActionBase(SQLModel):
    cluster: str = Field(max_length=128)
    namespace: str = Field(max_length=253)
    name: str = Field(max_length=253)
    action: str = Field(max_length=32)
    actor: str = Field(max_length=255)
    reason: str = Field(max_length=500)
    checksum: str | None = Field(default=None, max_length=256)
    revision: str | None = Field(default=None, max_length=128)
    detail: str = Field(default="", max_length=1000)


class CanaryAction(CanaryActionBase, table=True):
    """One operator action that took effect (repeats are audit rows, not new actions).

    `idempotency_key` is unique: for run-bound actions it names target, action and run, so
    concurrent identical requests insert one row and the others find it. State-based actions
    (pause, resume) leave it empty. `reset_pending` marks a promote that set
    `spec.skipAnalysis` and must put it back once the run ends.
    """

    __tablename__ = "canary_actions"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_canary_actions_idempotency_key"),
        Index("ix_canary_actions_target", "cluster", "namespace", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str | None = Field(default=None, max_length=900)
    reset_pending: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class GateOpening(SQLModel, table=True):
    """A gate opened by an operator for one run (its checksum) or for every run (`*`)."""

    __tablename__ = "gate_openings"
    __table_args__ = (
        UniqueConstraint(
            "cluster", "namespace", "name", "gate", "checksum", name="uq_gate_openings_run"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster: str = Field(max_length=128)
    namespace: str = Field(max_length=253)
    name: str = Field(max_length=253)
    gate: str = Field(max_length=32)
    checksum: str = Field(max_length=256)
    template_hash: str | None = Field(default=None, max_length=64)
    """The target's pod template (hash) the operator saw: while a canary is Waiting, Flagger's
    checksum still names the previous revision, so an approval also binds to this."""
    action_id: int | None = Field(default=None, foreign_key="canary_actions.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class GateCall(SQLModel, table=True):
    """The last call Flagger made to one gate of one canary, and the portal's answer.

    `revision` is the canary's `status.lastAppliedSpec` as this replica's view saw it then: it
    ties Flagger's checksum to the revision the API shows, which is how an operator's action
    finds the checksum of the run in progress.
    """

    __tablename__ = "gate_calls"
    __table_args__ = (
        UniqueConstraint("cluster", "namespace", "name", "gate", name="uq_gate_calls_gate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster: str = Field(max_length=128)
    namespace: str = Field(max_length=253)
    name: str = Field(max_length=253)
    gate: str = Field(max_length=32)
    checksum: str = Field(max_length=256)
    revision: str | None = Field(default=None, max_length=128)
    phase: str = Field(max_length=64)
    passed: bool
    answer: str = Field(max_length=1000)
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    held_since: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    """When this gate started holding the run (its first 403 in a row for this checksum)."""


class FreezeBase(SQLModel):
    cluster: str = Field(max_length=128)
    namespace: str | None = Field(default=None, max_length=253)
    reason: str = Field(max_length=500)


class Freeze(FreezeBase, table=True):
    """A change freeze: confirm-rollout gates of a namespace (or a whole cluster) stay closed."""

    __tablename__ = "freezes"
    __table_args__ = (Index("ix_freezes_scope", "cluster", "namespace"),)

    id: int | None = Field(default=None, primary_key=True)
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    lifted_by: str | None = Field(default=None, max_length=255)
    lifted_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class FreezePublic(FreezeBase):
    id: int
    created_by: str
    created_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    active: bool


class GateStateVersion(SQLModel, table=True):
    """One row whose `version` moves (database triggers, migration 0014) with every write to
    gate openings or freezes, whichever replica or tool wrote it: a gate book reloads them
    only when it moved."""

    __tablename__ = "gate_state_version"
    __table_args__ = (CheckConstraint("id = 1", name="ck_gate_state_version_one_row"),)

    id: int = Field(default=1, primary_key=True)
    version: int = Field(sa_column=Column(BigInteger(), nullable=False))
