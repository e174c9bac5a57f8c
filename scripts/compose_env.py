"""Write var/compose/compose.env for docker-compose.yml: random secrets, made once per checkout.

    python scripts/compose_env.py PATH

FLAGGER_TOKEN (devcluster's simulated Flagger sends it) and FLAGGER_TOKEN_HASH (the portal keeps
only the hash, PORTAL_FLAGGER_TOKENS), LOAD_HARNESS_API_KEY and POSTGRES_PASSWORD. An existing
file is kept (the PostgreSQL volume was initialised with its password). Mode 0600.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from portal.domain.flagger_tokens import hash_token, new_token


def contents() -> str:
    token = new_token()
    values = {
        "FLAGGER_TOKEN": token,
        "FLAGGER_TOKEN_HASH": hash_token(token),
        "LOAD_HARNESS_API_KEY": secrets.token_urlsafe(32),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
    }
    return "".join(f"{name}={value}\n" for name, value in values.items())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: compose_env.py PATH\n")
        return 2
    path = Path(argv[0])
    if path.is_file():
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.touch(mode=0o600)
    partial.write_text(contents())
    partial.replace(path)
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
