"""Roles and identities: the vocabulary every guard, service and template shares.

Pure: no I/O, no framework. Roles are ordered (viewer < operator < admin); a user holding
several through their groups gets the highest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

AuthMethod = Literal["proxy", "token", "local", "anonymous"]


class Role(StrEnum):
    viewer = "viewer"
    operator = "operator"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        """True when this role may do what `needed` may do."""
        return self.rank >= needed.rank


_RANKS = {Role.viewer: 1, Role.operator: 2, Role.admin: 3}


@dataclass(frozen=True)
class Identity:
    """Who is asking. `role` is None when they are known (or not) but may do nothing."""

    name: str
    role: Role | None
    auth_method: AuthMethod
    email: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def authenticated(self) -> bool:
        return self.auth_method != "anonymous"

    def may(self, needed: Role) -> bool:
        return self.role is not None and self.role.allows(needed)


def highest_role(roles: Iterable[Role]) -> Role | None:
    return max(roles, key=lambda role: role.rank, default=None)


def role_for_groups(
    groups: Iterable[str], mapping: Iterable[tuple[str, Iterable[str]]]
) -> Role | None:
    """The highest role any of `groups` maps to (`mapping`: role, groups), or None."""
    held = set(groups)
    return highest_role(Role(role) for role, members in mapping if held & set(members))


def anonymous(role: str | None) -> Identity:
    return Identity(name="anonymous", role=Role(role) if role else None, auth_method="anonymous")
