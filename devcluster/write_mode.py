"""How one write is made: strict field validation, dry run, server-side apply, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field

from devcluster.managed_fields import Path as FieldPath


@dataclass
class WriteMode:
    """How a write is made: strict field validation, dry run, and the warnings it collected."""

    strict: bool = False
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)
    applied: frozenset[FieldPath] | None = None  # server-side apply: the config's fields

    @property
    def operation(self) -> str:
        return "Update" if self.applied is None else "Apply"
