"""`portal canary ...`: operate canaries from scripts, over the portal's HTTP API.

    portal canary list [--cluster C] [--namespace N] [--json]
    portal canary pause|resume|rollback|promote|approve|retry CLUSTER/NS/NAME --reason R
                  [--scope run|always] [--json]

The portal is `PORTAL_URL` (default http://127.0.0.1:8000), the caller `PORTAL_TOKEN` (an API
token, `portal token create --role operator`). Exit codes scripts can rely on:

    0  applied, or already in that state / already requested
    1  anything else (portal unreachable, 5xx, 429, unexpected answer)
    2  bad usage (also a 422 from the portal: bad action or body)
    3  refused: the action does not apply now (409)
    4  not found: unknown cluster or canary (404)
    5  authentication or authorisation failed (401, 403)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any
from urllib.parse import quote

import httpx

from portal.domain.action_rules import ActionName

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT_SECONDS = 30.0

EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4
EXIT_AUTH = 5
_EXIT_BY_STATUS = {401: EXIT_AUTH, 403: EXIT_AUTH, 404: EXIT_NOT_FOUND, 409: EXIT_REFUSED}
_EXIT_BY_STATUS[422] = EXIT_USAGE


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def add_canary_commands(commands: Any) -> None:
    """Register `portal canary` on the top-level subparsers."""
    canary = commands.add_parser("canary", help="operate canaries through the portal's API")
    verbs = canary.add_subparsers(dest="canary_command", required=True)
    listing = verbs.add_parser("list", help="list the fleet's canaries")
    listing.add_argument("--cluster")
    listing.add_argument("--namespace")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(handler=lambda args, _settings: list_canaries(args))
    for action in ActionName:
        verb = verbs.add_parser(action.value, help=f"{action.value} one canary")
        verb.add_argument("target", metavar="CLUSTER/NS/NAME")
        verb.add_argument("--reason", required=True, help="why (kept in the audit log)")
        if action is ActionName.approve:
            verb.add_argument("--scope", choices=("run", "always"), default="run")
        verb.add_argument("--json", action="store_true", help="print the action record as JSON")
        verb.set_defaults(handler=lambda args, _settings, a=action: run_action(args, a))


def _client() -> httpx.Client:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # stderr is for errors only
    headers = {"Accept": "application/json"}
    token = os.environ.get("PORTAL_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    base = os.environ.get("PORTAL_URL") or DEFAULT_URL
    return httpx.Client(base_url=base, headers=headers, timeout=TIMEOUT_SECONDS)


def _failed(response: httpx.Response) -> int:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    shown = detail if isinstance(detail, str) else json.dumps(detail)
    _err(f"error {response.status_code}: {shown}")
    return _EXIT_BY_STATUS.get(response.status_code, EXIT_OTHER)


def _call(method: str, path: str, **kwargs: Any) -> httpx.Response | int:
    try:
        with _client() as client:
            return client.request(method, path, **kwargs)
    except httpx.HTTPError as error:
        _err(
            f"error: cannot reach the portal at {os.environ.get('PORTAL_URL') or DEFAULT_URL}: "
            f"{type(error).__name__}: {error}"
        )
        return EXIT_OTHER


def run_action(args: argparse.Namespace, action: ActionName) -> int:
    parts = args.target.split("/")
    if len(parts) != 3 or not all(part not in ("", ".", "..") for part in parts):
        _err(f"error: target must be CLUSTER/NS/NAME, got {args.target!r}")
        return EXIT_USAGE
    if not os.environ.get("PORTAL_TOKEN"):
        _err("error: PORTAL_TOKEN is not set: actions need an API token (portal token create)")
        return EXIT_AUTH
    body: dict[str, str] = {"reason": args.reason}
    if action is ActionName.approve:
        body["scope"] = args.scope
    path = "/".join(quote(part, safe="") for part in parts)  # each part one path segment
    answer = _call("POST", f"/api/v1/canaries/{path}/{action.value}", json=body)
    if isinstance(answer, int):
        return answer
    if answer.status_code != 202:
        return _failed(answer)
    record = answer.json()
    if args.json:
        _out(json.dumps(record, indent=2))
    else:
        _out(
            f"{action.value} {args.target}: {record['outcome']}: {record['detail']} "
            f"(takes effect {record['takes_effect']})"
        )
    return EXIT_OK


def list_canaries(args: argparse.Namespace) -> int:
    params = {k: v for k, v in (("cluster", args.cluster), ("namespace", args.namespace)) if v}
    answer = _call("GET", "/api/v1/canaries", params=params)
    if isinstance(answer, int):
        return answer
    if answer.status_code != 200:
        return _failed(answer)
    items = answer.json()["items"]
    if args.json:
        _out(json.dumps(items, indent=2))
        return EXIT_OK
    for item in items:
        paused = " paused" if item.get("suspended") else ""
        _out(
            f"{item['cluster']}/{item['namespace']}/{item['name']}\t{item['phase'] or '-'}"
            f"\t{item['canary_weight']}%{paused}"
        )
    return EXIT_OK
