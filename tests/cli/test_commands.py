"""The command tree put together in ``app.cli``: every group and command under the name a
script or a person types, in the order ``fidelity --help`` lists them."""

from __future__ import annotations

import tomllib

import typer
from typer.core import TyperGroup

from app.cli import cli, main
from app.config import PROJECT_ROOT
from tests.cli.runner import run

TREE = {
    "demo": None,
    "serve": None,
    "start": None,
    "db": ["upgrade", "backup", "restore"],
    "scales": ["validate", "list", "publish", "retire"],
    "users": ["create", "password", "disable", "enable", "list", "token"],
    "audit": ["export"],
}


def test_every_group_and_command_keeps_its_name_and_place() -> None:
    root = typer.main.get_command(cli)
    assert isinstance(root, TyperGroup)
    context = typer.Context(root)
    assert root.list_commands(context) == list(TREE)
    for name, commands in TREE.items():
        command = root.get_command(context, name)
        if commands is None:
            assert not isinstance(command, TyperGroup), name
        else:
            assert isinstance(command, TyperGroup), name
            assert command.list_commands(context) == commands


def test_help_lists_the_groups_with_their_own_words() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for words in ("The database schema.", "Versioned scale definitions.", "The audit trail."):
        assert words in out


def test_the_console_script_is_the_packages_main() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["fidelity"] == "app.cli:main"
    assert callable(main)
