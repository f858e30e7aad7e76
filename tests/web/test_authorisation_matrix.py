"""The authorisation matrix: every route × every role × own and other scope.

The routes are collected from the app's router, so a new route without a rule here fails
``test_every_route_has_a_rule``. Each route's rule says which roles may use it on a record
in their scope ("own") and outside it ("other"); everyone else must get the route's
denial (404 for reading a record out of scope, so it confirms nothing; 403 for an action
the role may not take), and an anonymous caller a trip to the sign-in page (pages) or a
401 (API). Every request goes through the real app with a real session from the sign-in
form, and state-changing ones carry the session's CSRF token, so what is tested is the
authorisation, not the CSRF check.
"""

from __future__ import annotations

import base64
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.routing import BaseRoute, Mount, Route

from app.main import ROUTERS
from app.models import (
    ActionItem,
    AgreementMunicipality,
    ApiToken,
    CollaborationAgreement,
    CorpsActivity,
    ImplementationRating,
    MeasurementRound,
    OutcomeFigure,
    OutcomeImport,
    Rating,
    Review,
    ReviewReviewer,
    Role,
    RoundStatus,
    ScaleVersion,
    Team,
    User,
    utcnow,
)
from app.scales.schema import ScaleDefinition
from app.services import outcomes, status_reports
from app.services.access import Principal
from app.services.corps import Half
from app.services.tokens import create_token
from tests.factories import (
    PASSWORD,
    make_instrument_version,
    make_review,
    make_team,
    make_user,
    shipped_instrument,
    shipped_scale,
)
from tests.web.signin import sign_in

# admin acts last; the team leader before the consultant (a submission is the leader's)
ROLES = (
    "anonymous",
    "analyst",
    "team_leader",
    "consultant",
    "panel_member",
    "ambassador",
    "admin",
)
EVERYONE = frozenset(
    {"admin", "ambassador", "team_leader", "consultant", "analyst", "panel_member"}
)
DRAFTERS = frozenset({"admin", "panel_member"})
# Those with teams in their scope: a panel member has none (they develop the scales).
SCOPED = EVERYONE - {"panel_member"}
TEAM = frozenset({"team_leader", "consultant"})
ADMIN = frozenset({"admin"})
Params = dict[str, Any]


@dataclass
class World:
    """Two teams in two regions: A in Hovedstaden (the ambassador's region and the team
    leader's team), B in Nordjylland; finalised reviews of both and one of A in progress."""

    team_a: Team
    team_b: Team
    final_a: Review
    final_b: Review
    open_a: Review
    users: dict[str, User]
    victims: dict[str, User]
    instrument: ScaleVersion
    tokens: dict[str, ApiToken]
    session: Session
    clients: dict[str, TestClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    allowed: dict[str, frozenset[str]]  # scope -> roles that may
    denied: int | Callable[[str, str], int] = 403  # or by (role, scope)
    public: bool = False
    target: Callable[[World, str], Params] = lambda world, scope: {}
    data: Callable[[World, str], Params] | None = None
    json: Callable[[World, str], Params] | None = None
    files: Callable[[World, str], Params] | None = None

    def denial(self, role: str, scope: str) -> int:
        if role == "panel_member" and scope != "any" and self.allowed.get("own", ADMIN) - ADMIN:
            return 404  # a team's record: a panel member has no team in scope
        return self.denied if isinstance(self.denied, int) else self.denied(role, scope)


def anyone_signed_in(data: Callable[[World, str], Params] | None = None) -> Rule:
    return Rule({"any": EVERYONE}, data=data)


def public() -> Rule:
    return Rule({"any": EVERYONE | {"anonymous"}}, public=True)


def team_read() -> Rule:
    return Rule(
        {"own": SCOPED, "other": frozenset({"admin", "analyst"})},
        denied=404,
        target=lambda w, scope: {"team_id": (w.team_a if scope == "own" else w.team_b).id},
    )


def review_read() -> Rule:
    reviews = {"own": "final_a", "other": "final_b", "own_in_progress": "open_a"}
    return Rule(
        {
            "own": SCOPED,
            "other": frozenset({"admin", "analyst"}),
            "own_in_progress": frozenset({"admin", "ambassador"}),
        },
        denied=404,
        target=lambda w, scope: {"review_id": getattr(w, reviews[scope]).id},
    )


def report_read() -> Rule:
    """A finalised review's report, PDF and score sheet: whoever may read the review."""
    reviews = {"own": "final_a", "other": "final_b"}
    return Rule(
        {"own": SCOPED, "other": frozenset({"admin", "analyst"})},
        denied=404,
        target=lambda w, scope: {"review_id": getattr(w, reviews[scope]).id},
    )


def fresh_team(world: World, scope: str) -> Team:
    """A team of its own for each request that plans or scores: in the ambassador's
    region (own) or outside it (other)."""
    return make_team(world.session, municipalities=(101,) if scope == "own" else (851,))


def review_in(world: World, scope: str, state: str) -> Params:
    """A fresh review of a fresh team, at ``state``: the matrix ambassador leads it (own)
    or two other ambassadors do (other).

    ``scoring``: nothing rated; ``scored``: the lead has rated every item; ``consensus``:
    both submitted the same scores, so the consensus is complete; ``finalised``."""
    session = world.session
    outside = make_user(session, regions=(1081,))
    lead = world.users["ambassador"] if scope == "own" else make_user(session, regions=(1081,))
    review = make_review(
        session,
        team=fresh_team(world, scope),
        reviewers=(lead, outside),
        finalised=state == "finalised",
    )
    assert review.id is not None
    raters: list[tuple[str, int | None]] = []
    if state in ("scored", "consensus"):
        raters.append(("reviewer", lead.id))
    if state == "consensus":
        raters += [("reviewer", outside.id), ("consensus", None)]
        review.status = "consensus"
        for link in session.exec(
            select(ReviewReviewer).where(ReviewReviewer.review_id == review.id)
        ):
            link.submitted_at = utcnow()
    for kind, rater in raters:
        session.add_all(
            Rating(review_id=review.id, item_key=key, rater_kind=kind, rater_id=rater, score=4)
            for key in ITEM_KEYS
        )
    session.commit()  # a refused request rolls back to the last commit
    return {"review_id": review.id, "item_key": "disclosure"}


def review_of_three(world: World, scope: str) -> Params:
    """A review being scored by three: the matrix ambassador leads it (own) or another
    does (other); the third can be taken off and two remain."""
    session = world.session
    lead = world.users["ambassador"] if scope == "own" else make_user(session, regions=(1081,))
    others = (make_user(session, regions=(1081,)), make_user(session, regions=(1081,)))
    review = make_review(session, team=fresh_team(world, scope), reviewers=(lead, *others))
    session.commit()
    third = others[1]
    return {"review_id": review.id, "user_id": third.id, "username": third.username}


def take_off_rule(**body: Callable[[World, str], Params]) -> Rule:
    """The review's lead (the ambassador on their own review) or an administrator."""
    return Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=404,
        target=review_of_three,
        **body,  # type: ignore[arg-type]
    )


