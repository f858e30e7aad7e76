"""Outcomes beside fidelity: STAR's quarterly monitoring figures imported, and a team's
own quarterly figures where its municipalities' are not in yet.

An import is two steps. The preview reads the file and names every row's problems,
storing nothing; storing reads the file again (what was previewed may have become wrong
since: the day has moved on), refuses it unless every row is clean, and then replaces
every figure of each quarter and target group the file holds, so a corrected file sent
again leaves no stale row behind. What changed, municipality by municipality, goes into
the audit trail with the file kept beside it.

A team's quarter is the sum of its municipalities' figures for its target group (the
shares weighted by the people in the effort), when STAR's figures are in for every one
of them; otherwise the team's own figures, when its leader entered them; otherwise what
STAR has for some of its municipalities, said to be partial.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import (
    MEASURES,
    Municipality,
    OutcomeFigure,
    OutcomeImport,
    Role,
    Team,
    TeamMunicipality,
    User,
    utcnow,
)
from app.services import access, audit
from app.services.access import Principal
from app.services.outcome_sheet import (
    Problem,
    Row,
    Sheet,
    name_key,
    quarter_end,
    quarter_label,
    read_sheet,
    read_team_row,
)

RECENT_IMPORTS = 20
# The ambassador corps grant's success criteria: the share of the target group in
# municipalities with IPS touched by paid hours or education, continuously and by the end.
GOAL = 42.0
END_GOAL = 59.5
OWN_QUARTERS = 8  # how far back a team leader may enter the team's own figures


def may_import(principal: Principal) -> bool:
    """Administrators and STAR's analysts import the monitoring figures."""
    return principal.role in (Role.ADMIN, Role.ANALYST)


def may_enter(principal: Principal, team_id: int) -> bool:
    """A team's leader (and an administrator) enters its own quarterly figures."""
    return principal.role is Role.ADMIN or (
        principal.role is Role.TEAM_LEADER and team_id in principal.teams
    )


# The import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterChange:
    """What storing a file would do to one quarter and target group."""

    quarter: str
    target_group: str
    before: int  # municipalities with figures now
    after: int  # municipalities with figures in the file
    changed: int  # municipalities whose figures would change (or go)


@dataclass(frozen=True)
class Preview:
    sheet: Sheet
    changes: list[QuarterChange]

    @property
    def clean(self) -> bool:
        return self.sheet.clean


def preview_file(session: Session, *, principal: Principal, raw: bytes, today: date) -> Preview:
    """The file read and checked, with what storing it would replace; nothing stored."""
    _require_import(principal)
    sheet = _read(session, raw, today)
    return Preview(sheet=sheet, changes=_changes(session, sheet) if sheet.clean else [])


def store_file(
    session: Session, *, principal: Principal, filename: str, raw: bytes, today: date
) -> OutcomeImport:
    """Store a clean file: each of its quarters and target groups replaced by what it
    says, the file kept, the change audited. A file with any problem is refused whole."""
    _require_import(principal)
    sheet = _read(session, raw, today)
    if not sheet.clean:
        raise Invalid.of("err_outcome_not_clean", rows=sheet.problem_rows or 1)
    periods = sorted({r.place()[:3] for r in sheet.rows})
    before = _stored(session, periods)
    imported = OutcomeImport(
        filename=(filename or "upload")[:200],
        sha256=hashlib.sha256(raw).hexdigest(),
        content=raw,
        row_count=len(sheet.rows),
        quarters=sorted({r.period for r in sheet.rows if r.period}),
        imported_by_id=principal.user_id,
    )
    session.add(imported)
    session.flush()
    for year, quarter, group in periods:
        session.execute(
            sa.delete(OutcomeFigure).where(
                col(OutcomeFigure.year) == year,
                col(OutcomeFigure.quarter) == quarter,
                col(OutcomeFigure.target_group) == group,
                col(OutcomeFigure.municipality_code).is_not(None),
            )
        )
    session.flush()
    for row in sheet.rows:
        session.add(_figure(row, import_id=imported.id, user_id=principal.user_id))
    session.flush()
    audit.record(
        session,
        action="outcomes.imported",
        by=principal,
        entity_type="outcome_import",
        entity_id=imported.id,
        before=_audit_side(before, sheet, changed_only=True),
        after={
            "file": imported.filename,
            "sha256": imported.sha256,
            "rows": imported.row_count,
            "quarters": imported.quarters,
            "changed": _audit_side(before, sheet, changed_only=True, new=True),
        },
    )
    return imported


def _require_import(principal: Principal) -> None:
    if not may_import(principal):
        raise Forbidden.of("err_outcome_import_forbidden")


