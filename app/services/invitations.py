"""A team leader invites the team's consultants to help fill in the team's part of the
yearly measurement.

The leader names the consultant (a name and a username); an account with the role
``consultant``, scoped to the leader's team and without a password, is made, with a
one-time link the leader hands over (the product sends no mail). Whoever opens the link
within ``INVITATION_DAYS`` sets the account's password, once, under the same password
rules as everyone; then they sign in as anyone does. Only the sha256 of the link's token
is stored. A leader invites to their own team only, sees the team's consultants and can
close a consultant's account again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import Invitation, Role, User, UserTeam, utcnow
from app.services import audit, passwords, users
from app.services.access import Principal
from app.services.credentials import digest

INVITATION_DAYS = 14


@dataclass(frozen=True)
class Consultant:
    """A consultant of the team, as the leader sees them."""

    user: User
    invitation: Invitation | None  # the newest

    def state(self, now: datetime) -> str:
        """ "active" (signed in with a password), "invited" (link open), "expired", or
        "closed"."""
        if not self.user.is_active:
            return "closed"
        if self.user.password_hash:
            return "active"
        if self.invitation and self.invitation.expires_at > now:
            return "invited"
        return "expired"


def _own_team(principal: Principal, team_id: int) -> None:
    if principal.role != Role.TEAM_LEADER or team_id not in principal.teams:
        raise Forbidden.of("err_invite_own_team")


def invite(
    session: Session,
    *,
    principal: Principal,
    team_id: int,
    username: str,
    display_name: str,
) -> tuple[User, str]:
    """A consultant account scoped to the leader's team, and the one-time link's token
    (returned once; only its sha256 is kept)."""
    _own_team(principal, team_id)
    if not display_name.strip():
        raise Invalid.of("err_invite_name")
    user = users.create_user(
        session,
        by=principal,
        username=username,
        display_name=display_name,
        role=Role.CONSULTANT,
        password=None,
        teams=[team_id],
    )
    return user, _new_link(session, principal=principal, user=user, team_id=team_id)


def invite_again(
    session: Session, *, principal: Principal, team_id: int, user_id: int
) -> tuple[User, str]:
    """A new link for a consultant who has not set a password yet (the old one stops)."""
    consultant = _consultant_of(session, principal=principal, team_id=team_id, user_id=user_id)
    if consultant.password_hash:
        raise Conflict.of("err_invite_active", name=consultant.display_name)
    if not consultant.is_active:
        raise Conflict.of("err_invite_closed", name=consultant.display_name)
    now = utcnow()
    for old in session.exec(
        select(Invitation).where(Invitation.user_id == user_id, col(Invitation.used_at).is_(None))
    ):
        old.expires_at = min(old.expires_at, now)
        session.add(old)
    return consultant, _new_link(session, principal=principal, user=consultant, team_id=team_id)


def close(session: Session, *, principal: Principal, team_id: int, user_id: int) -> User:
    """Close a consultant's account: they can no longer sign in."""
    consultant = _consultant_of(session, principal=principal, team_id=team_id, user_id=user_id)
    regions, teams = users.user_scope(session, user_id=user_id)
    return users.update_user(
        session, by=principal, user=consultant, display_name=consultant.display_name,
        role=Role.CONSULTANT, is_active=False, regions=regions, teams=teams,
    )  # fmt: skip


def consultants(session: Session, *, principal: Principal, team_id: int) -> list[Consultant]:
    """The team's consultants and their newest invitation, by name (its leader only)."""
    _own_team(principal, team_id)
    found = session.exec(
        select(User)
        .join(UserTeam, col(UserTeam.user_id) == col(User.id))
        .where(UserTeam.team_id == team_id, User.role == Role.CONSULTANT)
        .order_by(col(User.display_name))
    ).all()
    newest: dict[int, Invitation] = {}
    for invitation in session.exec(
        select(Invitation)
        .where(col(Invitation.user_id).in_([u.id for u in found]))
        .order_by(col(Invitation.id))
    ):
        newest[invitation.user_id] = invitation
    return [Consultant(user, newest.get(user.id or 0)) for user in found]


def open_invitation(session: Session, *, token: str, now: datetime) -> tuple[Invitation, User]:
    """The invitation behind a link, if it can still be used; a clear refusal otherwise."""
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == digest(token))
    ).first()
    if invitation is None:
        raise NotFound.of("err_invitation_unknown")
    user = session.get(User, invitation.user_id)
    assert user is not None
    if invitation.used_at is not None or user.password_hash:
        raise Conflict.of("err_invitation_used")
    # The link sets the password of a consultant of the inviting leader's team, nothing
    # else: an account made something else since (or moved) is not the link's any more.
    still_theirs = (
        user.role == Role.CONSULTANT
        and session.get(UserTeam, (user.id, invitation.team_id)) is not None
    )
    if invitation.expires_at <= now or not user.is_active or not still_theirs:
        raise Conflict.of("err_invitation_expired")
    return invitation, user


def accept(session: Session, *, token: str, password: str, repeat: str, now: datetime) -> User:
    """The invited consultant's own password set through the link, which then stops."""
    invitation, user = open_invitation(session, token=token, now=now)
    if password != repeat:
        raise Invalid.of("passwords_differ")
    me = Principal(user.id, user.username, user.display_name, Role(user.role), channel="web")
    passwords.set_password(session, by=me, user=user, password=password)
    invitation.used_at = now
    session.add(invitation)
    return user


def _new_link(session: Session, *, principal: Principal, user: User, team_id: int) -> str:
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        Invitation(
            token_hash=digest(token),
            user_id=user.id,
            team_id=team_id,
            created_by_id=principal.user_id,
            expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
        )
    )
    session.flush()
    audit.record(
        session,
        action="user.invited",
        by=principal,
        entity_type="user",
        entity_id=user.id,
        after={"team_id": team_id, "days": INVITATION_DAYS},
    )
    return token


def _consultant_of(session: Session, *, principal: Principal, team_id: int, user_id: int) -> User:
    _own_team(principal, team_id)
    user = session.get(User, user_id)
    scoped = session.get(UserTeam, (user_id, team_id))
    if user is None or scoped is None or user.role != Role.CONSULTANT:
        raise NotFound.of("err_invite_not_consultant")
    return user