def reviewer_only(
    state: str,
    json: Callable[[World, str], Params] | None = None,
    data: Callable[[World, str], Params] | None = None,
) -> Rule:
    """Only the review's own reviewers: the ambassador on their own review. An admin who
    is not a reviewer may see it but not act (403); anyone else may not see it (404)."""
    return Rule(
        {"own": frozenset({"ambassador"}), "other": frozenset()},
        denied=lambda role, scope: 403 if role == "admin" else 404,
        target=lambda w, scope: review_in(w, scope, state),
        json=json,
        data=data,
    )


ITEM_KEYS = [item.key for item in shipped_scale().items]
EMPTY_OUTBOX = (
    "outbox.json",
    b'{"format": "ips-fidelity-outbox", "version": 1, "entries": []}',
    "application/json",
)


def admin_only(
    target: Callable[[World, str], Params] | None = None,
    data: Callable[[World, str], Params] | None = None,
) -> Rule:
    scopes = {"own": ADMIN, "other": ADMIN} if target else {"any": ADMIN}
    return Rule(scopes, target=target or (lambda w, s: {}), data=data)


def victim(world: World, scope: str) -> Params:
    return {"user_id": world.victims[scope].id}


def team_of(world: World, scope: str) -> Params:
    return {"team_id": (world.team_a if scope == "own" else world.team_b).id}


def team_form(world: World, scope: str) -> Params:
    team = world.team_a if scope == "own" else world.team_b
    return {"name": team.name, "program_type": "ips", "is_active": "true",
            "municipalities": ["101"] if scope == "own" else ["851"]}  # fmt: skip


def recent_review(world: World, scope: str) -> Params:
    """A review of team A (own) or B (other) finalised just now: its feedback window is open."""
    review = make_review(
        world.session, team=world.team_a if scope == "own" else world.team_b, finalised=True
    )
    review.finalised_at = utcnow()
    world.session.add(review)
    world.session.commit()
    return {"review_id": review.id, "item_key": "disclosure"}


def planned_action(world: World, scope: str) -> Params:
    """A fresh action of team A (own) or B (other), from its finalised review."""
    review = world.final_a if scope == "own" else world.final_b
    action = ActionItem(
        team_id=review.team_id,
        review_id=review.id or 0,
        item_key="disclosure",
        what="Gennemgå sagerne",
        who="Teamleder",
        due_date=date.today() + timedelta(days=30),
    )
    world.session.add(action)
    world.session.commit()
    return {"action_id": action.id}


def team_leader_only(
    target: Callable[[World, str], Params], data: Callable[[World, str], Params] | None = None
) -> Rule:
    """Only the team's own leader writes its comments and action plan. Whoever may see
    the team or review but not write is refused (403); anyone else may not see it (404)."""
    return Rule(
        {"own": frozenset({"team_leader"}), "other": frozenset()},
        denied=lambda role, scope: (
            404 if scope == "other" and role in ("team_leader", "consultant", "ambassador") else 403
        ),
        target=target,
        data=data,
    )


def action_form(world: World, scope: str) -> Params:
    due = (date.today() + timedelta(days=60)).isoformat()
    return {"what": "Faste møder med psykiatrien", "who": "Teamleder", "due_date": due}


_YEARS = itertools.count(3000)  # a year of its own for every fresh round
IMPLEMENTATION_KEYS = [item.key for item in shipped_instrument().items_for("ips")]


def round_in(world: World, scope: str, state: str = "open") -> Params:
    """A fresh round of team A (own: the ambassador's region, the leader's and consultant's
    team) or B (other), a year of its own, at ``state``: ``open`` (deadline ahead),
    ``submitted`` (every point rated by the team), or ``assessed`` (confirmed)."""
    session = world.session
    team = world.team_a if scope.startswith("own") else world.team_b
    measurement = MeasurementRound(
        team_id=team.id or 0,
        year=next(_YEARS),
        instrument_id=world.instrument.id or 0,
        deadline=date.today() + timedelta(days=30),
    )
    if state in ("submitted", "assessed"):
        measurement.status, measurement.submitted_at = RoundStatus.SUBMITTED, utcnow()
    if state == "assessed":
        measurement.assessed_at, measurement.overall_status = utcnow(), "in-place"
    session.add(measurement)
    session.flush()
    if state in ("submitted", "assessed"):
        session.add_all(
            ImplementationRating(round_id=measurement.id or 0, item_key=key, rater="team", level=4)
            for key in IMPLEMENTATION_KEYS
        )
    session.commit()
    return {"round_id": measurement.id, "item_key": "funding", "input_key": "caseload"}


def round_read() -> Rule:
    """A round: its team and the ambassadors of its region; analysts once it is confirmed."""
    states = {
        "own": "open",
        "other": "open",
        "own_confirmed": "assessed",
        "other_confirmed": "assessed",
    }
    return Rule(
        {
            "own": frozenset({"admin", "ambassador"}) | TEAM,
            "other": ADMIN,
            "own_confirmed": SCOPED,
            "other_confirmed": frozenset({"admin", "analyst"}),
        },
        denied=404,
        target=lambda w, scope: round_in(w, scope, states[scope]),
    )


