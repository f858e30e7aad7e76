"""``fidelity users``: accounts, their roles and scopes, passwords and API tokens.

The command line acts as the system (``Principal.system()``): an administrator with no
user row, recorded in the audit trail on channel ``cli``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from app.cli.common import fail, unit_of_work
from app.models import Role
from app.services import passwords, tokens, users
from app.services.access import Principal

cli = typer.Typer(help="User accounts, roles, scopes and API tokens.", no_args_is_help=True)


def _read_password(password_stdin: bool) -> str | None:
    if not password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("--password-stdin read an empty line; pipe the password in, e.g. from a file")
    return password


@cli.command("create")
def users_create(
    username: str,
    role: Annotated[
        str,
        typer.Option(help="admin, ambassador, team_leader, analyst, consultant or panel_member."),
    ],
    region: Annotated[
        list[int] | None,
        typer.Option(help="Official region code (e.g. 1084), for ambassadors; repeatable."),
    ] = None,
    team: Annotated[
        list[int] | None, typer.Option(help="Team id, for team leaders; repeatable.")
    ] = None,
    display_name: Annotated[str, typer.Option(help="The name shown in the app.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with a role and scope (without a password they cannot sign in yet)."""
    if role not in {r.value for r in Role}:
        fail(f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}")
    password = _read_password(password_stdin)
    with unit_of_work() as session:
        user = users.create_user(
            session,
            by=Principal.system(),
            username=username,
            display_name=display_name,
            role=Role(role),
            password=password,
            regions=region or [],
            teams=team or [],
        )
    scope = f" regions {region}" if region else f" teams {team}" if team else ""
    typer.echo(f"created {user.username} ({role}{scope}), id {user.id}")
    if password is None:
        typer.echo(
            "no password set: set one with `fidelity users password USERNAME --password-stdin`"
        )


@cli.command("password")
def users_password(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's password; their sessions end."""
    password = _read_password(password_stdin)
    if password is None:
        fail("give the new password on standard input with --password-stdin")
    with unit_of_work() as session:
        user = users.get_user_by_name(session, username=username)
        passwords.set_password(session, by=Principal.system(), user=user, password=password)
    typer.echo(f"password set for {username}; their sessions have ended")


def _set_active(username: str, active: bool) -> None:
    with unit_of_work() as session:
        user = users.get_user_by_name(session, username=username)
        regions, teams = users.user_scope(session, user_id=user.id or 0)
        users.update_user(
            session,
            by=Principal.system(),
            user=user,
            display_name=user.display_name,
            role=Role(user.role),
            is_active=active,
            regions=regions,
            teams=teams,
        )


@cli.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: they cannot sign in, their sessions end and their tokens stop."""
    _set_active(username, False)
    typer.echo(f"{username} is disabled")


@cli.command("enable")
def users_enable(username: str) -> None:
    """Enable a disabled user again."""
    _set_active(username, True)
    typer.echo(f"{username} is enabled")


@cli.command("list")
def users_list() -> None:
    """Every user with role, scope and status."""
    with unit_of_work() as session:
        for user in users.list_users(session):
            regions, teams = users.user_scope(session, user_id=user.id or 0)
            scope = (
                f"regions {','.join(map(str, regions))}"
                if regions
                else f"teams {','.join(map(str, teams))}"
                if teams
                else "all"
            )
            state = "active" if user.is_active else "disabled"
            typer.echo(f"{user.username:<24} {user.role:<12} {scope:<20} {state}")


@cli.command("token")
def users_token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
) -> None:
    """Create an API token for a user and print it once; only its hash is stored."""
    with unit_of_work() as session:
        user = users.get_user_by_name(session, username=username)
        plain, token = tokens.create_token(session, by=Principal.system(), user=user, name=name)
    typer.echo(plain)
    typer.echo(
        f"token {token.prefix}… for {username} ({name!r}); it is shown only now. "
        "Send it as 'Authorization: Bearer <token>'.",
        err=True,
    )