def _municipalities(session: Session) -> tuple[dict[str, int], dict[int, str]]:
    rows = session.exec(select(Municipality.code, Municipality.name)).all()
    return {name_key(name): code for code, name in rows}, dict(rows)


def _read(session: Session, raw: bytes, today: date) -> Sheet:
    by_name, by_code = _municipalities(session)
    sheet = read_sheet(raw, municipalities=by_name, codes=by_code.keys(), today=today)
    for row in sheet.rows:  # the name as the country writes it, beside what the file said
        if row.municipality_code is not None:
            row.municipality_name = by_code[row.municipality_code]
    return sheet


def _figure(row: Row, *, import_id: int | None, user_id: int | None) -> OutcomeFigure:
    year, quarter, group, code, participants = row.place()
    figure = OutcomeFigure(
        year=year,
        quarter=quarter,
        target_group=group,
        municipality_code=code,
        participants=participants,
        import_id=import_id,
        entered_by_id=user_id,
    )
    for measure in MEASURES:
        setattr(figure, measure, row.counts.get(measure))
        setattr(figure, measure + "_share", row.shares.get(measure))
    return figure


Stored = dict[tuple[int, int, str], dict[int, tuple[object, ...]]]


def _values(figure: OutcomeFigure | Row) -> tuple[object, ...]:
    if isinstance(figure, Row):
        return (
            figure.participants,
            *(figure.counts.get(m) for m in MEASURES),
            *(figure.shares.get(m) for m in MEASURES),
        )
    return (
        figure.participants,
        *(getattr(figure, m) for m in MEASURES),
        *(getattr(figure, m + "_share") for m in MEASURES),
    )


def _stored(session: Session, periods: list[tuple[int, int, str]]) -> Stored:
    """The municipal figures now stored for ``periods``, by period and municipality."""
    stored: Stored = {period: {} for period in periods}
    for year, quarter, group in periods:
        figures = session.exec(
            select(OutcomeFigure).where(
                OutcomeFigure.year == year,
                OutcomeFigure.quarter == quarter,
                OutcomeFigure.target_group == group,
                col(OutcomeFigure.municipality_code).is_not(None),
            )
        ).all()
        for figure in figures:
            stored[(year, quarter, group)][figure.municipality_code] = _values(figure)  # type: ignore[index]
    return stored


def _incoming(sheet: Sheet) -> Stored:
    incoming: Stored = defaultdict(dict)
    for row in sheet.rows:
        incoming[(row.year, row.quarter, row.target_group)][row.municipality_code] = _values(row)  # type: ignore[index]
    return incoming


def _changes(session: Session, sheet: Sheet) -> list[QuarterChange]:
    incoming = _incoming(sheet)
    stored = _stored(session, sorted(incoming))
    changes = []
    for period in sorted(incoming):
        now, then = stored[period], incoming[period]
        changed = sum(1 for code, values in now.items() if then.get(code) != values)
        changes.append(
            QuarterChange(
                quarter=quarter_label(period[0], period[1]),
                target_group=period[2],
                before=len(now),
                after=len(then),
                changed=changed,
            )
        )
    return changes


_AUDIT_FIELDS = ("participants", *MEASURES, *(m + "_share" for m in MEASURES))


def _audit_side(
    stored: Stored, sheet: Sheet, *, changed_only: bool, new: bool = False
) -> dict[str, object]:
    """Per quarter and target group, the municipalities whose figures changed: what they
    were (``new=False``) or what they became. New municipalities appear on the new side
    only, those gone on the old side only."""
    incoming = _incoming(sheet)
    side: dict[str, object] = {}
    for period, now in stored.items():
        then = incoming.get(period, {})
        codes = sorted(set(now) | set(then))
        entries = {}
        for code in codes:
            if changed_only and now.get(code) == then.get(code):
                continue
            values = then.get(code) if new else now.get(code)
            if values is not None:
                entries[str(code)] = dict(zip(_AUDIT_FIELDS, values, strict=True))
        side[f"{quarter_label(period[0], period[1])} {period[2]}"] = entries
    return side


@dataclass(frozen=True)
class ImportSummary:
    id: int
    filename: str
    rows: int
    quarters: list[str]
    imported_at: datetime
    imported_by: str | None


def recent_imports(session: Session, *, principal: Principal) -> list[ImportSummary]:
    """The newest stored imports, newest first."""
    _require_import(principal)
    rows = session.execute(
        sa.select(
            col(OutcomeImport.id),
            col(OutcomeImport.filename),
            col(OutcomeImport.row_count),
            col(OutcomeImport.quarters),
            col(OutcomeImport.imported_at),
            col(User.display_name),
        )
        .join(User, col(User.id) == OutcomeImport.imported_by_id, isouter=True)
        .order_by(col(OutcomeImport.id).desc())
        .limit(RECENT_IMPORTS)
    ).all()
    return [ImportSummary(*row) for row in rows]


def import_file(session: Session, *, principal: Principal, import_id: int) -> OutcomeImport:
    """A stored import, with the file it came from."""
    _require_import(principal)
    found = session.get(OutcomeImport, import_id)
    if found is None:
        raise NotFound.of("err_outcome_no_import", id=import_id)
    return found


@dataclass(frozen=True)
class QuarterCoverage:
    quarter: str
    target_group: str
    municipalities: int
    participants: int


def stored_quarters(session: Session, *, principal: Principal) -> list[QuarterCoverage]:
    """Per quarter and target group (newest first), how many municipalities' figures are
    in, and the people in the effort they count. A row per quarter: four a year."""
    _require_import(principal)
    rows = session.execute(
        sa.select(
            col(OutcomeFigure.year),
            col(OutcomeFigure.quarter),
            col(OutcomeFigure.target_group),
            sa.func.count(),
            sa.func.sum(col(OutcomeFigure.participants)),
        )
        .where(col(OutcomeFigure.municipality_code).is_not(None))
        .group_by(
            col(OutcomeFigure.year), col(OutcomeFigure.quarter), col(OutcomeFigure.target_group)
        )
        .order_by(
            col(OutcomeFigure.year).desc(),
            col(OutcomeFigure.quarter).desc(),
            OutcomeFigure.target_group,
        )
    ).all()
    return [
        QuarterCoverage(quarter_label(y, q), group, int(n), int(people or 0))
        for y, q, group, n, people in rows
    ]


# A team's quarters ----------------------------------------------------------------------


@dataclass
class TeamQuarter:
    """One quarter of a team's outcomes, from whichever source counts."""

    year: int
    quarter: int
    source: str  # star, team, star_partial
    participants: int
    shares: dict[str, float]
    counts: dict[str, int]
    municipalities_in: int = 0
    own: OutcomeFigure | None = None  # the team's own figures, whether or not they count

    @property
    def label(self) -> str:
        return quarter_label(self.year, self.quarter)


@dataclass
class TeamOutcomes:
    team: Team
    municipalities: int
    quarters: list[TeamQuarter]  # oldest first
    open_quarters: list[tuple[int, int]] = field(default_factory=list)  # own figures allowed


def team_outcomes(
    session: Session, *, principal: Principal, team_id: int, today: date
) -> TeamOutcomes:
    """A team's outcomes quarter by quarter (oldest first), and the quarters for which
    its own figures may be entered (ended, recent, and not all in from STAR)."""
    team = access.visible_team(session, principal=principal, team_id=team_id)
    codes = list(
        session.exec(
            select(TeamMunicipality.municipality_code).where(TeamMunicipality.team_id == team_id)
        ).all()
    )
    by_period: dict[tuple[int, int], list[OutcomeFigure]] = defaultdict(list)
    if codes:
        for figure in session.exec(
            select(OutcomeFigure).where(
                col(OutcomeFigure.municipality_code).in_(codes),
                OutcomeFigure.target_group == team.program_type,
            )
        ).all():
            by_period[(figure.year, figure.quarter)].append(figure)
    own = {
        (f.year, f.quarter): f
        for f in session.exec(select(OutcomeFigure).where(OutcomeFigure.team_id == team_id)).all()
    }
    quarters = []
    for period in sorted(set(by_period) | set(own)):
        quarters.append(_team_quarter(period, by_period.get(period, []), own.get(period), codes))
    complete = {q.year * 10 + q.quarter for q in quarters if q.source == "star"}
    open_quarters = [p for p in recent_quarters(today) if p[0] * 10 + p[1] not in complete]
    return TeamOutcomes(team, len(codes), quarters, open_quarters)


def _team_quarter(
    period: tuple[int, int], star: list[OutcomeFigure], own: OutcomeFigure | None, codes: list[int]
) -> TeamQuarter:
    year, quarter = period
    complete = bool(star) and len(star) == len(codes)
    if star and (complete or own is None):
        participants, shares, counts = combine(star)
        source = "star" if complete else "star_partial"
    else:
        assert own is not None
        participants, shares, counts = combine([own])
        source = "team"
    return TeamQuarter(year, quarter, source, participants, shares, counts, len(star), own)


