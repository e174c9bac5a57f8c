"""The `portal` command: serve the portal, run migrations, and (later) operate canaries.

The app, the server and the migrations are imported by the commands that need them, so the
`portal canary ...` commands an operator types start quickly.

Exit codes scripts can rely on: 0 success, 2 bad usage or bad settings (`portal canary` adds
3 refused, 4 not found, 5 auth error, 1 other: see portal/cli_canary.py), 141 when the reader
of its output went away (a pipe into `head`), without a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from portal import cli_completion, demo, demo_github, demo_notifications
from portal.cli_canary import add_canary_commands
from portal.config import Settings, SettingsError, is_loopback, load_settings
from portal.domain.flagger_tokens import new_token
from portal.logs import configure_logging
from portal.security.flagger_token_commands import add_flagger_token_commands
from portal.security.token_commands import add_token_commands
from portal.services.costs import check_downtime

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a writer whose reader closed the pipe."""

Handler = Callable[[argparse.Namespace, Settings], int]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    host = args.host or settings.host
    port = args.port or settings.port
    if settings.auth_mode == "local" and not is_loopback(host):
        sys.stderr.write(f"refused: PORTAL_AUTH_MODE=local serves loopback only, not {host}\n")
        return EXIT_USAGE
    from portal import serving  # the app's imports: only for the commands that serve it
    from portal.app import create_app

    app = create_app(settings.model_copy(update={"host": host, "port": port}))
    serving.serve(app, host=host, port=port)
    return EXIT_OK


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    """devcluster's demo fleet and the portal watching it (what `make run` starts)."""
    ports = demo.cluster_ports(args)
    tokens = {cluster: new_token() for cluster in ports}
    with (
        demo.running_devcluster(args, tokens=tokens) as kubeconfig,
        demo.demo_load_harness(args) as load_harness_url,
        demo.demo_prometheus(args, clusters=ports) as prometheus_url,
        demo.demo_cost_explorer(args) as cost_explorer_url,
        demo_notifications.demo_receiver(port=args.receiver_port) as receiver,
    ):
        demo_notifications.prepare_demo_notifications(settings.database_url)
        github_secret = new_token()
        local = demo.demo_settings(
            settings, kubeconfig=kubeconfig, tokens=tokens, port=args.port,
            prometheus_url=prometheus_url, cost_explorer_url=cost_explorer_url,
            github_secret=github_secret,
        )  # fmt: skip
        where = ", ".join(f"{name} :{port}" for name, port in ports.items())
        demo_github.replay_in_background(
            base_url=f"http://127.0.0.1:{args.port}",
            secret=github_secret,
            now=datetime.now(UTC),
            cluster=next(iter(ports)),
        )
        sys.stderr.write(
            f"infra-fleet demo: http://127.0.0.1:{args.port} (devcluster {where}; "
            f"kubectl --kubeconfig {kubeconfig} --context <cluster>; "
            f"Prometheus {prometheus_url or 'not running'}; "
            f"load harness {load_harness_url}; "
            f"notifications arrive at {receiver.url})\n"
        )
        from portal import serving
        from portal.app import create_app

        serving.serve(create_app(local), host="127.0.0.1", port=args.port)
    return EXIT_OK


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from portal import migrations

    migrations.upgrade(settings.database_url, args.revision)
    print(f"database at revision {args.revision}")  # noqa: T201
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="infra-fleet control-plane portal")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the portal over HTTP")
    serve.add_argument("--host", help="bind address (default PORTAL_HOST)")
    serve.add_argument("--port", type=int, help="port (default PORTAL_PORT)")
    serve.set_defaults(handler=_serve)

    demo_command = commands.add_parser(
        "demo", help="run devcluster's demo fleet and serve the portal against it"
    )
    demo.add_demo_arguments(demo_command)
    demo_command.set_defaults(handler=_demo)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(handler=_db_upgrade)
    add_token_commands(commands)
    add_flagger_token_commands(commands)
    add_canary_commands(commands)
    completion = commands.add_parser("completion", help="print a shell completion script")
    completion.add_argument("shell", choices=("bash", "zsh"))
    completion.set_defaults(handler=_completion)
    return parser


def _completion(args: argparse.Namespace, _settings: Settings) -> int:
    script = cli_completion.bash_script if args.shell == "bash" else cli_completion.zsh_script
    sys.stdout.write(script(build_parser()))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        check_downtime(settings)
    except SettingsError as error:
        print(error, file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    handler: Handler = args.handler
    try:
        return handler(args, settings)
    except BrokenPipeError:
        # the reader went away (`portal canary list | head`): stop quietly, as kubectl does;
        # stdout to /dev/null so the interpreter's last flush has nowhere to fail
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
