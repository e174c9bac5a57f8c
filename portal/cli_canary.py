"""`portal canary ...`: operate canaries from scripts, over the portal's HTTP API.

    portal canary list [--cluster C] [-n NS] [--attention] [-o wide|json|yaml|name]
    portal canary get CLUSTER/NS/NAME [-o wide|json|yaml|name]
    portal canary watch [--cluster C] [-n NS] [--attention] [-o wide|json]
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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from portal.cli_output import OUTPUTS, detail_output, list_output
from portal.cli_watch import follow
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


def _flushed(line: str) -> None:
    """A line out at once (a watch's reader is often a pipe, which would buffer it)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def add_canary_commands(commands: Any) -> None:
    """Register `portal canary` on the top-level subparsers."""
    canary = commands.add_parser("canary", help="operate canaries through the portal's API")
    verbs = canary.add_subparsers(dest="canary_command", required=True)
    listing = verbs.add_parser("list", help="list the fleet's canaries (a table with headers)")
    _add_filters(listing)
    _add_output(listing, choices=OUTPUTS)
    listing.set_defaults(handler=lambda args, _settings: list_canaries(args))
    getting = verbs.add_parser("get", help="describe one canary: status, metrics, timeline")
    getting.add_argument("target", metavar="CLUSTER/NS/NAME")
    _add_output(getting, choices=OUTPUTS)
    getting.set_defaults(handler=lambda args, _settings: get_canary(args))
    watching = verbs.add_parser(
        "watch", help="print the list, then each change as the portal's live stream reports it"
    )
    _add_filters(watching)
    _add_output(watching, choices=("table", "wide", "json"))
    watching.set_defaults(handler=lambda args, _settings: watch_canaries(args))
    for action in ActionName:
        verb = verbs.add_parser(action.value, help=f"{action.value} one canary")
        verb.add_argument("target", metavar="CLUSTER/NS/NAME")
        verb.add_argument("--reason", required=True, help="why (kept in the audit log)")
        if action is ActionName.approve:
            verb.add_argument("--scope", choices=("run", "always"), default="run")
        verb.add_argument("--json", action="store_true", help="print the action record as JSON")
        verb.set_defaults(handler=lambda args, _settings, a=action: run_action(args, a))


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", help="only this cluster (a PORTAL_KUBE_CONTEXTS name)")
    parser.add_argument("-n", "--namespace", help="only this namespace")
    parser.add_argument(
        "--attention", action="store_true", help="only canaries that need attention"
    )


def _add_output(parser: argparse.ArgumentParser, *, choices: tuple[str, ...]) -> None:
    parser.add_argument(
        "-o", "--output", choices=choices, default="table", help="output format (default table)"
    )
    parser.add_argument("--json", action="store_true", help="same as -o json")


def _output(args: argparse.Namespace) -> str:
    return "json" if args.json else str(args.output)


def _filters(args: argparse.Namespace) -> dict[str, str]:
    params = {k: v for k, v in (("cluster", args.cluster), ("namespace", args.namespace)) if v}
    if args.attention:
        params["attention"] = "true"
    return params


def _target_path(target: str) -> str | None:
    """CLUSTER/NS/NAME as three quoted path segments; None (after saying why) when malformed."""
    parts = target.split("/")
    if len(parts) != 3 or not all(part not in ("", ".", "..") for part in parts):
        _err(f"error: target must be CLUSTER/NS/NAME, got {target!r}")
        return None
    return "/".join(quote(part, safe="") for part in parts)  # each part one path segment


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
    path = _target_path(args.target)
    if path is None:
        return EXIT_USAGE
    if not os.environ.get("PORTAL_TOKEN"):
        _err("error: PORTAL_TOKEN is not set: actions need an API token (portal token create)")
        return EXIT_AUTH
    body: dict[str, str] = {"reason": args.reason}
    if action is ActionName.approve:
        body["scope"] = args.scope
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
    answer = _call("GET", "/api/v1/canaries", params=_filters(args))
    if isinstance(answer, int):
        return answer
    if answer.status_code != 200:
        return _failed(answer)
    items = answer.json()["items"]
    lines = list_output(items, output=_output(args), now=datetime.now(UTC))
    if not lines and _output(args) in ("table", "wide"):
        _err("No canaries found.")
    for line in lines:
        _out(line)
    return EXIT_OK


def get_canary(args: argparse.Namespace) -> int:
    path = _target_path(args.target)
    if path is None:
        return EXIT_USAGE
    answer = _call("GET", f"/api/v1/canaries/{path}")
    if isinstance(answer, int):
        return answer
    if answer.status_code != 200:
        return _failed(answer)
    for line in detail_output(answer.json(), output=_output(args), now=datetime.now(UTC)):
        _out(line)
    return EXIT_OK


def watch_canaries(args: argparse.Namespace) -> int:
    """The list, then every changed row each time the live stream says something changed."""
    base = os.environ.get("PORTAL_URL") or DEFAULT_URL
    try:
        with _client() as client:
            return follow(client, params=_filters(args), output=_output(args), write=_flushed)
    except KeyboardInterrupt:
        return EXIT_OK
    except httpx.HTTPError as error:
        _err(f"error: cannot reach the portal at {base}: {type(error).__name__}: {error}")
        return EXIT_OTHER
