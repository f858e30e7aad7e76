"""The commands' database: a fresh, empty one for each test, found through the same
FIDELITY_* variables the server reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import get_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, empty_database_url: str) -> Iterator[str]:
    """Point the CLI's settings at a fresh, empty database."""
    monkeypatch.setenv("FIDELITY_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("FIDELITY_ENVIRONMENT", "development")
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()
