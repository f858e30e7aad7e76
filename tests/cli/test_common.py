"""What every command shares: one line, never a traceback, when the database or the
settings stand in the way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.config import get_settings
from tests.cli.runner import run


def test_unmigrated_database_gets_one_line_saying_what_to_run(env: str) -> None:
    code, out, err = run("scales", "list")
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: the database {sa.engine.make_url(env).render_as_string()} is not migrated: "
        "run `fidelity db upgrade`"
    ]
    assert "Traceback" not in out + err


def test_production_refuses_the_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIDELITY_ENVIRONMENT", "production")
    monkeypatch.delenv("FIDELITY_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    try:
        code, _, err = run("scales", "list")
    finally:
        get_settings.cache_clear()
    assert code == 1 and "FIDELITY_SECRET_KEY must be set" in err
