"""What changed (`ChangeKey`) and what a browser wants to hear about (`Selection`).

A change is published per Kubernetes object; a stream subscribes per page. Keeping both small,
frozen and hashable lets the broadcaster coalesce by object and match subscribers with a few
attribute comparisons, without knowing anything about the pages themselves.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from portal.errors import Unprocessable

PAGE_TOPICS: frozenset[str] = frozenset({"overview", "canaries", "hpas", "dora", "costs"})
"""List pages: a subscriber may narrow them to a cluster and a namespace."""

DETAIL_TOPICS: frozenset[str] = frozenset({"canary"})
"""Detail pages: a subscriber names the one object (cluster, namespace and name)."""


@dataclass(frozen=True, slots=True)
class ChangeKey:
    """One Kubernetes object as the watch loop sees it; changes coalesce per key."""

    cluster: str
    namespace: str
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Selection:
    """One stream's filter: a page topic, optionally narrowed; `None` means any."""

    page: str
    cluster: str | None = None
    namespace: str | None = None
    name: str | None = None

    def matches(self, key: ChangeKey) -> bool:
        """Whether a fragment rendered for `key` under this page topic concerns this stream.

        Any kind matches: `render()` decides which kinds produce a fragment for a topic.
        """
        return (
            (self.cluster is None or self.cluster == key.cluster)
            and (self.namespace is None or self.namespace == key.namespace)
            and (self.name is None or self.name == key.name)
        )


def select_stream(
    *,
    page: str,
    cluster: str | None = None,
    namespace: str | None = None,
    name: str | None = None,
    pages: Collection[str] = PAGE_TOPICS,
    details: Collection[str] = DETAIL_TOPICS,
) -> Selection:
    """Validate a stream request's query into a `Selection`, or say exactly what is wrong."""
    cluster, namespace, name = (value or None for value in (cluster, namespace, name))
    if page in details:
        if cluster is None or namespace is None or name is None:
            raise Unprocessable(f"page={page} needs cluster, namespace and name")
    elif page in pages:
        if name is not None:
            raise Unprocessable(f"name applies only to {_listing(details)}, not page={page}")
    else:
        known = _listing(set(pages) | set(details))
        raise Unprocessable(f"unknown page {page!r}: expected one of {known}")
    return Selection(page=page, cluster=cluster, namespace=namespace, name=name)


def _listing(topics: Collection[str]) -> str:
    return ", ".join(f"page={topic}" for topic in sorted(topics))
