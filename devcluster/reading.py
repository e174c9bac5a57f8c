"""GET verbs: get, list (selectors, limit/continue) and their Table renderings.

Lists are assembled from each object's cached JSON encoding, so listing 10,000 objects costs
a filter pass and a byte join rather than re-encoding every object.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from devcluster import errors
from devcluster.resources import ResourceType
from devcluster.routing import Target
from devcluster.selectors import parse_field_selector, parse_label_selector
from devcluster.store import ObjectStore, encode
from devcluster.tables import table, table_row
from devcluster.watchers import Stored, WatchFilter

TABLE_MEDIA = "application/json;as=Table;v=v1;g=meta.k8s.io"


@dataclass(frozen=True)
class ListQuery:
    filter: WatchFilter
    has_selectors: bool
    limit: int
    continue_token: str
    min_revision: int


def wants_table(accept: str) -> bool:
    """True when the client's first acceptable type is a meta.k8s.io Table."""
    for media in accept.split(","):
        params = {p.strip() for p in media.split(";")[1:]}
        if "as=Table" in params and "g=meta.k8s.io" in params:
            return "v=v1" in params
    return False


def build_filter(rtype: ResourceType, namespace: str, query: dict[str, str]) -> WatchFilter:
    fields = parse_field_selector(
        query.get("fieldSelector"),
        supported=rtype.field_labels,
        aliases=rtype.field_label_aliases,
    )
    pinned_ns = fields.value_of("metadata.namespace")
    return WatchFilter(
        namespace=namespace or (pinned_ns or "" if rtype.namespaced else ""),
        labels=parse_label_selector(query.get("labelSelector")),
        fields=fields,
    )


def list_query(rtype: ResourceType, namespace: str, query: dict[str, str]) -> ListQuery:
    try:
        limit = int(query.get("limit") or 0)
        min_revision = int(query.get("resourceVersion") or 0)
    except ValueError as exc:
        raise errors.bad_request(f"invalid list parameters: {exc}") from exc
    return ListQuery(
        filter=build_filter(rtype, namespace, query),
        has_selectors=bool(query.get("labelSelector") or query.get("fieldSelector")),
        # resourceVersion=0 lists are served from the watch cache, which ignores limit.
        limit=0 if query.get("resourceVersion") == "0" else max(limit, 0),
        continue_token=query.get("continue", ""),
        min_revision=min_revision,
    )


def _decode_continue(token: str, store: ObjectStore, rtype: ResourceType) -> tuple[str, str]:
    if not token:
        return ("", "")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        start, revision = (str(data["ns"]), str(data["name"])), int(data["rv"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise errors.bad_request(f"continue key is not valid: {token}") from exc
    if revision < store.oldest_retained(rtype):
        raise errors.expired(
            "The provided continue parameter is too old to display a consistent list result. "
            "You can start a new list without the continue parameter, or use the continue "
            "token in this response to retrieve the remainder of the results. Continuing with "
            "the provided token results in an inconsistent list - objects that were created, "
            "modified, or deleted between the time the first chunk was returned and now may "
            "show up in the list."
        )
    return start


def _encode_continue(last: Stored, revision: int) -> str:
    meta = last.obj["metadata"]
    data = {"rv": revision, "ns": meta.get("namespace", ""), "name": meta["name"]}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def select(
    store: ObjectStore, target: Target, query: ListQuery
) -> tuple[list[Stored], dict[str, Any]]:
    """The page of matching objects and the list metadata (resourceVersion, continue)."""
    rtype = target.rtype
    if query.min_revision > store.revision:
        raise errors.too_large_resource_version(query.min_revision, store.revision)
    start = _decode_continue(query.continue_token, store, rtype)
    bucket, keys = store.scan(rtype, namespace=query.filter.namespace, after=start)
    page: list[Stored] = []
    index = 0
    for index, key in enumerate(keys):  # noqa: B007
        stored = bucket.objects[key]
        if not query.has_selectors or query.filter.matches(stored.obj):
            page.append(stored)
            if query.limit and len(page) == query.limit:
                break
    meta: dict[str, Any] = {"resourceVersion": str(store.revision)}
    if query.limit and len(page) == query.limit and index + 1 < len(keys):
        meta["continue"] = _encode_continue(page[-1], store.revision)
        if not query.has_selectors:
            meta["remainingItemCount"] = len(keys) - index - 1
    return page, meta


def view(rtype: ResourceType, stored: Stored) -> dict[str, Any]:
    return rtype.from_storage(stored.obj) if rtype.from_storage else stored.obj


def raw_view(rtype: ResourceType, stored: Stored) -> bytes:
    return encode(rtype.from_storage(stored.obj)) if rtype.from_storage else stored.raw


def list_body(rtype: ResourceType, page: list[Stored], meta: dict[str, Any]) -> bytes:
    head = {"kind": rtype.list_kind, "apiVersion": rtype.api_version, "metadata": meta}
    prefix = encode(head)[:-1] + b',"items":['
    raws = [raw_view(rtype, s) for s in page]
    if not raws:
        return prefix + b"]}"
    raws[0] = prefix + raws[0]
    raws[-1] += b"]}"
    return b",".join(raws)  # one copy of the (possibly large) body


def table_body(
    rtype: ResourceType, objects: list[dict[str, Any]], meta: dict[str, Any], include: str
) -> bytes:
    return encode(table(rtype, objects, list_meta=meta, include=include))


def table_event_object(rtype: ResourceType, obj: dict[str, Any], include: str) -> dict[str, Any]:
    result = table(
        rtype,
        [],
        list_meta={"resourceVersion": obj["metadata"]["resourceVersion"]},
        include=include,
    )
    result["rows"] = [table_row(rtype, obj, include=include)]
    return result
