"""The `fidelity` command, run as a script would run it: arguments in, one clear line out."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from tests.factories import SCALES_DIR

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, empty_database_url: str) -> Iterator[str]:
    """Point the CLI's settings at a fresh, empty database."""
    monkeypatch.setenv("FIDELITY_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("FIDELITY_ENVIRONMENT", "development")
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_unmigrated_database_gets_one_line_saying_what_to_run(env: str) -> None:
    code, out, err = run("scales", "list")
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: the database {sa.engine.make_url(env).render_as_string()} is not migrated: "
        "run `fidelity db upgrade`"
    ]
    assert "Traceback" not in out + err


def test_upgrade_then_demo_then_publish(env: str) -> None:
    code, out, _ = run("db", "upgrade")
    assert code == 0 and "is at migration" in out
    code, out, _ = run("demo", "--if-empty")
    assert code == 0 and out.startswith("demo data loaded: 12 teams, 9 users, 2 scale versions")
    code, out, _ = run("demo", "--if-empty")
    assert code == 0 and "already holds data" in out
    code, out, _ = run("demo")
    assert code == 0 and "nothing changed" in out
    code, out, _ = run("scales", "publish", "ips-25", "2019")
    assert code == 0 and "already registered with this content" in out
    code, out, _ = run("scales", "list")
    assert code == 0
    rows = [line.split()[:4] for line in out.splitlines()[1:]]
    assert rows == [
        ["ips-25", "2019", "published", "25"],
        ["ips-lignende", "2024", "published", "25"],
    ]


def test_publishing_changed_content_under_a_published_version_is_refused(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("scales", "publish", "ips-25", "2019")[0] == 0
    copy = tmp_path / "ips-25" / "2019.yaml"
    copy.parent.mkdir()
    copy.write_text(
        (SCALES_DIR / "ips-25" / "2019.yaml")
        .read_text(encoding="utf-8")
        .replace("recommendation_threshold: 3", "recommendation_threshold: 2"),
        encoding="utf-8",
    )
    monkeypatch.setenv("FIDELITY_SCALES_DIR", str(tmp_path))
    get_settings.cache_clear()
    code, _, err = run("scales", "publish", "ips-25", "2019")
    assert code == 1
    assert "already published with different content" in err and "new version" in err
    engine = sa.create_engine(env)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT definition FROM scale_version WHERE scale_key = 'ips-25'")
        ).scalar()
    engine.dispose()
    definition = json.loads(stored) if isinstance(stored, str) else stored
    assert definition["recommendation_threshold"] == 3


def test_validate_rejects_a_broken_copy_with_line_numbers(tmp_path: Path) -> None:
    copy = tmp_path / "ips-25" / "2019.yaml"
    copy.parent.mkdir()
    text = (SCALES_DIR / "ips-25" / "2019.yaml").read_text(encoding="utf-8")
    copy.write_text(
        text.replace("  - key: vocational-generalists\n", "  - key: caseload-size\n"),
        encoding="utf-8",
    )
    code, out, err = run(
        "scales", "validate", str(copy), str(SCALES_DIR / "ips-lignende" / "2024.yaml")
    )
    assert code == 1
    line = text[: text.index("  - key: vocational-generalists")].count("\n") + 1
    assert f"{copy}:{line}: duplicate item key 'caseload-size'" in err
    assert "1 of 2 scale file(s) have problems" in err
    assert "2024.yaml: ok" in out


def test_validate_defaults_to_every_shipped_file() -> None:
    code, out, _ = run("scales", "validate")
    assert code == 0
    assert out.count(": ok") == len(list(SCALES_DIR.glob("*/*.yaml")))


def test_a_wrong_database_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIDELITY_DATABASE_URL", "postgres:/broken")
    get_settings.cache_clear()
    try:
        code, out, err = run("db", "upgrade")
    finally:
        get_settings.cache_clear()
    assert code == 1 and len(err.strip().splitlines()) == 1 and err.startswith("error: ")


def test_production_refuses_the_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIDELITY_ENVIRONMENT", "production")
    monkeypatch.delenv("FIDELITY_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        code, _, err = run("scales", "list")
    finally:
        get_settings.cache_clear()
    assert code == 1 and "FIDELITY_SECRET_KEY must be set" in err


def test_demo_with_a_broken_scale_file_prints_its_problems_and_changes_nothing(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("db", "upgrade")[0] == 0
    broken = tmp_path / "ips-25" / "2019.yaml"
    broken.parent.mkdir()
    broken.write_text("key: ips-25\nversion: '2019'\ncolour: blue\n", encoding="utf-8")
    shutil.copytree(SCALES_DIR / "ips-lignende", tmp_path / "ips-lignende")
    monkeypatch.setenv("FIDELITY_SCALES_DIR", str(tmp_path))
    get_settings.cache_clear()
    code, out, err = run("demo")
    assert code == 1
    assert f"{broken}:3: unknown field 'colour'" in err
    assert "nothing was changed" in err and "Traceback" not in out + err
    engine = sa.create_engine(env)
    with engine.connect() as connection:
        teams = connection.execute(sa.text("SELECT count(*) FROM team")).scalar()
    engine.dispose()
    assert teams == 0


def test_upgrading_a_database_migrated_by_newer_code_is_one_line(env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    engine = sa.create_engine(env)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    engine.dispose()
    code, out, err = run("db", "upgrade")
    assert code == 1 and "Traceback" not in out + err
    assert (
        len(err.strip().splitlines()) == 1
        and "which this version of IPS Fidelity does not know" in err
    )


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


def test_demo_data_is_refused_in_production(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("db", "upgrade")[0] == 0
    monkeypatch.setenv("FIDELITY_ENVIRONMENT", "production")
    monkeypatch.setenv("FIDELITY_SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    code, _, err = run("demo")
    assert code == 1 and "public password" in err and "FIDELITY_ENVIRONMENT=demo" in err
    monkeypatch.setenv("FIDELITY_LOAD_DEMO_DATA", "true")
    get_settings.cache_clear()
    code, _, err = run("users", "list")
    assert code == 1
    assert err.strip() == (
        "error: FIDELITY_LOAD_DEMO_DATA cannot be on in production: the demo accounts have a "
        "public password. Use FIDELITY_ENVIRONMENT=demo for a demo site"
    )