def team_part(
    data: Callable[[World, str], Params] | None = None,
    json: Callable[[World, str], Params] | None = None,
) -> Rule:
    """The team's part of an open round: its leader and consultants only. The ambassador
    and the administrator, who may see the round, are refused (403)."""
    return Rule(
        {"own": TEAM, "other": frozenset()},
        denied=lambda role, scope: (
            403 if role == "admin" or (scope, role) == ("own", "ambassador") else 404
        ),
        target=lambda w, scope: round_in(w, scope, "open"),
        data=data,
        json=json,
    )


def round_step(
    state: str,
    data: Callable[[World, str], Params] | None = None,
    json: Callable[[World, str], Params] | None = None,
) -> Rule:
    """The ambassadors' steps (deadline, assessment, confirming, reopening): the team's
    ambassadors and administrators. The team, who see the round, are refused (403)."""

    def denied(role: str, scope: str) -> int:
        if scope == "own" and role in TEAM:
            return 403
        if role == "analyst" and state == "assessed":
            return 403  # a confirmed round is the analyst's to read
        return 404

    return Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=denied,
        target=lambda w, scope: round_in(w, scope, state),
        data=data,
        json=json,
    )


def plan_round(
    data: Callable[[World, str], Params] | None = None,
    json: Callable[[World, str], Params] | None = None,
) -> Rule:
    """Opening a team's round: the ambassadors of its region and administrators. Analysts
    see every team but plan none (403); the team's own people never see a fresh team."""
    return Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=lambda role, scope: 403 if role == "analyst" else 404,
        target=lambda w, scope: {"team_id": fresh_team(w, scope).id},
        data=data,
        json=json,
    )


def round_form(world: World, scope: str) -> Params:
    return {"year": "2026", "deadline": (date.today() + timedelta(days=21)).isoformat()}


def new_id(**body: object) -> Callable[[World, str], Params]:
    return lambda w, s: {**body, "client_id": str(uuid.uuid4())}


def consultant_of(world: World, scope: str) -> Params:
    """A consultant of team A (own) or B (other) who has not chosen a password yet."""
    team = world.team_a if scope == "own" else world.team_b
    user = make_user(world.session, role=Role.CONSULTANT, teams=(team,))
    user.password_hash = None
    world.session.add(user)
    world.session.commit()
    return {"team_id": team.id, "user_id": user.id}


def leaders_team(
    target: Callable[[World, str], Params], data: Callable[[World, str], Params] | None = None
) -> Rule:
    """The team's own leader only; whoever else sees the team is refused (403)."""
    return Rule(
        {"own": frozenset({"team_leader"}), "other": frozenset()},
        denied=lambda role, scope: (
            404 if scope == "other" and role in ("team_leader", "consultant", "ambassador") else 403
        ),
        target=target,
        data=data,
    )


def fresh_draft(world: World, scope: str, *, thread: bool = False) -> Params:
    """A draft of its own for each request (a step or a save changes it), with a thread
    on an item if asked."""
    from app.services import workshop

    base = world.session.exec(
        select(ScaleVersion).where(
            ScaleVersion.scale_key == "ips-25", ScaleVersion.version == "2019"
        )
    ).one()
    row = workshop.start_draft(
        world.session, principal=Principal.system(), base=base, version=f"d{uuid.uuid4().hex[:12]}"
    )
    params: Params = {"key": row.scale_key, "version": row.version}
    if thread:
        comment = workshop.add_comment(
            world.session, principal=Principal.system(), row=row, body="?", item_key="caseload-size"
        )
        params["thread_id"] = comment.id
    world.session.commit()
    return params


def fresh_instrument_draft(world: World, scope: str) -> Params:
    """A draft of the implementation-status instrument of its own for each request."""
    from app.services import workshop

    row = workshop.start_draft(
        world.session,
        principal=Principal.system(),
        base=world.instrument,
        version=f"d{uuid.uuid4().hex[:12]}",
    )
    world.session.commit()
    return {"key": row.scale_key, "version": row.version}


def _fresh_point(world: World, scope: str) -> Params:
    return {**fresh_instrument_draft(world, scope), "point_key": IMPLEMENTATION_KEYS[-1]}


def instrument_form(world: World, scope: str) -> Params:
    from app.scales import instrument_forms

    values = instrument_forms.instrument_values(shipped_instrument())
    return {"revision": "1", **{k: v for k, v in values.items() if v != ""}}


def point_form(world: World, scope: str) -> Params:
    from app.scales import instrument_forms

    instrument = shipped_instrument()
    values = instrument_forms.point_values(instrument, instrument.item(IMPLEMENTATION_KEYS[-1]))
    return {"revision": "1", **values}


def new_point_form(world: World, scope: str) -> Params:
    element = shipped_instrument().elements[0].key
    texts = {f"{part}-{lang}": part for part in ("title", "description") for lang in ("da", "en")}
    return {"revision": "1", "key": "new-point", "element": element, **texts}


def drafting(
    data: Callable[[World, str], Params] | None = None,
    files: Callable[[World, str], Params] | None = None,
    target: Callable[[World, str], Params] | None = None,
) -> Rule:
    """The workshop's writes: panel members and administrators; an ambassador reads drafts
    but may not change them (403); nobody else learns that a draft exists (404)."""
    return Rule(
        {"any": DRAFTERS},
        denied=lambda role, scope: 403 if role == "ambassador" or target is None else 404,
        target=target or (lambda w, s: {}),
        data=data,
        files=files,
    )


def _published(world: World) -> ScaleDefinition:
    from app.services import scales as scale_service

    row = world.session.exec(select(ScaleVersion).where(ScaleVersion.version == "2019")).one()
    return scale_service.definition_of(row)


def draft_form(world: World, scope: str) -> Params:
    from app.scales import forms

    return {"revision": "1", **forms.scale_values(_published(world))}


def draft_item_form(world: World, scope: str) -> Params:
    from app.scales import forms

    return {"revision": "1", **forms.item_values(_published(world).item("caseload-size"))}


def new_item_form(world: World, scope: str) -> Params:
    """A new anchored item, with the level bands moved to the range 26 items give."""
    from app.scales import forms

    levels = forms.levels_values(_published(world))
    levels |= {"levels-bands-0-max": "130", "levels-bands-3-min": "26"}
    anchors = {f"anchors-{n}-{lang}": f"{n}" for n in range(1, 6) for lang in ("da", "en")}
    return {
        "revision": "1",
        "key": "new-item",
        "section": "services",
        "kind": "anchored",
        "title-da": "Nyt",
        "title-en": "New",
        "description-da": "Nyt item.",
        "description-en": "A new item.",
        "principles": "p2-competitive-employment",
        "evidence": "INT",
        **anchors,
        **levels,
    }


