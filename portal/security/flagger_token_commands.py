"""`portal flagger-token`: make a Flagger caller token for one cluster (or one namespace of it).

`create` prints the token alone on stdout (for the Canaries' webhook `metadata.token`) and, on
stderr, the `PORTAL_FLAGGER_TOKENS` entry that holds its SHA-256 hash: the portal never needs
the token itself. `hash` reads a token on stdin and prints its hash (to rotate one in).
"""

from __future__ import annotations

import argparse
import json
import sys

from portal.config import Settings
from portal.domain.flagger_tokens import hash_token, new_token
from portal.domain.kube_names import InvalidKubeName, dns1123_label

EXIT_OK = 0
EXIT_USAGE = 2


def _scope(args: argparse.Namespace) -> str | None:
    if args.namespace is None:
        return str(args.cluster)
    try:
        return f"{args.cluster}/{dns1123_label(args.namespace)}"
    except InvalidKubeName as invalid:
        sys.stderr.write(f"refused: {invalid}\n")
        return None


def _create(args: argparse.Namespace, settings: Settings) -> int:
    scope = _scope(args)
    if scope is None:
        return EXIT_USAGE
    token = new_token()
    digest = hash_token(token)
    existing = list(settings.flagger_tokens.get(scope, []))[-1:]
    entry = json.dumps({**settings.flagger_tokens, scope: [*existing, digest]})
    sys.stdout.write(token + "\n")
    sys.stderr.write(
        f"Put the token in the Canaries' portal webhooks (metadata.token) of {scope} and set\n"
        f"PORTAL_FLAGGER_TOKENS='{entry}'\n"
        "(the newest two hashes per scope are valid: drop the old one once every Canary uses "
        "the new token)\n"
    )
    return EXIT_OK


def _hash(args: argparse.Namespace, settings: Settings) -> int:
    token = sys.stdin.readline().strip()
    if len(token) < 32:
        sys.stderr.write("refused: a Flagger token has at least 32 characters\n")
        return EXIT_USAGE
    sys.stdout.write(hash_token(token) + "\n")
    return EXIT_OK


def add_flagger_token_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    group = commands.add_parser("flagger-token", help="Flagger caller tokens (per cluster)")
    actions = group.add_subparsers(dest="flagger_token_command", required=True)
    create = actions.add_parser("create", help="a new token; prints it and its setting entry")
    create.add_argument("--cluster", required=True, help="the cluster (kubeconfig context)")
    create.add_argument("--namespace", help="limit the token to one namespace")
    create.set_defaults(handler=_create)
    hashed = actions.add_parser("hash", help="read a token on stdin, print its sha256: hash")
    hashed.set_defaults(handler=_hash)
