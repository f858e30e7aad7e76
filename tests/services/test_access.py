"""The scope layer on its own: which teams and reviews each role's queries return."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.errors import NotFound, NotVisible
from app.models import Review, Role, Team, User
from app.services import access, paging, reviews, teams
from tests.factories import make_review, make_scale_version, make_team, make_user


@pytest.fixture
def country(session: Session) -> dict[str, object]:
    make_scale_version(session)
    hovedstaden = make_team(session, name="København", municipalities=(101,))
    shared = make_team(session, name="Esbjerg og Fanø", municipalities=(561, 563))
    nord = make_team(session, name="Aalborg", municipalities=(851,))
    roaming = make_user(session, role=Role.AMBASSADOR, regions=(1085,))  # Sjælland
    return {
        "kbh": hovedstaden,
        "esbjerg": shared,
        "aalborg": nord,
        "kbh_final": make_review(session, team=hovedstaden, finalised=True),
        "kbh_open": make_review(session, team=hovedstaden, reviewers=(roaming,)),
        "esbjerg_final": make_review(session, team=shared, finalised=True),
        "aalborg_open": make_review(session, team=nord),
        "roaming": roaming,
    }


def principal(session: Session, user: User) -> access.Principal:
    return access.principal_for(session, user=user)


def team_names(session: Session, who: access.Principal) -> list[str]:
    found = teams.team_page(
        session, principal=who, query=teams.TeamQuery(), page=paging.PageRequest(1, 200)
    )
    return [summary.team.name for summary in found.items]


def review_ids(session: Session, who: access.Principal) -> set[int]:
    return {
        review.id or 0 for review, _, _ in reviews.list_reviews(session, principal=who, limit=200)
    }


def ids(*rows: object) -> set[int]:
    return {row.id or 0 for row in rows if isinstance(row, Review | Team)}


def test_admin_sees_everything(session: Session, country: dict[str, object]) -> None:
    admin = principal(session, make_user(session, role=Role.ADMIN))
    assert team_names(session, admin) == ["Aalborg", "Esbjerg og Fanø", "København"]
    assert review_ids(session, admin) == ids(*(v for k, v in country.items() if "_" in k))


def test_analyst_sees_every_team_but_only_finalised_reviews(
    session: Session, country: dict[str, object]
) -> None:
    analyst = principal(session, make_user(session, role=Role.ANALYST))
    assert team_names(session, analyst) == ["Aalborg", "Esbjerg og Fanø", "København"]
    assert review_ids(session, analyst) == ids(country["kbh_final"], country["esbjerg_final"])


def test_ambassador_sees_their_regions_and_the_reviews_they_are_assigned(
    session: Session, country: dict[str, object]
) -> None:
    syd = principal(session, make_user(session, role=Role.AMBASSADOR, regions=(1083,)))
    assert team_names(session, syd) == ["Esbjerg og Fanø"]
    assert review_ids(session, syd) == ids(country["esbjerg_final"])
    both = principal(session, make_user(session, role=Role.AMBASSADOR, regions=(1081, 1084)))
    assert team_names(session, both) == ["Aalborg", "København"]
    assert review_ids(session, both) == ids(
        country["kbh_final"], country["kbh_open"], country["aalborg_open"]
    )
    # An ambassador from Sjælland helping in København sees that review and its team only.
    roaming = principal(session, country["roaming"])  # type: ignore[arg-type]
    assert team_names(session, roaming) == ["København"]
    assert review_ids(session, roaming) == ids(country["kbh_open"])


def test_team_leader_sees_own_team_and_only_its_finalised_reviews(
    session: Session, country: dict[str, object]
) -> None:
    leader = principal(
        session,
        make_user(session, role=Role.TEAM_LEADER, teams=(country["kbh"],)),  # type: ignore[arg-type]
    )
    assert team_names(session, leader) == ["København"]
    assert review_ids(session, leader) == ids(country["kbh_final"])
    kbh_open = country["kbh_open"]
    assert isinstance(kbh_open, Review)
    with pytest.raises(NotVisible):
        access.visible_review(session, principal=leader, review_id=kbh_open.id or 0)
    aalborg = country["aalborg"]
    assert isinstance(aalborg, Team)
    with pytest.raises(NotVisible):
        access.visible_team(session, principal=leader, team_id=aalborg.id or 0)


def test_a_missing_record_is_not_found_and_not_reported_as_hidden(session: Session) -> None:
    admin = principal(session, make_user(session, role=Role.ADMIN))
    with pytest.raises(NotFound) as raised:
        access.visible_team(session, principal=admin, team_id=999_999)
    assert not isinstance(raised.value, NotVisible)


def test_actions_by_role(session: Session, country: dict[str, object]) -> None:
    kbh, aalborg = country["kbh"], country["aalborg"]
    assert isinstance(kbh, Team) and isinstance(aalborg, Team)
    hovedstaden = principal(session, make_user(session, role=Role.AMBASSADOR, regions=(1084,)))
    leader = principal(session, make_user(session, role=Role.TEAM_LEADER, teams=(kbh,)))
    analyst = principal(session, make_user(session, role=Role.ANALYST))
    assert access.can_create_review(session, principal=hovedstaden, team=kbh)
    assert not access.can_create_review(session, principal=hovedstaden, team=aalborg)
    assert not access.can_create_review(session, principal=leader, team=kbh)
    assert access.can_write_team_feedback(leader, team=kbh)
    assert not access.can_write_team_feedback(leader, team=aalborg)
    assert not access.can_write_team_feedback(hovedstaden, team=kbh)
    assert access.can_export(analyst) and not access.can_export(hovedstaden)
    kbh_open = country["kbh_open"]
    roaming = country["roaming"]
    assert isinstance(kbh_open, Review) and isinstance(roaming, User)
    assert access.can_score(
        principal(session, roaming), review=kbh_open, reviewer_ids={roaming.id or 0}
    )
    assert not access.can_score(hovedstaden, review=kbh_open, reviewer_ids={roaming.id or 0})
