"""The measurement round: opened by the team's ambassador, the team's part filled in by
its leader and consultants until the deadline or the submission, the team's figures
checked against the instrument, every save idempotent and a refused one leaving nothing
behind, and the ambassadors' confirmation of the implementation status."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid, NotVisible
from app.models import (
    ImplementationRater,
    ImplementationRating,
    MeasurementRound,
    Role,
    RoundChange,
    RoundStatus,
    Team,
    TeamFigure,
)
from app.services import access, planning, rounds, self_report
from app.services.access import Principal
from app.services.self_report import DocumentsInput, FigureInput, PointInput
from tests.factories import (
    make_instrument_version,
    make_review,
    make_scale_version,
    make_team,
    make_user,
)
from tests.services.test_feedback import events

TODAY = date(2026, 3, 2)
DEADLINE = date(2026, 3, 20)
TEAM = ImplementationRater.TEAM
AMBASSADORS = ImplementationRater.AMBASSADORS


def principal(session: Session, role: Role, **scope: object) -> Principal:
    return access.principal_for(session, user=make_user(session, role=role, **scope))  # type: ignore[arg-type]


def opened(
    session: Session, team: Team | None = None, *, year: int = 2026
) -> tuple[rounds.RoundContext, Principal]:
    make_instrument_version(session)
    team = team or make_team(session)
    ambassador = principal(session, Role.AMBASSADOR)
    context = rounds.open_round(
        session,
        principal=ambassador,
        team_id=team.id or 0,
        year=year,
        deadline=DEADLINE,
        today=TODAY,
    )
    session.commit()
    return context, ambassador


def point(
    session: Session,
    who: Principal,
    context: rounds.RoundContext,
    key: str,
    level: int | str | None,
    *,
    rater: ImplementationRater = TEAM,
    today: date = TODAY,
    client_id: str | None = None,
    **more: str,
) -> self_report.Saved:
    saved = self_report.save_point(
        session,
        principal=who,
        round_id=context.id,
        change=PointInput(item_key=key, level=level, **more),
        rater=rater,
        client_id=client_id,
        today=today,
    )
    session.commit()
    return saved


def figure(
    session: Session,
    who: Principal,
    context: rounds.RoundContext,
    key: str,
    value: object,
    consultants: list[str] | None = None,
) -> self_report.Saved:
    saved = self_report.save_figure(
        session,
        principal=who,
        round_id=context.id,
        change=FigureInput(input_key=key, value=value, consultants=consultants),  # type: ignore[arg-type]
        client_id=None,
        today=TODAY,
        language="en",
    )
    session.commit()
    return saved


def rate_everything(
    session: Session, who: Principal, context: rounds.RoundContext, level: int = 3
) -> None:
    for item in context.instrument.items_for(context.team.program_type):
        point(session, who, context, item.key, level)


# Opening ---------------------------------------------------------------------------------


def test_the_ambassador_opens_a_round_for_the_year_and_it_takes_that_years_review(
    session: Session,
) -> None:
    team = make_team(session)
    review = make_review(session, team=team, visit_date=date(2026, 4, 15))
    make_review(session, team=team, visit_date=date(2025, 4, 15), finalised=True)
    context, _ = opened(session, team)
    assert context.round.review_id == review.id
    assert context.round.status == RoundStatus.OPEN
    assert context.instrument.key == "implementeringsstatus"
    [event] = events(session, "round.opened")
    assert event.after is not None and event.after["deadline"] == "2026-03-20"


def test_a_review_planned_after_the_round_is_opened_joins_it(session: Session) -> None:
    context, ambassador = opened(session)
    make_scale_version(session)
    other = make_user(session, role=Role.AMBASSADOR)
    review = planning.plan_review(
        session,
        principal=ambassador,
        team_id=context.team.id or 0,
        visit_date=date(2026, 5, 1),
        reviewer_usernames=[ambassador.username, other.username],
        lead_username=ambassador.username,
    )
    session.commit()
    session.refresh(context.round)
    assert context.round.review_id == review.id


@pytest.mark.parametrize(
    ("year", "deadline", "key"),
    [
        (None, DEADLINE, "err_round_year"),
        (1999, DEADLINE, "err_round_year"),
        (2026, None, "err_round_deadline_required"),
        (2026, TODAY - timedelta(days=1), "err_round_deadline_past"),
    ],
)
def test_a_round_without_a_year_or_with_a_past_deadline_is_refused(
    session: Session, year: int | None, deadline: date | None, key: str
) -> None:
    make_instrument_version(session)
    team = make_team(session)
    with pytest.raises(Invalid) as refused:
        rounds.open_round(
            session,
            principal=principal(session, Role.AMBASSADOR),
            team_id=team.id or 0,
            year=year,
            deadline=deadline,
            today=TODAY,
        )
    assert refused.value.key == key
    assert session.exec(select(MeasurementRound)).all() == []


def test_one_round_per_team_and_year(session: Session) -> None:
    context, ambassador = opened(session)
    with pytest.raises(Conflict) as refused:
        rounds.open_round(
            session,
            principal=ambassador,
            team_id=context.team.id or 0,
            year=2026,
            deadline=DEADLINE,
            today=TODAY,
        )
    assert refused.value.key == "err_round_exists"


def test_only_the_teams_ambassadors_open_a_round(session: Session) -> None:
    make_instrument_version(session)
    team = make_team(session)
    elsewhere = principal(session, Role.AMBASSADOR, regions=(1081,))
    leader = principal(session, Role.TEAM_LEADER, teams=(team,))
    with pytest.raises(NotVisible):
        rounds.open_round(
            session, principal=elsewhere, team_id=team.id or 0, year=2026, deadline=DEADLINE,
            today=TODAY,
        )  # fmt: skip
    with pytest.raises(Forbidden):
        rounds.open_round(
            session, principal=leader, team_id=team.id or 0, year=2026, deadline=DEADLINE,
            today=TODAY,
        )  # fmt: skip


def test_without_a_published_instrument_no_round_opens(session: Session) -> None:
    team = make_team(session)
    with pytest.raises(Conflict) as refused:
        rounds.open_round(
            session,
            principal=principal(session, Role.AMBASSADOR),
            team_id=team.id or 0,
            year=2026,
            deadline=DEADLINE,
            today=TODAY,
        )
    assert refused.value.key == "err_round_no_instrument"


# The team's part ------------------------------------------------------------------------------


def test_the_leader_and_an_invited_consultant_fill_in_the_teams_part(session: Session) -> None:
    context, _ = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    consultant = principal(session, Role.CONSULTANT, teams=(context.team,))
    point(
        session,
        leader,
        context,
        "regional-agreement",
        "3",
        description="Negotiated with Region Hovedstaden's psychiatry",
        evidence_date="2026-02-01",
        evidence_document="Udkast til samarbejdsaftale",
    )
    point(session, consultant, context, "basic-training", 2)
    figure(session, consultant, context, "caseload", "18")
    figure(session, leader, context, "employer-contacts", None, consultants=["4,5", "6", " "])
    self_report.save_documents(
        session,
        principal=leader,
        round_id=context.id,
        change=DocumentsInput(documents=["psychiatry-agreement", "implementation-plan"]),
        client_id=None,
        today=TODAY,
    )
    session.commit()
    assert rounds.team_levels(session, round_id=context.id) == {
        "regional-agreement": 3,
        "basic-training": 2,
    }
    row = session.exec(
        select(ImplementationRating).where(ImplementationRating.item_key == "regional-agreement")
    ).one()
    assert row.evidence_date == date(2026, 2, 1)
    assert row.evidence_document == "Udkast til samarbejdsaftale"
    figures = {f.input_key: f for f in session.exec(select(TeamFigure))}
    assert figures["caseload"].value == 18
    assert figures["employer-contacts"].consultants == [4.5, 6.0]
    session.refresh(context.round)
    # in the instrument's order, whatever order they were ticked in
    assert context.round.documents == ["implementation-plan", "psychiatry-agreement"]
    assert len(session.exec(select(RoundChange)).all()) == 5
    assert len(events(session, "round.saved")) == 5


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "caseload",
            "501",
            "Citizens per full-time consultant: 501 lies outside 0\u2013500 citizens.",
        ),
        ("caseload", "18 %", "Citizens per full-time consultant: write the figure in citizens"),
        ("caseload", "18,5", "Citizens per full-time consultant: write a whole number."),
        (
            "consultant-fte",
            "4,25",
            "full-time equivalents: write the figure with at most 1 decimal",
        ),
        ("caseload", "many", "\u201cmany\u201d is not a number"),
        ("caseload", -1, "-1 lies outside 0\u2013500"),
        (
            "days-to-employer-contact",
            "30 weeks",
            "write the figure in days, not in \u201cweeks\u201d",
        ),
    ],
)
def test_a_figure_outside_its_range_or_in_the_wrong_unit_is_refused_and_nothing_saved(
    session: Session, key: str, value: object, message: str
) -> None:
    context, _ = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    with pytest.raises(Invalid) as refused:
        figure(session, leader, context, key, value)
    assert message in refused.value.message("en")
    session.rollback()
    assert session.exec(select(TeamFigure)).all() == []
    assert session.exec(select(RoundChange)).all() == []


def test_figures_read_as_people_type_them(session: Session) -> None:
    context, _ = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    for typed, stored in [("85 %", 85), ("1.250", 1250), ("30 dage", None), ("12", 12)]:
        key = "participants" if typed == "1.250" else "ips-time-share"
        if stored is None:
            figure(session, leader, context, "days-to-employer-contact", typed)
            stored, key = 30, "days-to-employer-contact"
        else:
            figure(session, leader, context, key, typed)
        row = session.exec(select(TeamFigure).where(TeamFigure.input_key == key)).one()
        assert row.value == stored, typed


def test_a_figure_cleared_is_kept_empty(session: Session) -> None:
    context, _ = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    figure(session, leader, context, "job-starts", "7")
    figure(session, leader, context, "job-starts", "")
    row = session.exec(select(TeamFigure)).one()
    assert (row.value, row.revision) == (None, 2)


def test_the_same_change_sent_twice_lands_once(session: Session) -> None:
    context, _ = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    first = point(session, leader, context, "funding", 4, client_id="c-1")
    again = point(session, leader, context, "funding", 4, client_id="c-1")
    assert (first.outcome, again.outcome) == ("saved", "replayed")
    with pytest.raises(Conflict) as refused:
        point(session, leader, context, "funding", 2, client_id="c-1")
    assert refused.value.key == "err_client_id_reused"
    session.rollback()
    assert rounds.team_levels(session, round_id=context.id) == {"funding": 4}
    assert len(session.exec(select(RoundChange)).all()) == 1
    unchanged = point(session, leader, context, "funding", 4, client_id="c-2")
    assert unchanged.outcome == "unchanged"


@pytest.mark.parametrize(
    ("key", "level", "error"),
    [
        ("funding", 6, "err_round_level"),
        ("funding", "four", "err_round_level"),
        ("no-such-point", 3, "err_round_unknown_point"),
        ("target-group-referral", 3, "err_round_point_not_for_team"),  # IPS-like teams only
    ],
)
def test_a_point_the_team_cannot_have_is_refused(
    session: Session, key: str, level: object, error: str
) -> None:
    context, _ = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    with pytest.raises(Invalid) as refused:
        point(session, leader, context, key, level)  # type: ignore[arg-type]
    assert refused.value.key == error
    session.rollback()
    assert session.exec(select(ImplementationRating)).all() == []


def test_nobody_outside_the_team_fills_in_its_part(session: Session) -> None:
    context, ambassador = opened(session)
    other_team = make_team(session)
    other_leader = principal(session, Role.TEAM_LEADER, teams=(other_team,))
    other_consultant = principal(session, Role.CONSULTANT, teams=(other_team,))
    for outsider in (other_leader, other_consultant):
        with pytest.raises(NotVisible):
            point(session, outsider, context, "funding", 3)
    for not_the_team in (ambassador, principal(session, Role.ADMIN)):
        with pytest.raises(Forbidden) as refused:
            point(session, not_the_team, context, "funding", 3)
        assert refused.value.key == "err_round_team_only"
    session.rollback()
    assert session.exec(select(ImplementationRating)).all() == []


def test_after_the_deadline_the_part_is_closed_until_the_ambassador_moves_it(
    session: Session,
) -> None:
    context, ambassador = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    late = DEADLINE + timedelta(days=1)
    with pytest.raises(Conflict) as refused:
        point(session, leader, context, "funding", 3, today=late)
    assert refused.value.key == "err_round_closed"
    session.rollback()
    rounds.set_deadline(
        session, principal=ambassador, round_id=context.id, deadline=late, today=late
    )
    session.commit()
    assert point(session, leader, context, "funding", 3, today=late).outcome == "saved"
    [event] = events(session, "round.deadline_set")
    assert event.before == {"deadline": "2026-03-20"}


def test_the_leader_submits_once_and_the_part_then_stays_as_it_was(session: Session) -> None:
    context, ambassador = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    consultant = principal(session, Role.CONSULTANT, teams=(context.team,))
    point(session, leader, context, "funding", 4)
    with pytest.raises(Forbidden) as refused:
        rounds.submit(session, principal=consultant, round_id=context.id, today=TODAY)
    assert refused.value.key == "err_round_submit_leader"
    rounds.submit(session, principal=leader, round_id=context.id, today=TODAY)
    session.commit()
    session.refresh(context.round)
    assert context.round.status == RoundStatus.SUBMITTED
    assert context.round.submitted_by_id == leader.user_id
    assert context.round.submitted_at is not None
    assert context.round.team_result is not None
    assert context.round.team_result["rated_count"] == 1
    for action in (
        lambda: point(session, leader, context, "funding", 2),
        lambda: figure(session, leader, context, "caseload", "20"),
        lambda: rounds.submit(session, principal=leader, round_id=context.id, today=TODAY),
        lambda: rounds.set_deadline(
            session, principal=ambassador, round_id=context.id, deadline=DEADLINE, today=TODAY
        ),
    ):
        with pytest.raises(Conflict) as refused_again:
            action()
        assert refused_again.value.key == "err_round_submitted"
        session.rollback()
    assert rounds.team_levels(session, round_id=context.id) == {"funding": 4}


# The ambassadors' assessment ----------------------------------------------------------------


def test_the_ambassadors_adjust_with_a_note_and_confirm_keeping_both_ratings(
    session: Session,
) -> None:
    context, ambassador = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    rate_everything(session, leader, context, level=4)
    with pytest.raises(Conflict) as refused:
        point(session, ambassador, context, "funding", 2, rater=AMBASSADORS)
    assert refused.value.key == "err_round_still_open"
    session.rollback()
    rounds.submit(session, principal=leader, round_id=context.id, today=TODAY)
    session.commit()
    assert not rounds.sees_ambassador_ratings(leader, measurement=context.round)
    point(
        session,
        ambassador,
        context,
        "regional-agreement",
        2,
        rater=AMBASSADORS,
        description="The agreement is not signed yet",
    )
    rounds.confirm_assessment(
        session, principal=ambassador, round_id=context.id, note="Talked through", today=TODAY
    )
    session.commit()
    measurement = session.get(MeasurementRound, context.id)
    assert measurement is not None and measurement.assessed_at is not None
    assert rounds.sees_ambassador_ratings(leader, measurement=measurement)
    ours = rounds.ambassador_levels(session, round_id=context.id)
    assert ours["regional-agreement"] == 2 and ours["funding"] == 4  # the team's, confirmed
    assert rounds.team_levels(session, round_id=context.id)["regional-agreement"] == 4
    assert measurement.result is not None and measurement.team_result is not None
    leadership = [e for e in measurement.result["elements"] if e["key"] == "leadership"][0]
    assert leadership["mean"] == 3.5  # (4 + 2 + 4 + 4) / 4
    assert measurement.overall_status == "in-place"
    assert measurement.assessment_note == "Talked through"
    with pytest.raises(Conflict) as refused_again:
        point(session, ambassador, context, "funding", 3, rater=AMBASSADORS)
    assert refused_again.value.key == "err_round_assessed"


def test_a_confirmation_names_the_points_nobody_rated(session: Session) -> None:
    context, ambassador = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    point(session, leader, context, "funding", 4)
    late = DEADLINE + timedelta(days=1)  # the team never submitted; the deadline passed
    with pytest.raises(Invalid) as refused:
        rounds.confirm_assessment(
            session, principal=ambassador, round_id=context.id, note=None, today=late
        )
    assert refused.value.key == "err_round_unrated"
    assert refused.value.params["count"] == 15
    session.rollback()
    assert session.get(MeasurementRound, context.id).assessed_at is None  # type: ignore[union-attr]


def test_analysts_see_a_round_only_once_confirmed_and_a_reopened_one_leaves_the_figures(
    session: Session,
) -> None:
    context, ambassador = opened(session)
    analyst = principal(session, Role.ANALYST)
    with pytest.raises(NotVisible):
        rounds.visible_round(session, principal=analyst, round_id=context.id)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    rate_everything(session, leader, context, level=2)
    rounds.submit(session, principal=leader, round_id=context.id, today=TODAY)
    rounds.confirm_assessment(
        session, principal=ambassador, round_id=context.id, note=None, today=TODAY
    )
    session.commit()
    assert rounds.visible_round(session, principal=analyst, round_id=context.id).id == context.id
    with pytest.raises(Invalid):
        rounds.reopen_assessment(session, principal=ambassador, round_id=context.id, reason=" ")
    rounds.reopen_assessment(
        session, principal=ambassador, round_id=context.id, reason="Wrong point 5"
    )
    session.commit()
    with pytest.raises(NotVisible):
        rounds.visible_round(session, principal=analyst, round_id=context.id)
    [event] = events(session, "round.assessment_reopened")
    assert event.before is not None and event.before["status"] == "under-way"


def test_rounds_of_a_team_newest_first(session: Session) -> None:
    team = make_team(session)
    opened(session, team, year=2026)
    context, ambassador = opened(session, team, year=2027)
    years = [
        r.year for r in rounds.rounds_of_team(session, principal=ambassador, team_id=team.id or 0)
    ]
    assert years == [2027, 2026]
    assert session.exec(select(MeasurementRound).where(col(MeasurementRound.year) == 2027)).one()
    assert context.round.year == 2027


# The team's figures beside the review ---------------------------------------------------------


def test_the_scoring_screen_and_the_finalised_review_keep_the_teams_figures_beside_their_own(
    session: Session,
) -> None:
    from app.scales.rules import RatingInput
    from app.services import consensus, ratings, round_view
    from tests.factories import shipped_scale

    context, _ = opened(session)
    lead, second = make_user(session), make_user(session)
    review = make_review(session, team=context.team, reviewers=(lead, second))
    context.round.review_id = review.id
    session.add(context.round)
    session.commit()
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    figure(session, leader, context, "caseload", "18")
    figure(session, leader, context, "ips-time-share", "85")
    figure(session, leader, context, "employer-contacts", None, consultants=["4,5", "6"])

    scale = shipped_scale()
    shown = round_view.team_figures_for_review(session, review_id=review.id or 0, definition=scale)
    assert set(shown) == {"caseload-size", "employment-services-staff", "job-development-frequency"}
    assert (shown["caseload-size"].value, shown["caseload-size"].score) == (18, 5)
    assert shown["job-development-frequency"].consultants == [4.5, 6.0]
    assert shown["job-development-frequency"].score == 4.0  # the mean of 3 (4.5) and 5 (6)
    assert not shown["caseload-size"].submitted

    own = {"caseload-size": {"figure": 18}, "employment-services-staff": {"figure": 100}}
    for user in (lead, second):
        for item in scale.items:
            change = RatingInput(inputs=own[item.key]) if item.key in own else RatingInput(score=4)
            ratings.save_rating(
                session,
                principal=access.principal_for(session, user=user),
                review_id=review.id or 0,
                item_key=item.key,
                change=change,
                client_id=None,
            )
        consensus.submit(
            session, principal=access.principal_for(session, user=user), review_id=review.id or 0
        )
    consensus.finalise(
        session, principal=access.principal_for(session, user=lead), review_id=review.id or 0
    )
    session.commit()
    session.refresh(review)
    assert review.result is not None
    kept = review.result["team_figures"]
    assert kept["caseload-size"] == {
        "input": "caseload", "team": 18.0, "team_score": 5.0, "reviewers": 18, "score": 5.0,
        "accepted": True,
    }  # fmt: skip
    assert kept["employment-services-staff"]["team"] == 85.0
    assert kept["employment-services-staff"]["reviewers"] == 100
    assert kept["employment-services-staff"]["accepted"] is False
    assert kept["job-development-frequency"]["accepted"] is None  # scored without figures


# Found by a review: each of these once went wrong --------------------------------------------


def test_a_change_already_stored_is_answered_as_stored_even_after_submission(
    session: Session,
) -> None:
    context, _ = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    point(session, leader, context, "funding", 4, client_id="c-1")
    assert point(session, leader, context, "funding", 4, client_id="c-2").outcome == "unchanged"
    with pytest.raises(Conflict):  # an id spent on an unchanged save is spent
        point(session, leader, context, "funding", 2, client_id="c-2")
    session.rollback()
    rounds.submit(session, principal=leader, round_id=context.id, today=TODAY)
    session.commit()
    resent = point(session, leader, context, "funding", 4, client_id="c-1")
    assert resent.outcome == "replayed"


def test_a_confirmed_round_keeps_its_deadline_and_the_teams_own_result(session: Session) -> None:
    context, ambassador = opened(session)
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    rate_everything(session, leader, context, level=3)
    late = DEADLINE + timedelta(days=1)  # closed at the deadline without a submission
    rounds.confirm_assessment(
        session, principal=ambassador, round_id=context.id, note=None, today=late
    )
    session.commit()
    session.refresh(context.round)
    assert context.round.team_result is not None and context.round.team_result["mean"] == 3.0
    with pytest.raises(Conflict) as refused:
        rounds.set_deadline(
            session, principal=ambassador, round_id=context.id, deadline=late + timedelta(days=9),
            today=late,
        )  # fmt: skip
    assert refused.value.key == "err_round_assessed"


def test_a_team_whose_programme_changed_still_opens_its_round(session: Session) -> None:
    from app.models import ProgramType
    from app.services import round_view

    team = make_team(session, program_type=ProgramType.IPS_LIGNENDE)
    context, _ = opened(session, team)
    leader = principal(session, Role.TEAM_LEADER, teams=(team,))
    point(session, leader, context, "target-group-referral", 3)  # the IPS-like teams' point
    point(session, leader, context, "funding", 4)
    team.program_type = ProgramType.IPS
    session.add(team)
    session.commit()
    view = round_view.round_view(session, principal=leader, round_id=context.id, today=TODAY)
    assert view.team_result.rated_count == 1  # the point that no longer applies is left out
    rounds.submit(session, principal=leader, round_id=context.id, today=TODAY)


def test_a_round_out_of_scope_names_no_team(session: Session) -> None:
    context, _ = opened(session)
    elsewhere = principal(session, Role.TEAM_LEADER, teams=(make_team(session),))
    with pytest.raises(NotVisible) as hidden:
        rounds.visible_round(session, principal=elsewhere, round_id=context.id)
    assert hidden.value.key == "err_round_not_found"
    assert str(context.team.id) not in hidden.value.message("en").replace(str(context.id), "")
