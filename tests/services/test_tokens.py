"""API tokens through the service: what is stored of a new one (never the token), each
refusal by its message key, what a bearer token finds, and revoking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from app.errors import Conflict, DomainError, Invalid, NotAuthenticated, NotFound
from app.models import ApiToken, AuditEvent, Role, utcnow
from app.services import access, tokens
from app.services.access import Principal
from app.services.credentials import digest
from tests.factories import make_user

SYSTEM = Principal.system()


def find(session: Session, plain: str) -> Any:
    return tokens.find_token(session.connection(), plain=plain)


def test_a_new_token_is_returned_once_and_kept_as_its_digest(session: Session) -> None:
    admin, user = make_user(session, role=Role.ADMIN), make_user(session, regions=(1081, 1084))
    plain, token = tokens.create_token(
        session, by=access.principal_for(session, user=admin), user=user, name="  R nightly "
    )
    assert plain.startswith(tokens.TOKEN_PREFIX) and len(plain) > 40
    stored = session.get(ApiToken, token.id)
    assert stored is not None and stored.token_hash == digest(plain)
    assert (stored.name, stored.prefix, stored.created_by_id) == ("R nightly", plain[:12], admin.id)
    assert stored.revoked_at is None and stored.last_used_at is None
    [created] = session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.created"))
    assert created.actor_id == admin.id and created.entity_id == str(token.id)
    assert created.after == {"user": user.username, "name": "R nightly", "prefix": plain[:12]}
    holder = find(session, plain)
    assert (holder.id, holder.user_id, holder.role) == (token.id, user.id, Role.AMBASSADOR)
    assert holder.regions == {1081, 1084} and holder.csrf_token is None


@pytest.mark.parametrize(
    ("given", "error", "key"),
    [
        ({"name": " "}, Invalid, "err_token_name"),
        ({"name": "n" * 101}, Invalid, "err_token_name"),
        ({"form_id": ""}, Invalid, "err_token_form"),
        ({"form_id": "f" * 65}, Invalid, "err_token_form"),
        ({"form_id": "used"}, Conflict, "err_token_form_used"),
        ({"disabled": True}, Conflict, "err_token_user_disabled"),
    ],
)
def test_a_refused_token_says_why_and_stores_nothing(
    session: Session, given: dict[str, Any], error: type[DomainError], key: str
) -> None:
    given = dict(given)  # the parameters serve each backend's run
    user = make_user(session, active=not given.pop("disabled", False))
    tokens.create_token(session, by=SYSTEM, user=make_user(session), name="a", form_id="used")
    before = session.exec(select(func.count()).select_from(ApiToken)).one()
    with pytest.raises(error) as refused:
        tokens.create_token(session, by=SYSTEM, user=user, **({"name": "script"} | given))
    assert refused.value.key == key
    assert session.exec(select(func.count()).select_from(ApiToken)).one() == before
    assert tokens.list_tokens(session, user_id=user.id) == []


def test_the_same_form_sent_twice_makes_one_token(session: Session) -> None:
    user = make_user(session)
    tokens.create_token(session, by=SYSTEM, user=user, name="Power BI", form_id="form-1")
    with pytest.raises(Conflict):
        tokens.create_token(session, by=SYSTEM, user=user, name="Power BI", form_id="form-1")
    tokens.create_token(session, by=SYSTEM, user=user, name="Power BI", form_id="form-2")
    assert [token.form_id for token, _ in tokens.list_tokens(session, user_id=user.id)] == [
        "form-2",
        "form-1",
    ]


@pytest.mark.parametrize("how", ["unknown", "revoked", "disabled"])
def test_a_dead_token_is_not_authenticated_saying_why(session: Session, how: str) -> None:
    user = make_user(session)
    plain, token = tokens.create_token(session, by=SYSTEM, user=user, name="script")
    if how == "unknown":
        plain = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    elif how == "revoked":
        tokens.revoke_token(session, by=SYSTEM, token=token)
    else:
        user.is_active = False
    session.flush()
    with pytest.raises(NotAuthenticated) as refused:
        find(session, plain)
    reason = {"unknown": "unknown_token", "revoked": "revoked_token"}
    assert refused.value.detail == reason.get(how, "token_user_disabled")
    assert refused.value.user_id == (None if how == "unknown" else user.id)
    assert not refused.value.expired


def test_revoking_is_on_record_and_happens_once(session: Session) -> None:
    admin, user = make_user(session, role=Role.ADMIN), make_user(session)
    by = access.principal_for(session, user=admin)
    _, token = tokens.create_token(session, by=by, user=user, name="script")
    assert tokens.get_token(session, token_id=token.id or 0) is token
    tokens.revoke_token(session, by=by, token=token)
    assert token.revoked_at is not None and token.revoked_by_id == admin.id
    with pytest.raises(Conflict) as refused:
        tokens.revoke_token(session, by=by, token=token)
    assert refused.value.key == "err_token_revoked_already"
    revoked = session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))
    assert [(e.before, e.after) for e in revoked] == [
        ({"revoked": False}, {"revoked": True, "name": "script", "prefix": token.prefix})
    ]
    with pytest.raises(NotFound) as missing:
        tokens.get_token(session, token_id=2_000_000_000)
    assert missing.value.key == "err_no_token"


def test_every_live_token_of_a_user_is_revoked_at_once(session: Session) -> None:
    user, other = make_user(session), make_user(session)
    mine = [tokens.create_token(session, by=SYSTEM, user=user, name=n)[1] for n in "abc"]
    _, theirs = tokens.create_token(session, by=SYSTEM, user=other, name="d")
    tokens.revoke_token(session, by=SYSTEM, token=mine[0])
    assert tokens.revoke_all_tokens(session, by=SYSTEM, user_id=user.id or 0) == 2
    assert all(token.revoked_at is not None for token in mine) and theirs.revoked_at is None
    listed = tokens.list_tokens(session)
    assert {(token.id, name) for token, name in listed} >= {
        (token.id, user.username) for token in mine
    } | {(theirs.id, other.username)}


def test_a_token_in_use_is_marked_at_most_once_in_the_interval(session: Session) -> None:
    plain, token = tokens.create_token(session, by=SYSTEM, user=make_user(session), name="s")
    now = utcnow()
    assert tokens.needs_touch(find(session, plain), now=now)
    tokens.touch_token(session, token_id=token.id or 0, now=now)
    session.refresh(token)
    assert token.last_used_at == now
    soon = now + tokens.TOKEN_TOUCH_INTERVAL - timedelta(seconds=1)
    assert not tokens.needs_touch(find(session, plain), now=soon)
    tokens.touch_token(session, token_id=token.id or 0, now=soon)
    session.refresh(token)
    assert token.last_used_at == now, "not written again within the interval"
    later = now + tokens.TOKEN_TOUCH_INTERVAL + timedelta(seconds=1)
    tokens.touch_token(session, token_id=token.id or 0, now=later)
    session.refresh(token)
    assert token.last_used_at == later
