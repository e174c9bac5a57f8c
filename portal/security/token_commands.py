"""The `portal token` subcommands: create (prints the secret alone on stdout, once), list and
revoke, straight against the database in PORTAL_DATABASE_URL.

Exit codes: 0 done, 1 refused (duplicate name, unknown token, bad value), 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from portal.config import Settings
from portal.db import create_engine, create_sessionmaker
from portal.errors import PortalError
from portal.models.tokens import ApiTokenPublic
from portal.security.roles import Role
from portal.services.audit import Actor
from portal.services.tokens import MAX_EXPIRY_DAYS, issue_token, list_tokens, revoke_token


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


EXIT_OK = 0
EXIT_REFUSED = 1
T = TypeVar("T")


async def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T | None:
    try:
        return asyncio.run(_in_session(settings, work))
    except PortalError as error:
        _err(f"refused: {error.detail}")
        return None


def _cli_actor() -> Actor:
    """The CLI runs with database access, which is admin power; it is audited as such."""
    return Actor(name=f"cli:{getpass.getuser()}", role="admin")


def _show(token: ApiTokenPublic) -> str:
    state = "revoked" if token.revoked_at else "active"
    expires = token.expires_at.isoformat(timespec="seconds") if token.expires_at else "never"
    used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
    return f"{token.id}\t{token.name}\t{token.role}\t{state}\t{expires}\t{used}"


def create(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session: AsyncSession) -> str:
        issued = await issue_token(
            session,
            name=args.name,
            role=Role(args.role),
            actor=_cli_actor(),
            expires_days=args.expires_days,
        )
        return issued.secret

    secret = _run(settings, work)
    if secret is None:
        return EXIT_REFUSED
    _out(secret)  # the token alone on stdout, for scripts
    _err(f"created token {args.name!r} with role {args.role}; it is not shown again")
    return EXIT_OK


def list_all(_args: argparse.Namespace, settings: Settings) -> int:
    tokens = _run(settings, list_tokens)
    if tokens is None:
        return EXIT_REFUSED
    _out("id\tname\trole\tstate\texpires\tlast_used")
    for token in tokens:
        _out(_show(token))
    return EXIT_OK


def revoke(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session: AsyncSession) -> ApiTokenPublic:
        return await revoke_token(session, name=args.name, actor=_cli_actor())

    token = _run(settings, work)
    if token is None:
        return EXIT_REFUSED
    _out(f"revoked token {token.name!r}")
    return EXIT_OK


def add_token_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="API tokens for automation")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    new = token_commands.add_parser("create", help="create a token and print it once")
    new.add_argument("--name", required=True, help="unique name, e.g. ci")
    new.add_argument("--role", required=True, choices=[role.value for role in Role])
    new.add_argument(
        "--expires-days",
        type=int,
        choices=range(1, MAX_EXPIRY_DAYS + 1),
        metavar="DAYS",
        help=f"days until it expires (1-{MAX_EXPIRY_DAYS}; default never)",
    )
    new.set_defaults(handler=create)
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    listing.set_defaults(handler=list_all)
    gone = token_commands.add_parser("revoke", help="revoke a token by name")
    gone.add_argument("name")
    gone.set_defaults(handler=revoke)
