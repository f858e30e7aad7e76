"""Settings and interface language."""

from __future__ import annotations

import os

import pytest

from app.config import PLACEHOLDER_SECRET, PROJECT_ROOT, Settings
from app.i18n import resolve_language, translator


def test_production_refuses_a_placeholder_or_short_secret() -> None:
    for secret in (PLACEHOLDER_SECRET, "short"):
        with pytest.raises(ValueError, match="FIDELITY_SECRET_KEY must be set"):
            Settings(environment="production", secret_key=secret)
    strong = Settings(environment="production", secret_key="x" * 40)
    assert not strong.should_load_demo


def test_development_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FIDELITY_"):
            monkeypatch.delenv(name)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'fidelity.db'}"
    assert settings.scales_dir == PROJECT_ROOT / "scales"
    assert settings.default_language == "da" and settings.timezone == "Europe/Copenhagen"
    assert settings.environment == "development" and settings.should_load_demo


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="not a known time zone"):
        Settings(timezone="Mars/Olympus")


def test_both_languages_have_every_interface_string() -> None:
    assert translator("da").keys() == translator("en").keys()


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [("en", "da", "en"), (None, "en", "en"), ("xx", None, "da"), (None, None, "da")],
)
def test_language_resolution(query: str | None, cookie: str | None, expected: str) -> None:
    assert resolve_language(query, cookie, "da") == expected
