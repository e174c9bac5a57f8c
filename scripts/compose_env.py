"""Write var/compose/compose.env for docker-compose.yml: random secrets, made once per checkout.

    python scripts/compose_env.py PATH

For each cluster of the stack's devcluster (prod-eu, prod-us, staging): FLAGGER_TOKEN_<CLUSTER>
(that cluster's simulated Flagger sends it) and FLAGGER_TOKEN_HASH_<CLUSTER> (the portal keeps
only the hash, PORTAL_FLAGGER_TOKENS: a token is good for its own cluster only); then
LOAD_HARNESS_API_KEY and POSTGRES_PASSWORD. The values of an existing file are kept (the
PostgreSQL volume was initialised with its password); the ones it lacks are added. Mode 0600.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from portal.domain.flagger_tokens import hash_token, new_token

CLUSTERS = ("prod-eu", "prod-us", "staging")
"""devcluster's clusters in docker-compose.yml (`--cluster NAME`, each its own scenario)."""


def suffix(cluster: str) -> str:
    return cluster.upper().replace("-", "_")


def fresh_values() -> dict[str, str]:
    values: dict[str, str] = {}
    for cluster in CLUSTERS:
        token = new_token()
        values[f"FLAGGER_TOKEN_{suffix(cluster)}"] = token
        values[f"FLAGGER_TOKEN_HASH_{suffix(cluster)}"] = hash_token(token)
    values["LOAD_HARNESS_API_KEY"] = secrets.token_urlsafe(32)
    values["POSTGRES_PASSWORD"] = secrets.token_urlsafe(24)
    return values


def read_values(text: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {name: value for name, _, value in pairs}


def merged(existing: dict[str, str]) -> dict[str, str]:
    """`existing` with every missing variable added; a token and its hash are made together."""
    values = dict(existing)
    fresh = fresh_values()
    for cluster in CLUSTERS:
        token, digest = f"FLAGGER_TOKEN_{suffix(cluster)}", f"FLAGGER_TOKEN_HASH_{suffix(cluster)}"
        if token not in values or digest not in values:
            values[token], values[digest] = fresh[token], fresh[digest]
    for name in ("LOAD_HARNESS_API_KEY", "POSTGRES_PASSWORD"):
        values.setdefault(name, fresh[name])
    return values


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: compose_env.py PATH\n")
        return 2
    path = Path(argv[0])
    existing = read_values(path.read_text()) if path.is_file() else {}
    values = merged(existing)
    if values == existing:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    partial.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    partial.replace(path)
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