def removal_levels(world: World) -> Params:
    """The level bands moved to the range 24 items give."""
    from app.scales import forms

    levels = forms.levels_values(_published(world))
    return levels | {"levels-bands-0-max": "120", "levels-bands-3-min": "24"}


def scale_upload(world: World, scope: str) -> Params:
    from app.scales.writer import definition_yaml

    text = definition_yaml(shipped_scale("ips-25", "2019")).replace(
        'version: "2019"', f'version: "u{uuid.uuid4().hex[:12]}"'
    )
    return {"file": ("draft.yaml", text.encode(), "application/yaml")}


IMPORTERS = frozenset({"admin", "analyst"})
_OUTCOME_QUARTERS = itertools.count(2001 * 4)  # a quarter of its own for every removal


def outcome_file(world: World, scope: str) -> bytes:
    year, quarter = outcomes.recent_quarters(date.today())[0]
    return (
        f"Kvartal;Kommune;Målgruppe;Borgere i indsatsen;Ordinære timer\r\n"
        f"{year}K{quarter};101;IPS;40;12\r\n"
    ).encode()


def outcome_upload(world: World, scope: str) -> Params:
    return {"file": ("kvartal.csv", outcome_file(world, scope), "text/csv")}


def outcome_store(world: World, scope: str) -> Params:
    content = base64.b64encode(outcome_file(world, scope)).decode()
    return {"filename": "kvartal.csv", "content": content}


def stored_import(world: World, scope: str) -> Params:
    imported = OutcomeImport(filename="k.csv", sha256="0" * 64, content=b"Kvartal\r\n")
    world.session.add(imported)
    world.session.commit()
    return {"import_id": imported.id}


def importers_only(
    target: Callable[[World, str], Params] | None = None,
    data: Callable[[World, str], Params] | None = None,
    files: Callable[[World, str], Params] | None = None,
) -> Rule:
    return Rule({"any": IMPORTERS}, target=target or (lambda w, s: {}), data=data, files=files)


def own_outcomes(world: World, scope: str) -> Params:
    year, quarter = outcomes.recent_quarters(date.today())[0]
    return {"quarter": f"{year}K{quarter}", "participants": "20", "paid_hours": "6"}


def own_quarter(world: World, scope: str) -> Params:
    """A quarter of the team's own figures to take back, made afresh for each request."""
    team = world.team_a if scope == "own" else world.team_b
    year, quarter = divmod(next(_OUTCOME_QUARTERS), 4)
    figure = OutcomeFigure(
        year=year, quarter=quarter + 1, target_group="ips", team_id=team.id, participants=5
    )
    world.session.add(figure)
    world.session.commit()
    return {"team_id": team.id, "year": year, "quarter": quarter + 1}


def team_outcome_writers(
    target: Callable[[World, str], Params], data: Callable[[World, str], Params] | None = None
) -> Rule:
    """The team's own leader and administrators; whoever else sees the team is refused
    (403), anyone else may not see it (404)."""
    return Rule(
        {"own": frozenset({"team_leader", "admin"}), "other": ADMIN},
        denied=lambda role, scope: (
            404 if scope == "other" and role in ("team_leader", "consultant", "ambassador") else 403
        ),
        target=target,
        data=data,
    )


READERS = frozenset({"admin", "analyst", "ambassador"})
REGIONS = {"region": 1084, "elsewhere": 1081}  # the ambassador's region, and another
RECORDERS = {"region": frozenset({"admin", "ambassador"}), "elsewhere": ADMIN}


def corps_rule(
    target: Callable[[World, str], Params], data: Callable[[World, str], Params] | None = None
) -> Rule:
    """The corps' work: the ambassador records in their region, an administrator in any;
    anyone else who may read it is refused (403), and so is everyone else."""
    return Rule(RECORDERS, target=target, data=data)


def corps_region(world: World, scope: str) -> Params:
    return {"region_code": REGIONS[scope]}


def fresh_activity(world: World, scope: str) -> Params:
    activity = CorpsActivity(
        region_code=REGIONS[scope], kind="webinar", held_on=date(2026, 1, 5), title="Webinar",
        attendees=30,
    )  # fmt: skip
    world.session.add(activity)
    world.session.commit()
    return {"activity_id": activity.id}


def activity_form(world: World, scope: str) -> Params:
    return {"kind": "course", "held_on": date.today().isoformat(), "title": "IPS-grundkursus",
            "consultants": "12"}  # fmt: skip


def fresh_agreement(world: World, scope: str) -> Params:
    agreement = CollaborationAgreement(
        region_code=REGIONS[scope], partner=f"Partner {uuid.uuid4().hex[:8]}",
        signed_on=date(2025, 1, 1),
    )  # fmt: skip
    world.session.add(agreement)
    world.session.commit()
    code = 101 if scope == "region" else 851
    world.session.add(AgreementMunicipality(agreement_id=agreement.id or 0, municipality_code=code))
    world.session.commit()
    return {"agreement_id": agreement.id}


def agreement_form(world: World, scope: str) -> Params:
    return {"partner": f"Partner {uuid.uuid4().hex[:8]}", "signed_on": "2025-01-01",
            "municipalities": ["101" if scope == "region" else "851"]}  # fmt: skip


def status_form(world: World, scope: str) -> Params:
    return {"region": str(REGIONS[scope]), "half": Half.of(date.today()).key}


