"""Users and their scopes: creating and changing accounts, their role, their regions (an
ambassador's) or teams (a team leader's), and whether they may sign in.

Role and scope are read afresh on every request, so a change applies at once.
Disabling an account ends its sessions and revokes its tokens, so enabling it again
later does not bring back access that may have leaked meanwhile. The audit trail keeps
each change, never a password hash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid, NotFound
from app.models import Region, Role, Team, User, UserRegion, UserTeam
from app.security import hash_password
from app.services import audit
from app.services.access import Principal
from app.services.passwords import check_new_password
from app.services.sessions import end_user_sessions
from app.services.tokens import revoke_all_tokens

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MAX_USERNAME = 64
MAX_DISPLAY_NAME = 200


def normalise_username(raw: str) -> str:
    """The username as stored (trimmed, lower case), or Invalid if it cannot be one."""
    username = raw.strip().lower()
    if not USERNAME.fullmatch(username):
        raise Invalid.of("err_username_unusable", value=raw[:70])
    return username


def get_user(session: Session, *, user_id: int) -> User:
    """The user with this id, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound.of("err_no_user_id", id=user_id)
    return user


def find_user(session: Session, *, username: str) -> User | None:
    """The user with this username (as typed: trimmed and lower-cased here), if any."""
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def get_user_by_name(session: Session, *, username: str) -> User:
    """The user with this username, or NotFound."""
    user = find_user(session, username=username)
    if user is None:
        raise NotFound.of("err_no_user", username=username)
    return user


def user_scope(session: Session, *, user_id: int) -> tuple[list[int], list[int]]:
    """A user's region codes and team ids, each in order."""
    regions = session.exec(
        select(UserRegion.region_code)
        .where(UserRegion.user_id == user_id)
        .order_by(col(UserRegion.region_code))
    ).all()
    teams = session.exec(
        select(UserTeam.team_id).where(UserTeam.user_id == user_id).order_by(col(UserTeam.team_id))
    ).all()
    return list(regions), list(teams)


def display_names(session: Session, *, user_ids: list[int]) -> dict[int, str]:
    """The display names of these users, by id."""
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids)))
    return {user_id: name for user_id, name in rows if user_id is not None}


def list_users(session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.exec(select(User).order_by(col(User.username))))


def create_user(
    session: Session,
    *,
    by: Principal,
    username: str,
    display_name: str,
    role: Role,
    password: str | None,
    regions: Sequence[int] = (),
    teams: Sequence[int] = (),
) -> User:
    """A new user with a role and scope; without a password they cannot sign in yet."""
    name = normalise_username(username)
    display = _display_name(display_name, name)
    if password is not None:
        check_new_password(password, username=name, display_name=display)
    regions, teams = _check_scope(session, role, regions, teams)
    if find_user(session, username=name) is not None:
        raise Conflict.of("err_username_taken", username=name)
    user = User(
        username=name,
        display_name=display,
        role=role,
        password_hash=None if password is None else hash_password(password),
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    _set_scope(session, user.id, regions, teams)
    audit.record(
        session,
        action="user.created",
        by=by,
        entity_type="user",
        entity_id=user.id,
        after=_snapshot(session, user) | {"password_set": password is not None},
    )
    return user


def update_user(
    session: Session,
    *,
    by: Principal,
    user: User,
    display_name: str,
    role: Role,
    is_active: bool,
    regions: Sequence[int],
    teams: Sequence[int],
) -> User:
    """Change a user's name, role, scope or status. Disabling ends their sessions."""
    assert user.id is not None
    display = _display_name(display_name, user.username)
    if user.id == by.user_id and (role != Role.ADMIN or not is_active):
        raise Conflict.of("err_self_lockout")
    regions, teams = _check_scope(session, role, regions, teams)
    before = _snapshot(session, user)
    user.display_name, user.role, user.is_active = display, role, is_active
    _set_scope(session, user.id, regions, teams)
    after = _snapshot(session, user)
    if after == before:
        return user
    if not is_active and before["is_active"]:
        after["sessions_ended"] = end_user_sessions(
            session, user_id=user.id, reason="user_disabled"
        )
        after["tokens_revoked"] = revoke_all_tokens(session, by=by, user_id=user.id)
    audit.record(
        session,
        action="user.updated",
        by=by,
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=after,
    )
    return user


def _display_name(given: str, username: str) -> str:
    display = given.strip() or username
    if len(display) > MAX_DISPLAY_NAME:
        raise Invalid.of("err_display_name_long")
    return display


def _snapshot(session: Session, user: User) -> dict[str, Any]:
    """What the audit trail keeps of a user: never the password hash."""
    assert user.id is not None
    regions, teams = user_scope(session, user_id=user.id)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "is_active": user.is_active,
        "regions": regions,
        "teams": teams,
    }


def _check_scope(
    session: Session, role: Role, regions: Sequence[int], teams: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The scope sorted and without repeats, if it fits the role and names what exists."""
    regions, teams = sorted(set(regions)), sorted(set(teams))
    if role == Role.AMBASSADOR and not regions:
        raise Invalid.of("err_ambassador_needs_region")
    if role == Role.TEAM_LEADER and not teams:
        raise Invalid.of("err_leader_needs_team")
    if role == Role.CONSULTANT and len(teams) != 1:
        raise Invalid.of("err_consultant_one_team")
    if role != Role.AMBASSADOR and regions:
        raise Invalid.of("err_regions_only_ambassadors")
    if role not in (Role.TEAM_LEADER, Role.CONSULTANT) and teams:
        raise Invalid.of("err_teams_only_leaders")
    known_regions = set(session.exec(select(Region.code).where(col(Region.code).in_(regions))))
    if unknown := [code for code in regions if code not in known_regions]:
        allowed = ", ".join(str(code) for code in session.exec(select(Region.code)))
        raise Invalid.of("err_unknown_region", code=unknown[0], allowed=allowed)
    known_teams = set(session.exec(select(Team.id).where(col(Team.id).in_(teams))))
    if unknown := [team for team in teams if team not in known_teams]:
        raise Invalid.of("err_unknown_team", id=unknown[0])
    return regions, teams


def _set_scope(
    session: Session, user_id: int, regions: Sequence[int], teams: Sequence[int]
) -> None:
    for row in session.exec(select(UserRegion).where(UserRegion.user_id == user_id)):
        if row.region_code not in regions:
            session.delete(row)
    for row_team in session.exec(select(UserTeam).where(UserTeam.user_id == user_id)):
        if row_team.team_id not in teams:
            session.delete(row_team)
    current_regions, current_teams = user_scope(session, user_id=user_id)
    session.add_all(
        UserRegion(user_id=user_id, region_code=code)
        for code in regions
        if code not in current_regions
    )
    session.add_all(
        UserTeam(user_id=user_id, team_id=team) for team in teams if team not in current_teams
    )
    session.flush()
