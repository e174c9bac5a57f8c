"""The webhooks a Canary's analysis calls, shown without anything that could be a secret.

Webhook `metadata` is where a shared token rides (FLAGGER.md), and URLs may carry credentials in
their userinfo or query string. The portal shows which metadata keys exist, never their values,
and masks URL credentials, so a canary page can be shown to every operator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from portal.domain.durations import parse_go_duration
from portal.domain.raw_fields import bool_at, int_at, mapping_at, str_at

DEFAULT_TIMEOUT_SECONDS = 10.0
MASK = "***"


@dataclass(frozen=True, slots=True)
class WebhookView:
    """One `analysis.webhooks[]` entry; `type` is `rollout` when the spec leaves it empty."""

    name: str
    type: str
    url: str
    url_path: str
    timeout_seconds: float
    retries: int
    mute_alert: bool
    metadata_keys: tuple[str, ...]


def build_webhooks(raw: Sequence[Any]) -> tuple[WebhookView, ...]:
    """The webhooks of `analysis.webhooks`, skipping entries that are not objects."""
    return tuple(build_webhook(entry) for entry in raw if isinstance(entry, Mapping))


def build_webhook(entry: Mapping[str, Any]) -> WebhookView:
    """One webhook, with Flagger's defaults (type rollout, timeout 10s) and secrets masked."""
    url = str_at(entry, "url")
    return WebhookView(
        name=str_at(entry, "name"),
        type=str_at(entry, "type", default="rollout"),
        url=mask_url_credentials(url),
        url_path=urlsplit(url).path,
        timeout_seconds=parse_go_duration(str_at(entry, "timeout")) or DEFAULT_TIMEOUT_SECONDS,
        retries=int_at(entry, "retries"),
        mute_alert=bool_at(entry, "muteAlert"),
        metadata_keys=tuple(sorted(str(key) for key in mapping_at(entry, "metadata"))),
    )


def mask_url_credentials(url: str) -> str:
    """`url` with its userinfo password and every query value replaced by `***`."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(key, MASK) for key, _ in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
