"""API tokens: bearer tokens for scripts and other systems, made for a user by an
administrator, shown once, and revoked by an administrator or with the account.

Only a token's sha256 is stored, beside its first characters (to tell tokens apart on
a page). A token carries its holder's role and scope as they are at each request.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from app.errors import Conflict, Invalid, NotAuthenticated, NotFound
from app.models import ApiToken, User, utcnow
from app.services import audit
from app.services.access import Principal
from app.services.credentials import HOLDER, Credential, digest

TOKEN_PREFIX = "ipsf_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

_TOKEN_BY_HASH = (
    sa.select(col(ApiToken.id), col(ApiToken.revoked_at), col(ApiToken.last_used_at), *HOLDER)
    .join(User, col(User.id) == col(ApiToken.user_id))
    .where(col(ApiToken.token_hash) == sa.bindparam("token_hash"))
)


def create_token(
    session: Session, *, by: Principal, user: User, name: str, form_id: str | None = None
) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``: the plain token is returned once, never stored.

    ``form_id`` names the form that asked (a page puts a fresh one in each form): the
    same form sent again, by a reload say, creates no second token.
    """
    assert user.id is not None
    if form_id is not None:
        if not form_id or len(form_id) > 64:
            raise Invalid.of("err_token_form")
        if session.exec(select(ApiToken).where(ApiToken.form_id == form_id)).first():
            raise Conflict.of("err_token_form_used")
    label = name.strip()
    if not label or len(label) > 100:
        raise Invalid.of("err_token_name")
    if not user.is_active:
        raise Conflict.of("err_token_user_disabled", username=user.username)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=digest(plain),
        prefix=plain[:12],
        created_by_id=by.user_id,
        form_id=form_id,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        action="api_token.created",
        by=by,
        entity_type="api_token",
        entity_id=token.id,
        after={"user": user.username, "name": label, "prefix": token.prefix},
    )
    return plain, token


def find_token(connection: sa.Connection, *, plain: str) -> Credential:
    """The token and its holder, or NotAuthenticated with the reason."""
    row = connection.execute(_TOKEN_BY_HASH, {"token_hash": digest(plain)}).first()
    if row is None:
        raise NotAuthenticated("unknown_token")
    if row.revoked_at is not None:
        raise NotAuthenticated("revoked_token", user_id=row.user_id)
    if not row.is_active:
        raise NotAuthenticated("token_user_disabled", user_id=row.user_id)
    return Credential.of_row(row, last_used=row.last_used_at)


def needs_touch(credential: Credential, *, now: datetime) -> bool:
    """Whether a token was last marked as used long enough ago to mark it again."""
    return credential.last_used is None or now - credential.last_used >= TOKEN_TOUCH_INTERVAL


def touch_token(session: Session, *, token_id: int, now: datetime) -> None:
    """Mark a token as used at ``now``, unless it was marked within the interval."""
    session.exec(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            (col(ApiToken.last_used_at).is_(None))
            | (col(ApiToken.last_used_at) < now - TOKEN_TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
    )


def revoke_token(session: Session, *, by: Principal, token: ApiToken) -> ApiToken:
    """Stop a token for good; revoking one already revoked is refused."""
    if token.revoked_at is not None:
        raise Conflict.of("err_token_revoked_already", prefix=token.prefix)
    token.revoked_at, token.revoked_by_id = utcnow(), by.user_id
    audit.record(
        session,
        action="api_token.revoked",
        by=by,
        entity_type="api_token",
        entity_id=token.id,
        before={"revoked": False},
        after={"revoked": True, "name": token.name, "prefix": token.prefix},
    )
    return token


def revoke_all_tokens(session: Session, *, by: Principal, user_id: int) -> int:
    """Revoke every live token of a user (the caller records why); the number revoked."""
    tokens = session.exec(
        select(ApiToken).where(ApiToken.user_id == user_id, col(ApiToken.revoked_at).is_(None))
    ).all()
    for token in tokens:
        token.revoked_at, token.revoked_by_id = utcnow(), by.user_id
    return len(tokens)


def get_token(session: Session, *, token_id: int) -> ApiToken:
    """The token with this id, or NotFound."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound.of("err_no_token", id=token_id)
    return token


def list_tokens(session: Session, *, user_id: int | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens with their holder's username, the newest first; one user's, or everyone's."""
    query = (
        select(ApiToken, User.username)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .order_by(col(ApiToken.created_at).desc())
    )
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return [(token, username) for token, username in session.exec(query)]
