import ipaddress

from portal.security.addresses import came_over_tls, client_address, peer_is_trusted

PROXIES = [ipaddress.ip_network("10.0.0.0/8")]


def scope(peer: str, headers: dict[str, str] | None = None, scheme: str = "http") -> dict:  # type: ignore[type-arg]
    return {
        "type": "http",
        "client": (peer, 40000),
        "scheme": scheme,
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    forged = scope("203.0.113.9", {"X-Forwarded-For": "198.51.100.1"})
    assert client_address(forged, PROXIES) == "203.0.113.9"
    assert not peer_is_trusted(forged, PROXIES)


def test_behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() -> None:
    proxied = scope("10.0.0.5", {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.0.0.9"})
    assert client_address(proxied, PROXIES) == "203.0.113.7"


def test_a_trusted_peer_without_forwarded_for_is_the_client() -> None:
    assert client_address(scope("10.0.0.5"), PROXIES) == "10.0.0.5"


def test_tls_is_believed_from_the_scheme_or_a_trusted_proxy_only() -> None:
    assert came_over_tls(scope("203.0.113.9", scheme="https"), PROXIES)
    assert came_over_tls(scope("10.0.0.5", {"X-Forwarded-Proto": "https"}), PROXIES)
    assert not came_over_tls(scope("203.0.113.9", {"X-Forwarded-Proto": "https"}), PROXIES)


INGRESS = [ipaddress.ip_network("10.0.0.0/8")]


def test_the_client_is_the_rightmost_untrusted_hop_whatever_it_prepends() -> None:
    spoofed = scope("10.0.0.2", {"X-Forwarded-For": "127.0.0.1, 10.0.0.7, 198.51.100.66"})
    assert client_address(spoofed, INGRESS) == "198.51.100.66"


def test_every_forwarded_for_header_counts_in_order() -> None:
    doubled = {
        "type": "http",
        "client": ("10.0.0.2", 40000),
        "headers": [(b"x-forwarded-for", b"198.51.100.1"), (b"x-forwarded-for", b"10.0.0.9")],
    }
    assert client_address(doubled, INGRESS) == "198.51.100.1"


def test_a_malformed_hop_ends_the_walk_at_the_last_trusted_proxy() -> None:
    garbage = scope("10.0.0.2", {"X-Forwarded-For": "198.51.100.1, not-an-ip, 10.0.0.9"})
    assert client_address(garbage, INGRESS) == "10.0.0.9"
