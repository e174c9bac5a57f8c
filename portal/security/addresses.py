"""Where a request really comes from, and whether its forwarded headers may be believed.

The portal runs with uvicorn's proxy_headers off, so the ASGI `client` is the TCP peer. Headers
such as X-Forwarded-For or the oauth2-proxy identity headers count only when that peer is one of
PORTAL_TRUSTED_PROXIES; from anyone else they are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import Scope

from portal.config import Network, is_loopback


def peer_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def in_networks(address: str | None, networks: Sequence[Network]) -> bool:
    if address is None:
        return False
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def peer_is_trusted(scope: Scope, networks: Sequence[Network]) -> bool:
    return in_networks(peer_address(scope), networks)


def peer_is_loopback(scope: Scope) -> bool:
    peer = peer_address(scope)
    return peer is not None and is_loopback(peer)


def client_address(scope: Scope, networks: Sequence[Network]) -> str | None:
    """The peer, or behind trusted proxies the nearest X-Forwarded-For hop that is not one."""
    peer = peer_address(scope)
    if not in_networks(peer, networks):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not in_networks(hop, networks):
            return hop[:64]
    return peer


def came_over_tls(scope: Scope, networks: Sequence[Network]) -> bool:
    """TLS to the portal itself, or X-Forwarded-Proto: https from a trusted proxy."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    if not peer_is_trusted(scope, networks):
        return False
    return Headers(scope=scope).get("x-forwarded-proto", "").lower() == "https"
