"""Settings: one place that reads the environment, shared by the server and every CLI command.

Every setting comes from an environment variable with the prefix ``FIDELITY_`` (or a
``.env`` file beside the project). Outside development and demo the secret key must be a
real one: a placeholder is refused when the settings are read, so a production server
cannot start with it.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.i18n import Language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "change-me-development-only"

Environment = Literal["development", "demo", "production"]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'fidelity.db'}"


class SettingsError(ValueError):
    """The configuration cannot be used; the message says which variable to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIDELITY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = "development"
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="Default: var/fidelity.db in the project folder, wherever the command "
        "runs from, so no command silently starts a second, empty database.",
    )
    secret_key: str = PLACEHOLDER_SECRET
    default_language: Language = "da"
    timezone: str = "Europe/Copenhagen"
    scales_dir: Path = PROJECT_ROOT / "scales"
    load_demo_data: bool | None = Field(
        default=None,
        description="Load demo data into an empty database at start; "
        "default: yes in development and demo, no in production.",
    )
    session_idle_minutes: int = Field(
        default=120, ge=5, le=24 * 60, description="Sign out after this long without a request"
    )
    session_lifetime_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="Sign out this long after signing in, always"
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Send cookies over https only; default: yes unless in development.",
    )
    follow_up_months: int = Field(
        default=12, ge=1, le=60, description="The next review is due this long after a review"
    )
    follow_up_months_below_good: int = Field(
        default=6,
        ge=1,
        le=60,
        description='…or this long after a review whose level is below "God" (good)',
    )
    feedback_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="A team leader may comment on a finalised review's items this many days",
    )
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "FIDELITY_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production, e.g. the output of: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if self.environment == "production" and self.load_demo_data:
            raise ValueError(
                "FIDELITY_LOAD_DEMO_DATA cannot be on in production: the demo accounts have "
                "a public password. Use FIDELITY_ENVIRONMENT=demo for a demo site"
            )
        try:
            ZoneInfo(self.timezone)  # an unknown zone fails here, not on the first page
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"FIDELITY_TIMEZONE={self.timezone!r} is not a known time zone, "
                "e.g. Europe/Copenhagen"
            ) from None
        return self

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.environment != "development"

    def today(self) -> date:
        """Today's date where the product is used (FIDELITY_TIMEZONE)."""
        return datetime.now(ZoneInfo(self.timezone)).date()

    @property
    def should_load_demo(self) -> bool:
        if self.load_demo_data is not None:
            return self.load_demo_data
        return self.environment != "production"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    try:
        return Settings()
    except ValueError as error:
        raise SettingsError(_first_message(error)) from error


def _first_message(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ()))
        prefix = f"FIDELITY_{field.upper()}: " if field else ""
        return prefix + str(first.get("msg", error)).removeprefix("Value error, ")
    return str(error)
