"""Implementation status in numbers: the national shares and coverage against what the
database holds, within the filters, without unconfirmed rounds, under the small-number
rule; and a team's history beside its fidelity totals."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from app.models import (
    ImplementationStatus,
    MeasurementRound,
    ProgramType,
    Role,
    RoundStatus,
    Team,
    utcnow,
)
from app.scales.maturity import implementation_result
from app.services import access, implementation_figures, rounds, scales
from app.services.access import Principal
from app.services.national_filters import Filters
from tests.factories import make_instrument_version, make_review, make_team, make_user
from tests.services.test_rounds import TODAY

ADMIN = Principal(None, "admin", "Admin", Role.ADMIN)


def confirmed(
    session: Session, team: Team, year: int, step: int, *, review_id: int | None = None
) -> MeasurementRound:
    """A round of ``team`` in ``year`` confirmed with every point at ``step``."""
    row = make_instrument_version(session)
    instrument = scales.instrument_of(row)
    measurement = MeasurementRound(
        team_id=team.id or 0, year=year, instrument_id=row.id or 0, deadline=TODAY,
        status=RoundStatus.SUBMITTED, submitted_at=utcnow(), assessed_at=utcnow(),
        review_id=review_id,
    )  # fmt: skip
    session.add(measurement)
    session.flush()
    levels: dict[str, int | None] = {i.key: step for i in instrument.items_for(team.program_type)}
    result = implementation_result(instrument, program_type=team.program_type, levels=levels)
    measurement.result = result.to_dict()
    measurement.overall_status = result.status.key if result.status else None
    rounds.store_statuses(session, measurement=measurement, result=result)
    session.commit()
    return measurement


def test_the_national_shares_and_coverage_match_the_database(session: Session) -> None:
    copenhagen = make_team(session, municipalities=(101, 147))  # Hovedstaden
    aalborg = make_team(session, municipalities=(851,))  # Nordjylland
    odense = make_team(session, municipalities=(461,), program_type=ProgramType.IPS_LIGNENDE)
    confirmed(session, copenhagen, 2024, 2)
    confirmed(session, copenhagen, 2025, 4)
    confirmed(session, aalborg, 2025, 1)
    confirmed(session, odense, 2025, 5)
    open_round = MeasurementRound(  # not confirmed: counts nowhere
        team_id=aalborg.id or 0, year=2026, instrument_id=make_instrument_version(session).id or 0,
        deadline=TODAY + timedelta(days=9),
    )  # fmt: skip
    session.add(open_round)
    session.commit()

    found = implementation_figures.national_implementation(
        session, principal=ADMIN, filters=Filters()
    )
    assert found is not None
    assert found.years == [2024, 2025]
    assert found.counts[("", 2025)] == {"in-place": 1, "not-started": 1, "sustained": 1}
    assert found.counts[("leadership", 2024)] == {"under-way": 1}
    for (element, year), counts in found.counts.items():  # every count against the rows
        for status, count in counts.items():
            stored = session.exec(
                select(func.count())
                .select_from(ImplementationStatus)
                .where(
                    ImplementationStatus.element_key == element,
                    ImplementationStatus.year == year,
                    ImplementationStatus.status_key == status,
                )
            ).one()
            assert stored == count
    assert [(c.year, c.covered, c.total) for c in found.coverage] == [(2024, 2, 98), (2025, 4, 98)]
    assert found.goal == 66

    hovedstaden = implementation_figures.national_implementation(
        session, principal=ADMIN, filters=Filters(region=1084)
    )
    assert hovedstaden is not None
    assert hovedstaden.counts[("", 2025)] == {"in-place": 1}
    assert [(c.covered, c.total) for c in hovedstaden.coverage] == [(2, 29), (2, 29)]
    lignende = implementation_figures.national_implementation(
        session, principal=ADMIN, filters=Filters(program_type="ips_lignende")
    )
    assert lignende is not None and lignende.years == [2025]
    assert lignende.counts[("", 2025)] == {"sustained": 1}


def test_an_ambassador_does_not_see_a_year_of_a_few_teams_elsewhere(session: Session) -> None:
    own = make_team(session, municipalities=(101,))
    elsewhere = [make_team(session, municipalities=(851,)) for _ in range(2)]
    confirmed(session, own, 2024, 3)
    for team in elsewhere:
        confirmed(session, team, 2025, 3)
    ambassador = access.principal_for(session, user=make_user(session, regions=(1084,)))
    found = implementation_figures.national_implementation(
        session, principal=ambassador, filters=Filters()
    )
    assert found is not None
    assert found.years == [2024] and found.hidden_years == [2025]
    assert all(year == 2024 for _, year in found.counts)


def test_a_confirmation_taken_back_leaves_the_national_figures(session: Session) -> None:
    team = make_team(session)
    measurement = confirmed(session, team, 2025, 3)
    ambassador = access.principal_for(session, user=make_user(session))
    rounds.reopen_assessment(
        session, principal=ambassador, round_id=measurement.id or 0, reason="Punkt 3 var forkert"
    )
    session.commit()
    assert session.exec(select(ImplementationStatus)).all() == []
    found = implementation_figures.national_implementation(
        session, principal=ADMIN, filters=Filters()
    )
    assert found is not None and found.years == []


def test_a_teams_history_sits_beside_its_fidelity_totals(session: Session) -> None:
    team = make_team(session)
    review = make_review(session, team=team, visit_date=date(2025, 3, 1), finalised=True)
    confirmed(session, team, 2024, 2)
    confirmed(session, team, 2025, 4, review_id=review.id)
    leader = access.principal_for(
        session, user=make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    )
    history = implementation_figures.team_history(session, principal=leader, team_id=team.id or 0)
    assert history is not None
    assert [entry.year for entry in history.years] == [2024, 2025]
    assert [entry.statuses[""] for entry in history.years] == ["under-way", "in-place"]
    assert history.years[0].fidelity_total is None
    assert history.years[1].fidelity_total == 101.0  # the factory's finalised total
    assert [key for key, _ in history.scheme.elements][0] == "principles"
    assert (
        session.exec(
            select(func.count())
            .select_from(MeasurementRound)
            .where(col(MeasurementRound.assessed_at).is_not(None))
        ).one()
        == 2
    )
