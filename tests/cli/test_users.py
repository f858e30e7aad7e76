"""`fidelity users` (and the audit export that records what they did)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.cli import cli
from tests.cli.runner import run, runner


def test_users_create_token_disable_and_audit_export(env: str, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    result = runner.invoke(
        cli,
        ["users", "create", "amb.test", "--role", "ambassador", "--region", "1084",
         "--region", "1085", "--display-name", "Test Ambassadør", "--password-stdin"],
        input="a fine long password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("created amb.test (ambassador regions [1084, 1085]), id ")
    code, out, _ = run("users", "list")
    assert out.split() == ["amb.test", "ambassador", "regions", "1084,1085", "active"]

    code, token, err = run("users", "token", "amb.test", "--name", "nightly")
    assert code == 0 and token.strip().startswith("ipsf_") and "shown only now" in err
    engine = sa.create_engine(env)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT token_hash FROM api_token")).scalar_one()
        users = connection.execute(sa.text("SELECT password_hash FROM user_account")).scalars()
        assert token.strip() not in stored and all(h.startswith("$argon2id$") for h in users)

    code, out, _ = run("users", "disable", "amb.test")
    assert (code, out.strip()) == (0, "amb.test is disabled")

    target = tmp_path / "audit.csv"
    code, _, err = run("audit", "export", "--output", str(target))
    assert code == 0 and "wrote 4 audit event(s)" in err
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [(row[3], row[5]) for row in rows[1:]] == [
        ("cli", "user.created"),
        ("cli", "api_token.created"),
        ("cli", "user.updated"),
        ("cli", "audit.exported"),
    ]
    assert json.loads(rows[3][9])["is_active"] is False
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["users", "create", "x1", "--role", "wizard"], None, "unknown role 'wizard'"),
        (["users", "create", "x1", "--role", "ambassador"], None, "needs at least one region"),
        (["users", "create", "x1", "--role", "ambassador", "--region", "7"], None, "region code 7"),
        (["users", "create", "x1", "--role", "analyst", "--password-stdin"], "short\n", "least 10"),
        (["users", "create", "x1", "--role", "analyst", "--password-stdin"], "\n", "empty line"),
        (["users", "token", "ghost"], None, "there is no user 'ghost'"),
        (["users", "disable", "ghost"], None, "there is no user 'ghost'"),
        (["audit", "export", "--since", "last week"], None, "--since must be a date like"),
    ],
)  # fmt: skip
def test_users_commands_fail_in_one_line(
    env: str, args: list[str], stdin: str | None, says: str
) -> None:
    assert run("db", "upgrade")[0] == 0
    result = runner.invoke(cli, args, input=stdin)
    assert result.exit_code != 0
    assert says in result.stderr and "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