def sent_report(world: World, scope: str) -> Params:
    sent = status_reports.send(
        world.session, principal=Principal.system(), region_code=REGIONS[scope],
        half=Half.of(date.today()), today=date.today(),
    )  # fmt: skip
    world.session.commit()
    return {"report_id": sent.id}


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): public(),
    ("GET", "/docs"): anyone_signed_in(),
    ("GET", "/openapi.json"): public(),
    ("GET", "/sw.js"): public(),
    ("GET", "/offline"): public(),
    ("GET", "/api/v1/openapi.json"): public(),
    ("GET", "/login"): public(),
    ("POST", "/login"): public(),
    ("POST", "/logout"): anyone_signed_in(),
    ("GET", "/"): anyone_signed_in(),
    ("GET", "/teams"): anyone_signed_in(),
    ("GET", "/teams/{team_id}"): team_read(),
    ("GET", "/reviews/{review_id}"): review_read(),
    ("GET", "/scales"): anyone_signed_in(),
    ("GET", "/scales/compare"): anyone_signed_in(),
    ("GET", "/scales/{key}/{version}"): Rule(
        {"any": EVERYONE}, target=lambda w, s: {"key": "ips-25", "version": "2019"}
    ),
    ("GET", "/scales/{key}/{version}/file"): Rule(
        {"any": EVERYONE}, target=lambda w, s: {"key": "ips-25", "version": "2019"}
    ),
    ("POST", "/scales/drafts"): drafting(
        data=lambda w, s: {"base": "ips-25:2019", "version": f"n{uuid.uuid4().hex[:12]}"}
    ),
    ("POST", "/scales/upload"): drafting(files=scale_upload),
    ("GET", "/scales/{key}/{version}/edit"): drafting(target=fresh_draft),
    ("POST", "/scales/{key}/{version}/edit"): drafting(target=fresh_draft, data=draft_form),
    ("GET", "/scales/{key}/{version}/items/{item_key}"): drafting(
        target=lambda w, s: {**fresh_draft(w, s), "item_key": "caseload-size"}
    ),
    ("POST", "/scales/{key}/{version}/items/{item_key}"): drafting(
        target=lambda w, s: {**fresh_draft(w, s), "item_key": "caseload-size"},
        data=draft_item_form,
    ),
    ("GET", "/scales/{key}/{version}/items/new"): drafting(target=fresh_draft),
    ("POST", "/scales/{key}/{version}/items/new"): drafting(target=fresh_draft, data=new_item_form),
    ("GET", "/scales/{key}/{version}/items/{item_key}/remove"): drafting(
        target=lambda w, s: {**fresh_draft(w, s), "item_key": "caseload-size"}
    ),
    ("POST", "/scales/{key}/{version}/items/{item_key}/remove"): drafting(
        target=lambda w, s: {**fresh_draft(w, s), "item_key": "caseload-size"},
        data=lambda w, s: {"revision": "1", **removal_levels(w)},
    ),
    ("GET", "/scales/{key}/{version}/instrument"): drafting(target=fresh_instrument_draft),
    ("POST", "/scales/{key}/{version}/instrument"): drafting(
        target=fresh_instrument_draft, data=instrument_form
    ),
    ("GET", "/scales/{key}/{version}/points/new"): drafting(target=fresh_instrument_draft),
    ("POST", "/scales/{key}/{version}/points/new"): drafting(
        target=fresh_instrument_draft, data=new_point_form
    ),
    ("GET", "/scales/{key}/{version}/points/{point_key}"): drafting(target=_fresh_point),
    ("POST", "/scales/{key}/{version}/points/{point_key}"): drafting(
        target=_fresh_point, data=point_form
    ),
    ("GET", "/scales/{key}/{version}/points/{point_key}/remove"): drafting(target=_fresh_point),
    ("POST", "/scales/{key}/{version}/points/{point_key}/remove"): drafting(
        target=_fresh_point, data=lambda w, s: {"revision": "1"}
    ),
    # The sandbox reads any version one may read and stores nothing: a published one for
    # everyone signed in.
    ("GET", "/scales/{key}/{version}/preview"): Rule(
        {"any": EVERYONE}, target=lambda w, s: {"key": "ips-25", "version": "2019"}
    ),
    ("POST", "/scales/{key}/{version}/preview"): Rule(
        {"any": EVERYONE},
        target=lambda w, s: {"key": "ips-25", "version": "2019"},
        data=lambda w, s: {"caseload-size:figure": "18"},
    ),
    ("POST", "/scales/{key}/{version}/decision"): drafting(
        target=fresh_draft, data=lambda w, s: {"action": "send", "revision": "1"}
    ),
    ("POST", "/scales/{key}/{version}/comments"): drafting(
        target=fresh_draft, data=lambda w, s: {"item_key": "caseload-size", "body": "Hvorfor 20?"}
    ),
    ("POST", "/scales/{key}/{version}/comments/{thread_id}/resolve"): drafting(
        target=lambda w, s: fresh_draft(w, s, thread=True), data=lambda w, s: {"resolved": "1"}
    ),
    ("GET", "/account"): anyone_signed_in(),
    ("POST", "/account/password"): anyone_signed_in(
        data=lambda w, s: {
            "current_password": PASSWORD,
            "new_password": "a new long password",
            "repeat_password": "a new long password",
        }
    ),
    ("GET", "/api/v1/me"): anyone_signed_in(),
    ("GET", "/api/v1/teams"): anyone_signed_in(),
    ("GET", "/api/v1/teams/{team_id}"): team_read(),
    ("GET", "/api/v1/teams/{team_id}/profile"): team_read(),
    ("GET", "/api/v1/teams/{team_id}/outcomes"): team_read(),
    ("GET", "/reviews/{review_id}/report"): report_read(),
    ("GET", "/reviews/{review_id}/report.pdf"): report_read(),
    ("GET", "/reviews/{review_id}/scoresheet.xlsx"): report_read(),
    ("GET", "/api/v1/reviews"): anyone_signed_in(),
    ("GET", "/api/v1/reviews/{review_id}"): review_read(),
    ("GET", "/admin/users"): admin_only(),
    ("GET", "/admin/users/new"): admin_only(),
    ("POST", "/admin/users"): admin_only(
        data=lambda w, s: {"username": f"new-{uuid.uuid4().hex[:8]}", "role": "analyst"}
    ),
    ("GET", "/admin/users/{user_id}"): admin_only(victim),
    ("POST", "/admin/users/{user_id}"): admin_only(
        victim, data=lambda w, s: {"display_name": "Renamed", "role": "analyst", "is_active": "1"}
    ),
    ("POST", "/admin/users/{user_id}/password"): admin_only(
        victim, data=lambda w, s: {"password": "another long password"}
    ),
    ("POST", "/admin/users/{user_id}/sessions/end"): admin_only(victim),
    ("POST", "/admin/users/{user_id}/tokens"): admin_only(
        victim, data=lambda w, s: {"name": "nightly export"}
    ),
    ("GET", "/admin/tokens"): admin_only(),
    ("POST", "/admin/tokens/{token_id}/revoke"): admin_only(
        lambda w, scope: {"token_id": w.tokens[scope].id}
    ),
    ("GET", "/admin/teams"): admin_only(),
    ("GET", "/admin/teams/new"): admin_only(),
    ("GET", "/admin/teams/names"): admin_only(),
    ("POST", "/admin/teams"): admin_only(
        data=lambda w, s: {
            "name": f"Team {uuid.uuid4().hex[:8]}",
            "program_type": "ips",
            "municipalities": ["101"],
        }
    ),
    ("GET", "/admin/teams/{team_id}"): admin_only(team_of),
    ("POST", "/admin/teams/{team_id}"): admin_only(team_of, data=team_form),
    ("GET", "/api/v1/scales"): anyone_signed_in(),
    ("GET", "/api/v1/scales/{key}/{version}"): Rule(
        {"any": EVERYONE}, target=lambda w, s: {"key": "ips-25", "version": "2019"}
    ),
    ("POST", "/api/v1/reviews"): Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=lambda role, scope: 403 if role == "analyst" else 404,
        json=lambda w, scope: {
            "team_id": fresh_team(w, scope).id,
            "visit_date": "2026-11-20",
            "reviewer_usernames": [w.users["ambassador"].username, w.users["admin"].username],
            "lead_username": w.users["ambassador"].username,
        },
    ),
    ("PUT", "/api/v1/reviews/{review_id}/ratings/{item_key}"): reviewer_only(
        "scoring", json=lambda w, s: {"score": 3, "client_id": str(uuid.uuid4())}
    ),
    ("PUT", "/api/v1/reviews/{review_id}/consensus/{item_key}"): reviewer_only(
        "consensus", json=lambda w, s: {"score": 4, "client_id": str(uuid.uuid4())}
    ),
    ("PUT", "/api/v1/reviews/{review_id}/summary"): reviewer_only(
        "scoring", json=lambda w, s: {"strengths": "Godt samarbejde"}
    ),
    ("POST", "/api/v1/reviews/{review_id}/submit"): reviewer_only("scored"),
    ("POST", "/api/v1/reviews/{review_id}/finalize"): Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=404,
        target=lambda w, scope: review_in(w, scope, "consensus"),
    ),
    ("POST", "/api/v1/reviews/{review_id}/reopen"): Rule(
        {"own": ADMIN, "other": ADMIN},
        denied=lambda role, scope: (
            404
            if role in TEAM or role == "panel_member" or scope == "other" and role == "ambassador"
            else 403
        ),
        target=lambda w, scope: review_in(w, scope, "finalised"),
        json=lambda w, s: {"reason": "Et item var talt forkert"},
    ),
    ("GET", "/reviews/new"): Rule({"any": frozenset({"admin", "ambassador"})}),
    ("POST", "/reviews"): Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=lambda role, scope: 403 if role == "analyst" else 404,
        data=lambda w, scope: {
            "team_id": str(fresh_team(w, scope).id),
            "visit_date": "2026-11-20",
            "reviewers": [w.users["ambassador"].username, w.users["admin"].username],
            "lead": w.users["ambassador"].username,
        },
    ),
    ("GET", "/reviews/{review_id}/score"): reviewer_only("scoring"),
    ("GET", "/reviews/{review_id}/{mode}/panels"): Rule(
        {"own": frozenset({"ambassador"}), "other": frozenset()},
        denied=lambda role, scope: 403 if role == "admin" else 404,
        target=lambda w, scope: review_in(w, scope, "scoring") | {"mode": "score"},
    ),
    ("POST", "/reviews/{review_id}/score/{item_key}"): reviewer_only(
        "scoring", data=lambda w, s: {"score": "3"}
    ),
    ("POST", "/reviews/{review_id}/submit"): reviewer_only("scored"),
    ("GET", "/reviews/{review_id}/consensus"): Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=404,
        target=lambda w, scope: review_in(w, scope, "consensus"),
    ),
    ("POST", "/reviews/{review_id}/consensus/{item_key}"): reviewer_only(
        "consensus", data=lambda w, s: {"score": "4"}
    ),
    ("POST", "/reviews/{review_id}/summary"): reviewer_only(
        "scoring", data=lambda w, s: {"strengths": "Godt samarbejde"}
    ),
    ("POST", "/reviews/{review_id}/reviewers/{user_id}"): take_off_rule(
        data=lambda w, s: {"reason": "Kontoen er lukket"}
    ),
    ("POST", "/api/v1/reviews/{review_id}/reviewers/{username}/remove"): take_off_rule(
        json=lambda w, s: {"reason": "Kontoen er lukket"}
    ),
    ("POST", "/reviews/{review_id}/finalize"): Rule(
        {"own": frozenset({"admin", "ambassador"}), "other": ADMIN},
        denied=404,
        target=lambda w, scope: review_in(w, scope, "consensus"),
    ),
    ("POST", "/reviews/{review_id}/reopen"): Rule(
        {"own": ADMIN, "other": ADMIN},
        denied=lambda role, scope: (
            404
            if role in TEAM or role == "panel_member" or scope == "other" and role == "ambassador"
            else 403
        ),
        target=lambda w, scope: review_in(w, scope, "finalised"),
        data=lambda w, s: {"reason": "Et item var talt forkert"},
    ),
    ("GET", "/reviews/{review_id}/feedback"): report_read(),
    ("POST", "/reviews/{review_id}/feedback/{item_key}/comment"): team_leader_only(
        recent_review, data=lambda w, s: {"body": "Vi er enige"}
    ),
    ("POST", "/reviews/{review_id}/feedback/{item_key}/actions"): team_leader_only(
        recent_review, data=action_form
    ),
    ("POST", "/actions/{action_id}"): team_leader_only(
        planned_action, data=lambda w, s: action_form(w, s) | {"status": "in_progress"}
    ),
    ("POST", "/actions/{action_id}/status"): team_leader_only(
        planned_action, data=lambda w, s: {"status": "done", "return_to": "team"}
    ),
    ("POST", "/actions/{action_id}/delete"): team_leader_only(planned_action),
    ("GET", "/api/v1/teams/{team_id}/actions"): team_read(),
    ("GET", "/national"): Rule({"any": frozenset({"admin", "analyst", "ambassador"})}),
    ("GET", "/national/workbook.xlsx"): Rule({"any": frozenset({"admin", "analyst"})}),
    ("GET", "/api/v1/exports/reviews"): Rule({"any": frozenset({"admin", "analyst"})}),
    ("GET", "/api/v1/exports/ratings"): Rule({"any": frozenset({"admin", "analyst"})}),
    ("GET", "/api/v1/exports/implementation"): Rule({"any": frozenset({"admin", "analyst"})}),
    ("GET", "/api/v1/exports/outcomes"): Rule({"any": frozenset({"admin", "analyst"})}),
    ("GET", "/api/v1/exports/implementation-ratings"): Rule(
        {"any": frozenset({"admin", "analyst"})}
    ),
    ("GET", "/admin/audit"): admin_only(),
    ("GET", "/admin/outbox"): admin_only(),
    ("POST", "/admin/outbox"): Rule({"any": ADMIN}, files=lambda w, s: {"file": EMPTY_OUTBOX}),
    ("GET", "/admin/audit.csv"): admin_only(),
    ("GET", "/teams/{team_id}/consultants"): leaders_team(team_of),
    ("POST", "/teams/{team_id}/consultants"): leaders_team(
        team_of,
        data=lambda w, s: {"display_name": "Kim Kjær", "username": f"k-{uuid.uuid4().hex[:8]}"},
    ),
    ("POST", "/teams/{team_id}/consultants/{user_id}/link"): leaders_team(consultant_of),
    ("POST", "/teams/{team_id}/consultants/{user_id}/close"): leaders_team(consultant_of),
    ("GET", "/invitation/{token}"): Rule(
        {"any": EVERYONE | {"anonymous"}}, public=True, target=lambda w, s: {"token": "unknown"}
    ),
    ("POST", "/invitation/{token}"): Rule(
        {"any": EVERYONE | {"anonymous"}},
        public=True,
        target=lambda w, s: {"token": "unknown"},
        data=lambda w, s: {"password": "a long new password", "repeat_password": "x"},
    ),
    ("GET", "/teams/{team_id}/rounds/new"): plan_round(),
    ("POST", "/teams/{team_id}/rounds"): plan_round(data=round_form),
    ("POST", "/api/v1/teams/{team_id}/rounds"): plan_round(json=round_form),
    ("GET", "/api/v1/teams/{team_id}/rounds"): team_read(),
    ("GET", "/rounds/{round_id}"): round_read(),
    ("GET", "/rounds/{round_id}/team"): round_read(),
    ("GET", "/rounds/{round_id}/assessment"): round_read(),
    ("GET", "/api/v1/rounds/{round_id}"): round_read(),
    ("POST", "/rounds/{round_id}/team/points/{item_key}"): team_part(
        data=lambda w, s: {"level": "3"}
    ),
    ("POST", "/rounds/{round_id}/team/figures/{input_key}"): team_part(
        data=lambda w, s: {"value": "18"}
    ),
    ("POST", "/rounds/{round_id}/team/documents"): team_part(
        data=lambda w, s: {"document": ["implementation-plan"]}
    ),
    ("PUT", "/api/v1/rounds/{round_id}/points/{item_key}"): team_part(json=new_id(level=3)),
    ("PUT", "/api/v1/rounds/{round_id}/figures/{input_key}"): team_part(json=new_id(value=18)),
    ("PUT", "/api/v1/rounds/{round_id}/documents"): team_part(
        json=new_id(documents=["implementation-plan"])
    ),
    ("POST", "/rounds/{round_id}/submit"): Rule(
        {"own": frozenset({"team_leader"}), "other": frozenset()},
        denied=lambda role, scope: (
            404 if role == "analyst" or (scope == "other" and role != "admin") else 403
        ),
        target=lambda w, scope: round_in(w, scope, "open"),
    ),
    ("POST", "/api/v1/rounds/{round_id}/submit"): Rule(
        {"own": frozenset({"team_leader"}), "other": frozenset()},
        denied=lambda role, scope: (
            404 if role == "analyst" or (scope == "other" and role != "admin") else 403
        ),
        target=lambda w, scope: round_in(w, scope, "open"),
    ),
    ("POST", "/rounds/{round_id}/deadline"): round_step(
        "open", data=lambda w, s: {"deadline": (date.today() + timedelta(days=40)).isoformat()}
    ),
    ("PUT", "/api/v1/rounds/{round_id}/deadline"): round_step(
        "open", json=lambda w, s: {"deadline": (date.today() + timedelta(days=40)).isoformat()}
    ),
    ("POST", "/rounds/{round_id}/assessment/{item_key}"): round_step(
        "submitted", data=lambda w, s: {"level": "2", "description": "Ikke underskrevet"}
    ),
    ("PUT", "/api/v1/rounds/{round_id}/assessment/{item_key}"): round_step(
        "submitted", json=new_id(level=2, description="Ikke underskrevet")
    ),
    ("POST", "/rounds/{round_id}/confirm"): round_step(
        "submitted", data=lambda w, s: {"note": "Ok"}
    ),
    ("POST", "/api/v1/rounds/{round_id}/confirm"): round_step(
        "submitted", json=lambda w, s: {"note": "Ok"}
    ),
    ("POST", "/rounds/{round_id}/reopen"): round_step(
        "assessed", data=lambda w, s: {"reason": "Punkt 5 var forkert"}
    ),
    ("POST", "/api/v1/rounds/{round_id}/reopen"): round_step(
        "assessed", json=lambda w, s: {"reason": "Punkt 5 var forkert"}
    ),
    ("GET", "/outcomes"): importers_only(),
    ("GET", "/outcomes/example.csv"): importers_only(),
    ("POST", "/outcomes/preview"): importers_only(files=outcome_upload),
    ("POST", "/outcomes/store"): importers_only(data=outcome_store),
    ("GET", "/outcomes/imports/{import_id}/file"): importers_only(target=stored_import),
    ("GET", "/teams/{team_id}/outcomes"): team_read(),
    ("GET", "/corps"): Rule({"any": READERS}),
    ("GET", "/corps/regions/{region_code}"): Rule(
        {"region": READERS, "elsewhere": READERS}, target=corps_region
    ),
    ("POST", "/corps/regions/{region_code}/activities"): corps_rule(
        corps_region, data=activity_form
    ),
    ("GET", "/corps/activities/{activity_id}"): Rule(
        {"region": READERS, "elsewhere": READERS}, target=fresh_activity
    ),
    ("POST", "/corps/activities/{activity_id}"): corps_rule(fresh_activity, data=activity_form),
    ("POST", "/corps/activities/{activity_id}/delete"): corps_rule(fresh_activity),
    ("POST", "/corps/regions/{region_code}/agreements"): corps_rule(
        corps_region, data=agreement_form
    ),
    ("GET", "/corps/agreements/{agreement_id}"): Rule(
        {"region": READERS, "elsewhere": READERS}, target=fresh_agreement
    ),
    ("POST", "/corps/agreements/{agreement_id}"): corps_rule(fresh_agreement, data=agreement_form),
    ("POST", "/corps/agreements/{agreement_id}/delete"): corps_rule(fresh_agreement),
    ("GET", "/reports/status"): Rule({"any": READERS}),
    ("GET", "/reports/status/pdf"): Rule({"any": READERS}),
    ("GET", "/reports/status/xlsx"): Rule({"any": READERS}),
    ("POST", "/reports/status/send"): corps_rule(lambda w, s: {}, data=status_form),
    ("GET", "/reports/status/{report_id}"): Rule(
        {"region": READERS, "elsewhere": READERS}, target=sent_report
    ),
    ("GET", "/reports/status/{report_id}/pdf"): Rule(
        {"region": READERS, "elsewhere": READERS}, target=sent_report
    ),
    ("GET", "/reports/status/{report_id}/xlsx"): Rule(
        {"region": READERS, "elsewhere": READERS}, target=sent_report
    ),
    ("POST", "/teams/{team_id}/outcomes"): team_outcome_writers(team_of, data=own_outcomes),
    ("POST", "/teams/{team_id}/outcomes/{year}/{quarter}/remove"): team_outcome_writers(
        own_quarter
    ),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers: its own routes, and those of the routers it
    includes (``app.routes`` holds included routers as opaque wrappers)."""
    routes: list[BaseRoute] = [r for router in ROUTERS for r in router.routes]
    for route in app.routes:
        if isinstance(route, Mount):
            assert route.path == "/static", "only static files may be mounted"
        elif isinstance(route, APIRoute | Route):
            routes.append(route)
        else:
            assert getattr(route, "original_router", None) in ROUTERS, route
    found = set()
    for route in routes:
        assert isinstance(route, APIRoute | Route), route
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def test_every_route_has_a_rule(app: FastAPI) -> None:
    routes = app_routes(app)
    assert routes - RULES.keys() == set(), "new routes need a rule in the matrix"
    assert RULES.keys() - routes == set(), "rules for routes that no longer exist"


@pytest.fixture
def world(app: FastAPI, session: Session) -> World:
    from tests.factories import make_scale_version

    make_scale_version(session)
    team_a = make_team(session, name="Team A", municipalities=(101,))
    team_b = make_team(session, name="Team B", municipalities=(851,))
    users = {
        "admin": make_user(session, role=Role.ADMIN),
        "ambassador": make_user(session, role=Role.AMBASSADOR, regions=(1084,)),
        "team_leader": make_user(session, role=Role.TEAM_LEADER, teams=(team_a,)),
        "consultant": make_user(session, role=Role.CONSULTANT, teams=(team_a,)),
        "analyst": make_user(session, role=Role.ANALYST),
        "panel_member": make_user(session, role=Role.PANEL_MEMBER),
    }
    victims = {scope: make_user(session, role=Role.ANALYST) for scope in ("own", "other")}
    tokens = {
        scope: create_token(session, by=Principal.system(), user=victims[scope], name="a script")[1]
        for scope in ("own", "other")
    }
    world = World(
        team_a=team_a,
        team_b=team_b,
        final_a=make_review(session, team=team_a, finalised=True),
        final_b=make_review(session, team=team_b, finalised=True),
        open_a=make_review(session, team=team_a),
        users=users,
        victims=victims,
        instrument=make_instrument_version(session),
        tokens=tokens,
        session=session,
    )
    session.flush()
    for role in ROLES:
        client = TestClient(app)
        if role != "anonymous":
            world.csrf[role] = sign_in(client, users[role].username)
        world.clients[role] = client
    return world


def _outcome_ok(
    rule: Rule, role: str, scope: str, path: str, status: int, location: str
) -> str | None:
    """None if the response is what the rule expects, else what was wrong."""
    sent_to_login = status == 303 and location.startswith("/login?next=")
    if rule.public:
        return None if status < 500 and status != 401 and not sent_to_login else "not public"
    if role == "anonymous":
        if path.startswith("/api/"):
            return None if status == 401 else "anonymous API call not 401"
        return None if sent_to_login else "anonymous page not sent to sign in"
    if role in rule.allowed[scope]:
        return None if status in (200, 201, 303) and not sent_to_login else "refused"
    denied = rule.denial(role, scope)
    return None if status == denied else f"not denied with {denied}"


@pytest.mark.parametrize(
    ("method", "template"), [pytest.param(*key, id=" ".join(key)) for key in sorted(RULES)]
)
def test_route_allows_exactly_its_roles(world: World, method: str, template: str) -> None:
    rule = RULES[(method, template)]
    wrong = []
    for role in ROLES:
        for scope in rule.allowed:
            path = template.format(**rule.target(world, scope))
            client = world.clients[role]
            headers = {"X-CSRF-Token": world.csrf[role]} if role in world.csrf else {}
            data = rule.data(world, scope) if rule.data else None
            body = rule.json(world, scope) if rule.json else None
            files = rule.files(world, scope) if rule.files else None
            response = client.request(
                method,
                path,
                headers=headers,
                data=data,
                json=body,
                files=files,
                follow_redirects=False,
            )
            location = response.headers.get("location", "")
            problem = _outcome_ok(rule, role, scope, path, response.status_code, location)
            if problem:
                wrong.append(
                    f"{role}/{scope}: {method} {path} -> {response.status_code} ({problem})"
                )
    assert wrong == []
