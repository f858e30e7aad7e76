"""Passwords: the rules a new one must meet, and setting one.

Passwords are stored only as Argon2id hashes (``app.security``). A new password is
weighed by zxcvbn (Dropbox's estimator, with its list of 30,000 passwords seen most
often in leaks, keyboard rows, sequences, repeats and dates): one it can guess in under
a million tries is refused, and the refusal names what it recognised.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.errors import Invalid
from app.models import User
from app.security import hash_password
from app.services import audit
from app.services.access import Principal
from app.services.sessions import end_user_sessions

MIN_PASSWORD = 10
WEAKEST_GUESSES = 1_000_000  # zxcvbn's score 2 and up: "somewhat guessable" or better
MAX_PASSWORD = 1024  # longer input is refused before hashing
WEIGHED = 72  # zxcvbn (4.5) refuses longer input with a ValueError


def check_new_password(password: str, *, username: str = "", display_name: str = "") -> None:
    """Refuse a too short, too long, common or own-name password, saying which.

    Only the first 72 characters are weighed; a longer password is strong by its length
    alone (and zxcvbn slows on long input, and refuses more than 72 characters)."""
    if len(password) < MIN_PASSWORD:
        raise Invalid.of("err_password_short", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise Invalid.of("err_password_long", max=MAX_PASSWORD)
    from zxcvbn import zxcvbn  # noqa: PLC0415 (its word lists take a moment to load)

    names = [username, display_name, *display_name.replace("(", " ").replace(")", " ").split()]
    judged = zxcvbn(password[:WEIGHED], user_inputs=[name for name in names if len(name) >= 3])
    if judged["guesses"] >= WEAKEST_GUESSES:
        return
    kinds = _kinds(judged["sequence"])
    if "user_inputs" in kinds:
        raise Invalid.of("err_password_own_name")
    if "passwords" in kinds:
        raise Invalid.of("err_password_common")
    raise Invalid.of("err_password_guessable")


def _kinds(matches: list[dict[str, Any]]) -> set[str]:
    """What zxcvbn recognised in a password: its word lists by name, its other patterns
    (a repeat's own parts too: "LundLund" is the name twice)."""
    found = set()
    for match in matches:
        found.add(match.get("dictionary_name") or match["pattern"])
        found |= _kinds(match.get("base_matches") or [])
    return found


def set_password(session: Session, *, by: Principal, user: User, password: str) -> None:
    """A new password; every session of the user ends, so an old one cannot linger."""
    check_new_password(password, username=user.username, display_name=user.display_name)
    assert user.id is not None
    user.password_hash = hash_password(password)
    ended = end_user_sessions(
        session, user_id=user.id, reason="password_changed", keep=by.session_id
    )
    audit.record(
        session,
        action="user.password_set",
        by=by,
        entity_type="user",
        entity_id=user.id,
        after={"sessions_ended": ended},
    )
