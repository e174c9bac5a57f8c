"""The `load-harness` command: validate the settings, then serve the app with uvicorn.

Invalid settings (including a missing API key without `LOAD_HARNESS_AUTH=disabled`) end the
process with exit code 2 and one line per problem on stderr, naming the variable, never its value.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn
from pydantic import ValidationError

from load_harness.app import create_app
from load_harness.cgroups import CgroupUnreadable
from load_harness.config import Settings, describe_errors
from load_harness.logging_setup import configure_logging

EXIT_CONFIG_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(prog="load-harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the load harness over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to bind (default 8080)")
    serve.add_argument("--log-format", choices=("json", "console"), default="json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    configure_logging(json_format=args.log_format == "json")
    try:
        app = create_app(Settings())
    except ValidationError as error:
        return refuse_to_start(["invalid configuration:", *describe_errors(error=error)])
    except CgroupUnreadable as error:
        return refuse_to_start([f"cannot read the container's limits: {error}"])
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, timeout_graceful_shutdown=5)
    return 0


def refuse_to_start(lines: list[str]) -> int:
    """Explain on stderr why the server will not start; the exit code for a configuration error."""
    headline, *details = lines
    print(f"load-harness: {headline}", file=sys.stderr)  # noqa: T201
    for line in details:
        print(f"  {line}", file=sys.stderr)  # noqa: T201
    return EXIT_CONFIG_ERROR
