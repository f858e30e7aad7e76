"""Running the `fidelity` command as a script would: arguments in, exit code and the two
streams out."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr
