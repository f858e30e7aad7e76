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

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.routing import BaseRoute, Mount, Route

from app.main import ROUTERS
from app.models import ApiToken, Review, Role, Team, User
from app.services import accounts
from app.services.access import Principal
from tests.factories import PASSWORD, make_review, make_team, make_user
from tests.web.signin import sign_in

ROLES = ("anonymous", "analyst", "team_leader", "ambassador", "admin")  # admin acts last
EVERYONE = frozenset({"admin", "ambassador", "team_leader", "analyst"})
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
    tokens: dict[str, ApiToken]
    clients: dict[str, TestClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    allowed: dict[str, frozenset[str]]  # scope -> roles that may
    denied: int = 403
    public: bool = False
    target: Callable[[World, str], Params] = lambda world, scope: {}
    data: Callable[[World, str], Params] | None = None


def anyone_signed_in(data: Callable[[World, str], Params] | None = None) -> Rule:
    return Rule({"any": EVERYONE}, data=data)


def public() -> Rule:
    return Rule({"any": EVERYONE | {"anonymous"}}, public=True)


def team_read() -> Rule:
    return Rule(
        {"own": EVERYONE, "other": frozenset({"admin", "analyst"})},
        denied=404,
        target=lambda w, scope: {"team_id": (w.team_a if scope == "own" else w.team_b).id},
    )


def review_read() -> Rule:
    reviews = {"own": "final_a", "other": "final_b", "own_in_progress": "open_a"}
    return Rule(
        {
            "own": EVERYONE,
            "other": frozenset({"admin", "analyst"}),
            "own_in_progress": frozenset({"admin", "ambassador"}),
        },
        denied=404,
        target=lambda w, scope: {"review_id": getattr(w, reviews[scope]).id},
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


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): public(),
    ("GET", "/api/v1/openapi.json"): public(),
    ("GET", "/login"): public(),
    ("POST", "/login"): public(),
    ("POST", "/logout"): anyone_signed_in(),
    ("GET", "/"): anyone_signed_in(),
    ("GET", "/teams"): anyone_signed_in(),
    ("GET", "/teams/{team_id}"): team_read(),
    ("GET", "/reviews/{review_id}"): review_read(),
    ("GET", "/scales/{key}/{version}"): Rule(
        {"any": EVERYONE}, target=lambda w, s: {"key": "ips-25", "version": "2019"}
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
    ("POST", "/admin/teams"): admin_only(
        data=lambda w, s: {
            "name": f"Team {uuid.uuid4().hex[:8]}",
            "program_type": "ips",
            "municipalities": ["101"],
        }
    ),
    ("GET", "/admin/teams/{team_id}"): admin_only(team_of),
    ("POST", "/admin/teams/{team_id}"): admin_only(team_of, data=team_form),
    ("GET", "/admin/audit"): admin_only(),
    ("GET", "/admin/audit.csv"): admin_only(),
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
        "analyst": make_user(session, role=Role.ANALYST),
    }
    victims = {scope: make_user(session, role=Role.ANALYST) for scope in ("own", "other")}
    tokens = {
        scope: accounts.create_token(session, Principal.system(), victims[scope], "a script")[1]
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
        tokens=tokens,
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
    return None if status == rule.denied else f"not denied with {rule.denied}"


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
            response = client.request(
                method, path, headers=headers, data=data, follow_redirects=False
            )
            location = response.headers.get("location", "")
            problem = _outcome_ok(rule, role, scope, path, response.status_code, location)
            if problem:
                wrong.append(
                    f"{role}/{scope}: {method} {path} -> {response.status_code} ({problem})"
                )
    assert wrong == []
