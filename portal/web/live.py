"""Bridge from the ClusterView to the browsers: every change becomes out-of-band fragments.

The watch loop calls `on_change` for each change; it only hands the Broadcaster a key and a
render function. Rendering happens at flush time from the view's *current* state, so a burst
of changes to one object renders once, and a deleted object renders its removal.

Per page topic:
- `canaries`: a changed row replaces itself; when the set of canaries changes, each browser
  refetches its own (filtered) table;
- `overview`: the overview panels (the same for everyone) are re-rendered under one fleet-wide
  key, so at most once per coalescing window however many objects change;
- `canary`: the detail page's status panel; the stored timeline refreshes after it is written;
- `hpas`: a changed row replaces itself; a new or removed HPA refetches the table;
- `dora`: the figures refetch when a canary run has ended (a deployment was recorded);
- `costs`: any node or pod change makes the page refetch its live part (burn rate, namespaces).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from portal.services import fleet
from portal.services.broadcasting import Broadcaster
from portal.services.fleet import Change, ClusterView
from portal.services.sse_selections import ChangeKey
from portal.web.fleet_context import overview_context

PUSHED_KINDS = frozenset({"canaries", "hpas"})
COST_KINDS = frozenset({"nodes", "pods"})
OVERVIEW_KEY = ChangeKey("*", "*", "overview", "panels")
DORA_KEY = ChangeKey("*", "*", "dora", "figures")
COSTS_KEY = ChangeKey("*", "*", "costs", "live")
# The pages each render writes fragments for: a change nobody is watching is not rendered.
CANARY_PAGES = frozenset({"canaries", "canary"})
HPA_PAGES = frozenset({"hpas"})
OVERVIEW_PAGES = frozenset({"overview"})
TIMELINE_PAGES = frozenset({"canary"})
DORA_PAGES = frozenset({"dora"})
COSTS_PAGES = frozenset({"costs"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LivePush:
    def __init__(
        self,
        *,
        app: FastAPI,
        view: ClusterView,
        broadcaster: Broadcaster,
        templates: Jinja2Templates,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.app = app
        self.view = view
        self.broadcaster = broadcaster
        self.templates = templates
        self.clock = clock
        self._structural: set[ChangeKey] = set()

    def on_change(self, change: Change) -> None:
        if change.kind in COST_KINDS:
            # The burn rate and namespace estimate depend on every node and pod: one key.
            self.broadcaster.publish(COSTS_KEY, self._render_costs_refresh, pages=COSTS_PAGES)
            return
        if change.kind not in PUSHED_KINDS:
            return
        key = ChangeKey(change.cluster, change.namespace, change.kind, change.name)
        pages = CANARY_PAGES if change.kind == "canaries" else HPA_PAGES
        if change.type != "MODIFIED" and self.broadcaster.watched(pages):
            # tables on screen refetch for an added or removed row; a browser that opens the
            # page later loads the table as it is, so nobody watching means nothing to mark
            # (the render is skipped and could not clear the mark)
            self._structural.add(key)
        render = self._render_canary if change.kind == "canaries" else self._render_hpa
        self.broadcaster.publish(key, lambda: render(key), pages=pages)
        # The overview shows the whole fleet: one key for it caps its renders at one per window.
        self.broadcaster.publish(OVERVIEW_KEY, self._render_overview, pages=OVERVIEW_PAGES)

    def timeline_changed(self, *, cluster: str, namespace: str, name: str) -> None:
        """Called once stored timeline rows are committed: detail pages refetch them."""
        key = ChangeKey(cluster, namespace, "canary-timeline", name)
        self.broadcaster.publish(
            key, lambda: self._render_timeline_refresh(key), pages=TIMELINE_PAGES
        )

    def run_ended(self, *, cluster: str, namespace: str, name: str) -> None:
        """A canary run ended and its deployment is committed: DORA pages refetch their figures
        (one fleet-wide key, so a burst of endings refetches once per coalescing window)."""
        self.broadcaster.publish(
            DORA_KEY, lambda: {"dora": self._html("dora/_refresh.html", {})}, pages=DORA_PAGES
        )

    def _html(self, template: str, context: Mapping[str, Any]) -> str:
        return self.templates.get_template(template).render({"app": self.app, **context})

    def _render_canary(self, key: ChangeKey) -> dict[str, str]:
        now = self.clock()
        obj = self.view.get("canaries", cluster=key.cluster, namespace=key.namespace, name=key.name)
        fragments: dict[str, str] = {}
        structural = key in self._structural
        self._structural.discard(key)
        if obj is None:
            fragments["canaries"] = self._html("canaries/_refresh.html", {})
            return fragments
        canary = fleet.canary_view(self.view, obj, cluster=key.cluster, now=now)
        fragments["canaries"] = (
            self._html("canaries/_refresh.html", {})
            if structural
            else self._html("canaries/_row.html", {"canary": canary, "oob": True})
        )
        fragments["canary"] = self._html("canaries/_status.html", {"canary": canary, "oob": True})
        return fragments

    def _render_overview(self) -> dict[str, str]:
        now = self.clock()
        canaries = fleet.attention_first(fleet.all_canaries(self.view, now=now))
        hpas = fleet.list_hpas(self.view, now=now)
        context = overview_context(self.view, canaries=canaries, hpas=hpas)
        return {"overview": self._html("overview/_panels.html", {**context, "oob": True})}

    def _render_hpa(self, key: ChangeKey) -> dict[str, str]:
        now = self.clock()
        fragments: dict[str, str] = {}
        structural = key in self._structural
        self._structural.discard(key)
        present = self.view.get("hpas", cluster=key.cluster, namespace=key.namespace, name=key.name)
        if structural or present is None:
            fragments["hpas"] = self._html("hpas/_refresh.html", {})
            return fragments
        hpa = fleet.get_hpa(
            self.view, cluster=key.cluster, namespace=key.namespace, name=key.name, now=now
        )
        fragments["hpas"] = self._html("hpas/_row.html", {"hpa": hpa, "oob": True})
        return fragments

    def _render_costs_refresh(self) -> dict[str, str]:
        return {"costs": self._html("costs/_refresh.html", {})}

    def _render_timeline_refresh(self, key: ChangeKey) -> dict[str, str]:
        canary = {"cluster": key.cluster, "namespace": key.namespace, "name": key.name}
        return {"canary": self._html("canaries/_timeline_refresh.html", {"canary": canary})}
