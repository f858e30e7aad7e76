"""`fidelity scales`: validating scale files with line numbers, and publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import get_settings
from tests.cli.runner import run
from tests.factories import SCALES_DIR


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
