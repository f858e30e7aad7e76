"""`fidelity demo`: loading demo data once, never in production, nothing on a broken
scale file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import get_settings
from tests.cli.runner import run
from tests.factories import SCALES_DIR


def test_upgrade_then_demo_then_publish(env: str) -> None:
    code, out, _ = run("db", "upgrade")
    assert code == 0 and "is at migration" in out
    code, out, _ = run("demo", "--if-empty")
    assert code == 0 and out.startswith("demo data loaded: 12 teams, 12 users, 6 scale versions")
    code, out, _ = run("demo", "--if-empty")
    assert code == 0 and "already holds data" in out
    code, out, _ = run("demo")
    assert code == 0 and "nothing changed" in out
    code, out, _ = run("scales", "publish", "ips-25", "2019")
    assert code == 0 and "already registered with this content" in out
    code, out, _ = run("scales", "list")
    assert code == 0
    rows = [line.split()[:5] for line in out.splitlines()[1:]]
    assert rows == [
        ["implementeringsstatus", "2026", "implementation", "published", "17"],
        ["implementeringsstatus", "2027", "implementation", "draft", "17"],
        ["ips-25", "2019", "fidelity", "published", "25"],
        ["ips-25", "2026", "fidelity", "draft", "25"],
        ["ips-lignende", "2024", "fidelity", "published", "25"],
        ["ips-unge-uddannelse", "2026", "fidelity", "draft", "6"],
    ]


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
