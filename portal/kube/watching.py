"""Keep the ClusterView in sync: one list+watch per kind per cluster, in three tiers.

1. forever: reconnect after any failure with capped, jittered exponential backoff;
2. list (paginated), replace the view, then watch from the list's resourceVersion;
3. one streaming watch call with a server timeout and bookmarks; when it ends normally,
   watch again from the last resourceVersion seen. `410 Gone` goes back to tier 2 at once.

Raw JSON dicts all the way (kubernetes-asyncio's ApiClient with `_preload_content=False`):
decoding into the generated models is ~15x slower and the portal builds its own views.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import aiohttp
import structlog
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException

from portal.kube.kinds import Kind
from portal.kube.view import ChangeType, ClusterView, RawObject

log = structlog.get_logger("portal.watching")

LIST_PAGE_SIZE = 500
WATCH_EVENT_TYPES: frozenset[str] = frozenset({"ADDED", "MODIFIED", "DELETED"})


class ResourceGone(Exception):
    """The resourceVersion we hold is older than the server's history: relist."""


class WatchFailed(Exception):
    """The server ended a watch with an error other than 410."""


@dataclass(frozen=True, slots=True)
class WatchTiming:
    """Timeouts and backoff; tests shrink them, production keeps the defaults."""

    server_timeout_seconds: int = 290
    request_timeout_seconds: float = 15.0
    backoff_initial_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class WatchTarget:
    cluster: str
    kind: Kind
    scope: str | None  # a namespace, or None for the whole cluster

    @property
    def name(self) -> str:
        return f"watch:{self.cluster}:{self.kind.key}:{self.scope or '*'}"


def backoff_delay(attempt: int, timing: WatchTiming, rng: random.Random) -> float:
    """Exponential, capped, with jitter between half and the full delay."""
    ceiling = min(timing.backoff_cap_seconds, timing.backoff_initial_seconds * 2.0**attempt)
    return ceiling * rng.uniform(0.5, 1.0)


async def _get(
    client: ApiClient, path: str, query: list[tuple[str, Any]], limits: aiohttp.ClientTimeout
) -> aiohttp.ClientResponse:
    response = await client.call_api(
        path,
        "GET",
        query_params=query,
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
        _preload_content=False,
        _request_timeout=limits,
    )
    response = cast(aiohttp.ClientResponse, response)
    if not 200 <= response.status <= 299:
        # With _preload_content=False the client hands back any status: check it here.
        async with response:
            body = await response.text()
        raise ApiException(status=response.status, reason=_status_message(body, response))
    return response


def _status_message(body: str, response: aiohttp.ClientResponse) -> str:
    try:
        status = json.loads(body)
    except ValueError:
        return response.reason or ""
    return str(status.get("message") or response.reason or "") if isinstance(status, dict) else ""


def _selectors(kind: Kind) -> list[tuple[str, Any]]:
    return [("fieldSelector", kind.field_selector)] if kind.field_selector else []


async def list_objects(
    client: ApiClient, target: WatchTarget, timing: WatchTiming
) -> tuple[list[RawObject], str]:
    """All objects (following `continue`) and the list's resourceVersion."""
    timeout = aiohttp.ClientTimeout(total=timing.request_timeout_seconds)
    objects: list[RawObject] = []
    token: str | None = None
    while True:
        query = [("limit", LIST_PAGE_SIZE), *_selectors(target.kind)]
        if token:
            query.append(("continue", token))
        response = await _get(client, target.kind.path(target.scope), query, timeout)
        async with response:
            body = await response.json()
        objects.extend(body.get("items") or [])
        metadata = body.get("metadata") or {}
        token = metadata.get("continue")
        if not token:
            return objects, str(metadata.get("resourceVersion") or "")


async def watch_events(
    client: ApiClient, target: WatchTarget, timing: WatchTiming, version: str
) -> AsyncIterator[dict[str, Any]]:
    """The events of one watch call, until the server closes it."""
    query = [
        ("watch", "true"),
        ("resourceVersion", version),
        ("allowWatchBookmarks", "true"),
        ("timeoutSeconds", timing.server_timeout_seconds),
        *_selectors(target.kind),
    ]
    timeout = aiohttp.ClientTimeout(
        sock_connect=timing.request_timeout_seconds,
        sock_read=timing.server_timeout_seconds + timing.request_timeout_seconds,
    )
    response = await _get(client, target.kind.path(target.scope), query, timeout)
    async with response:
        while line := await response.content.readline():
            if line.strip():
                yield json.loads(line)


def _check_error(event: dict[str, Any]) -> None:
    status = event.get("object") or {}
    if status.get("code") == 410:
        raise ResourceGone(status.get("message", "resource version too old"))
    raise WatchFailed(f"{status.get('reason')}: {status.get('message')}")


async def follow(
    client: ApiClient, target: WatchTarget, view: ClusterView, timing: WatchTiming, version: str
) -> str:
    """Tier 3: apply one watch call's events to the view; return the last resourceVersion."""
    async for event in watch_events(client, target, timing, version):
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            _check_error(event)
        version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
        if kind in WATCH_EVENT_TYPES:
            change = cast(ChangeType, kind)
            view.apply(cluster=target.cluster, kind=target.kind.key, change_type=change, obj=obj)
        view.mark_in_sync(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
    return version


async def sync_once(
    client: ApiClient, target: WatchTarget, view: ClusterView, timing: WatchTiming
) -> None:
    """Tier 2: list, replace, then follow watches until something breaks."""
    objects, version = await list_objects(client, target, timing)
    view.replace(cluster=target.cluster, kind=target.kind.key, scope=target.scope, objects=objects)
    while True:
        version = await follow(client, target, view, timing, version)


def _describe(error: BaseException) -> str:
    if isinstance(error, ApiException):
        return f"HTTP {error.status} {error.reason}".strip()
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text


async def keep_watching(
    client: ApiClient,
    target: WatchTarget,
    view: ClusterView,
    timing: WatchTiming,
    rng: random.Random | None = None,
) -> None:
    """Tier 1: never give up; 410 relists at once, anything else backs off first."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    state = view.register_watch(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
    attempt = 0
    first = True
    while True:
        if not first:
            view.mark_restart(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
        first = False
        synced_before = state.last_sync
        try:
            await sync_once(client, target, view, timing)
        except (ResourceGone, ApiException) as error:
            gone = isinstance(error, ResourceGone) or getattr(error, "status", None) == 410
            _note_failure(view, target, error)
            if gone:
                attempt = 0
                continue
        except (aiohttp.ClientError, TimeoutError, WatchFailed, ValueError) as error:
            _note_failure(view, target, error)
        except Exception as error:  # anything unforeseen: shown as stale and retried, never the end
            log.exception("watch failed unexpectedly", watch=target.name)
            _note_failure(view, target, error)
        if state.last_sync != synced_before:
            attempt = 0  # it worked for a while: start the backoff again from the bottom
        delay = backoff_delay(attempt, timing, rng)
        attempt += 1
        await asyncio.sleep(delay)


def _note_failure(view: ClusterView, target: WatchTarget, error: BaseException) -> None:
    reason = _describe(error)
    log.warning("watch interrupted", watch=target.name, error=reason)
    view.mark_disconnected(
        cluster=target.cluster,
        kind=target.kind.key,
        scope=target.scope,
        error=reason,
        restart=False,
    )
