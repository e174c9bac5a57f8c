"""Where a request really comes from, and whether its forwarded headers may be believed.

The portal runs with uvicorn's proxy_headers off, so the ASGI `client` is the TCP peer. Headers
such as the oauth2-proxy identity headers count only when that peer is one of
PORTAL_TRUSTED_PROXIES; X-Forwarded-For (the client's address) also from PORTAL_FORWARDED_PROXIES
(an ingress that may say where a request came from, but not who sent it); from anyone else
they are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import Scope

from portal.config import Network, Settings, is_loopback


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


def address_proxies(settings: Settings) -> list[Network]:
    """Proxies whose X-Forwarded-For hop is believed: the identity proxies and those trusted
    for the address only (PORTAL_FORWARDED_PROXIES, e.g. the ingress controller)."""
    return [*settings.trusted_proxies, *settings.forwarded_proxies]


def client_address(scope: Scope, networks: Sequence[Network]) -> str | None:
    """The client: walking the proxy chain from the peer leftwards through X-Forwarded-For,
    the first hop that is not a trusted proxy (the rightmost untrusted one). Hops left of it
    are the client's own claims and never count; a malformed hop ends the walk at the last
    trusted proxy, which is then the best known address."""
    peer = peer_address(scope)
    if not in_networks(peer, networks):
        return peer
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    nearest = peer
    for hop in reversed(hops):
        if not _is_address(hop):
            return nearest
        if not in_networks(hop, networks):
            return hop
        nearest = hop
    return nearest


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def came_over_tls(scope: Scope, networks: Sequence[Network]) -> bool:
    """TLS to the portal itself, or X-Forwarded-Proto: https from a trusted proxy."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    if not peer_is_trusted(scope, networks):
        return False
    return Headers(scope=scope).get("x-forwarded-proto", "").lower() == "https"
