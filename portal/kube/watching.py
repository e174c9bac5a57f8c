"""Keep the ClusterView in sync: one list+watch per kind per cluster, in three tiers.

1. forever: reconnect after any failure with capped, jittered exponential backoff, waiting
   longer when a 429 or 5xx answer asks to (`Retry-After`, at most 60 s);
2. list (paginated), replace the view, then watch from the list's resourceVersion;
3. one streaming watch call with a server timeout and bookmarks; when it ends, normally or
   not (a stream cut mid-event, a refused connection, a 5xx, an API server away for a minute),
   watch again from the last resourceVersion seen, without listing again. Only `410 Gone`
   (that version is older than the server's history) goes back to tier 2, at once.

Raw JSON dicts all the way (kubernetes-asyncio's ApiClient with `_preload_content=False`):
decoding into the generated models is ~15x slower and the portal builds its own views.
Upstream semantics followed here are cited in docs/flagger-fidelity.md ("Watching through API
server faults").
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, NoReturn, cast

import aiohttp
import structlog
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException

from portal.kube.kinds import Kind
from portal.kube.view import ChangeType, ClusterView, RawObject
from portal.kube.watch_timing import WatchTiming, retry_delay

log = structlog.get_logger("portal.watching")

LIST_PAGE_SIZE = 500
WATCH_EVENT_TYPES: frozenset[str] = frozenset({"ADDED", "MODIFIED", "DELETED"})


class ResourceGone(Exception):
    """The resourceVersion we hold is older than the server's history: relist."""


class WatchFailed(Exception):
    """The server ended a watch with an error other than 410."""


class StreamCut(Exception):
    """The watch stream ended in the middle of an event's line (the event was not applied)."""


@dataclass(frozen=True, slots=True)
class WatchTarget:
    cluster: str
    kind: Kind
    scope: str | None  # a namespace, or None for the whole cluster

    @property
    def name(self) -> str:
        return f"watch:{self.cluster}:{self.kind.key}:{self.scope or '*'}"


@dataclass(slots=True)
class Cursor:
    """Where the next watch starts: the last resourceVersion applied (None: list first)."""

    version: str | None = None


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
        error = ApiException(status=response.status, reason=_status_message(body, response))
        error.headers = response.headers
        raise error
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


async def open_watch(
    client: ApiClient, target: WatchTarget, timing: WatchTiming, version: str
) -> aiohttp.ClientResponse:
    """One watch call from `version`, its response open for streaming."""
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
    return await _get(client, target.kind.path(target.scope), query, timeout)


async def read_events(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The events of one watch response until the server closes it; a last line without its
    newline is an event cut in half (`StreamCut`), never parsed."""
    while line := await response.content.readline():
        if not line.endswith(b"\n"):
            raise StreamCut(f"watch stream ended mid-event after {len(line)} bytes")
        if line.strip():
            yield json.loads(line)


def _check_error(event: dict[str, Any]) -> None:
    status = event.get("object") or {}
    if status.get("code") == 410:
        raise ResourceGone(status.get("message", "resource version too old"))
    raise WatchFailed(f"{status.get('reason')}: {status.get('message')}")


async def follow(
    client: ApiClient, target: WatchTarget, view: ClusterView, timing: WatchTiming, cursor: Cursor
) -> None:
    """Tier 3: apply one watch call's events to the view, advancing `cursor` past each.

    A watch that ends within a second without a single event is a failure (client-go's "very
    short watch"), so a server closing every watch at once is backed off, not hammered."""
    assert cursor.version is not None
    opened = time.monotonic()
    events = 0
    response = await open_watch(client, target, timing, cursor.version)
    # The server took the watch from our version: what changed since comes on this stream.
    view.mark_in_sync(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
    async with response:
        async for event in read_events(response):
            events += 1
            kind = event.get("type")
            obj = event.get("object") or {}
            if kind == "ERROR":
                _check_error(event)
            if kind in WATCH_EVENT_TYPES:
                change = cast(ChangeType, kind)
                view.apply(
                    cluster=target.cluster, kind=target.kind.key, change_type=change, obj=obj
                )
            version = (obj.get("metadata") or {}).get("resourceVersion")
            cursor.version = str(version or cursor.version)
            view.mark_in_sync(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
    if events == 0 and time.monotonic() - opened < 1.0:
        raise WatchFailed("very short watch: it ended within a second and carried no event")


async def sync(
    client: ApiClient, target: WatchTarget, view: ClusterView, timing: WatchTiming, cursor: Cursor
) -> NoReturn:
    """Tier 2: list and replace when there is nothing to resume from, then follow watches
    until something breaks."""
    if cursor.version is None:
        objects, version = await list_objects(client, target, timing)
        view.replace(
            cluster=target.cluster, kind=target.kind.key, scope=target.scope, objects=objects
        )
        cursor.version = version
    while True:
        await follow(client, target, view, timing, cursor)


def _describe(error: BaseException) -> str:
    if isinstance(error, ApiException):
        return f"HTTP {error.status} {error.reason}".strip()
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text


def _is_gone(error: BaseException) -> bool:
    return isinstance(error, ResourceGone) or (
        isinstance(error, ApiException) and error.status == 410
    )


async def keep_watching(
    client: ApiClient,
    target: WatchTarget,
    view: ClusterView,
    timing: WatchTiming,
    rng: random.Random | None = None,
) -> None:
    """Tier 1: never give up; 410 relists at once, anything else waits, then resumes."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    state = view.register_watch(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
    cursor = Cursor()
    attempt = 0
    first = True
    while True:
        if cursor.version is None and not first:
            view.mark_restart(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
        first = False
        synced_before = state.last_sync
        try:
            await sync(client, target, view, timing, cursor)
        except Exception as error:  # anything: shown as stale and retried, never the end
            if not isinstance(error, EXPECTED_FAILURES):
                log.exception("watch failed unexpectedly", watch=target.name)
            _note_failure(view, target, error)
            if _is_gone(error):
                cursor.version = None
                attempt = 0
                continue
            if state.last_sync != synced_before:
                attempt = 0  # it worked for a while: start the backoff again from the bottom
            delay = retry_delay(error, attempt, timing, rng)
            attempt += 1
            await asyncio.sleep(delay)


EXPECTED_FAILURES = (
    ResourceGone,
    ApiException,
    aiohttp.ClientError,
    TimeoutError,
    WatchFailed,
    StreamCut,
    ValueError,
)


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
