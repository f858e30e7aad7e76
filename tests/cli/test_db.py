"""`fidelity db`: migrating, and the one line when it cannot."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.config import get_settings
from tests.cli.runner import run


def test_a_wrong_database_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIDELITY_DATABASE_URL", "postgres:/broken")
    get_settings.cache_clear()
    try:
        code, out, err = run("db", "upgrade")
    finally:
        get_settings.cache_clear()
    assert code == 1 and len(err.strip().splitlines()) == 1 and err.startswith("error: ")


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