def combine(figures: list[OutcomeFigure]) -> tuple[int, dict[str, float], dict[str, int]]:
    """Several places' figures as one: the people summed, each share weighted by the
    people it is a share of (over the places that gave it), each count summed when every
    place gave it."""
    participants = sum(f.participants for f in figures)
    shares: dict[str, float] = {}
    counts: dict[str, int] = {}
    for measure in MEASURES:
        given = [f for f in figures if getattr(f, measure + "_share") is not None]
        people = sum(f.participants for f in given)
        if given and people:
            weighted = sum(getattr(f, measure + "_share") * f.participants for f in given)
            shares[measure] = round(weighted / people, 1)
        elif given:
            shares[measure] = round(
                sum(getattr(f, measure + "_share") for f in given) / len(given), 1
            )
        if all(getattr(f, measure) is not None for f in figures):
            counts[measure] = sum(getattr(f, measure) for f in figures)
    return participants, shares, counts


def recent_quarters(today: date, count: int = OWN_QUARTERS) -> list[tuple[int, int]]:
    """The ``count`` latest quarters that have ended by ``today``, newest first."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    found: list[tuple[int, int]] = []
    while len(found) < count:
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        if quarter_end(year, quarter) < today:
            found.append((year, quarter))
    return found


def save_team_quarter(
    session: Session,
    *,
    principal: Principal,
    team_id: int,
    values: Mapping[str, str],
    today: date,
) -> OutcomeFigure:
    """The team's own figures for one quarter (``values``: quarter as 2025K3,
    participants and the counts, as typed), replacing what it entered before. Refused
    for a quarter whose figures are in from STAR for every municipality of the team."""
    team = access.visible_team(session, principal=principal, team_id=team_id)
    if not may_enter(principal, team_id):
        raise Forbidden.of("err_outcome_enter_forbidden")
    row = read_team_row(values, today=today)
    if row.problems:
        raise Invalid.all_of([(p.key, {**p.params, "field": p.column}) for p in row.problems])
    assert row.year is not None and row.quarter is not None
    if (row.year, row.quarter) not in recent_quarters(today):
        raise Invalid.of(
            "err_outcome_own_old", quarter=row.period, quarters=OWN_QUARTERS, field="quarter"
        )
    outcomes = team_outcomes(session, principal=principal, team_id=team_id, today=today)
    if (row.year, row.quarter) not in outcomes.open_quarters:
        raise Conflict.of("err_outcome_own_star", quarter=row.period, field="quarter")
    figure = session.exec(
        select(OutcomeFigure).where(
            OutcomeFigure.team_id == team_id,
            OutcomeFigure.year == row.year,
            OutcomeFigure.quarter == row.quarter,
        )
    ).first()
    before = None if figure is None else _plain_values(figure)
    if figure is None:
        figure = OutcomeFigure(
            year=row.year, quarter=row.quarter, target_group=team.program_type, team_id=team_id,
            participants=0,
        )  # fmt: skip
    figure.participants = row.participants or 0
    for measure in MEASURES:
        setattr(figure, measure, row.counts.get(measure))
        setattr(figure, measure + "_share", row.shares.get(measure))
    figure.entered_by_id = principal.user_id
    figure.entered_at = utcnow()
    session.add(figure)
    session.flush()
    audit.record(
        session,
        action="outcomes.team_saved",
        by=principal,
        entity_type="team",
        entity_id=team_id,
        before=before,
        after=_plain_values(figure),
    )
    return figure


def remove_team_quarter(
    session: Session, *, principal: Principal, team_id: int, year: int, quarter: int
) -> None:
    """Take back the team's own figures for a quarter."""
    access.visible_team(session, principal=principal, team_id=team_id)
    if not may_enter(principal, team_id):
        raise Forbidden.of("err_outcome_enter_forbidden")
    figure = session.exec(
        select(OutcomeFigure).where(
            OutcomeFigure.team_id == team_id,
            OutcomeFigure.year == year,
            OutcomeFigure.quarter == quarter,
        )
    ).first()
    if figure is None:
        raise NotFound.of("err_outcome_no_own", quarter=quarter_label(year, quarter))
    before = _plain_values(figure)
    session.delete(figure)
    session.flush()
    audit.record(
        session,
        action="outcomes.team_removed",
        by=principal,
        entity_type="team",
        entity_id=team_id,
        before=before,
    )


def _plain_values(figure: OutcomeFigure) -> dict[str, object]:
    return {
        "quarter": quarter_label(figure.year, figure.quarter),
        **dict(zip(_AUDIT_FIELDS, _values(figure), strict=True)),
    }


__all__ = ["Problem", "Preview", "QuarterChange", "TeamOutcomes", "TeamQuarter"]
