from __future__ import annotations

from fastapi import APIRouter

from app.api import exports, me, ratings, reviews, rounds, scales, teams

# One router per feature, each with its paths under /api/v1 (app.main serves them first).
ROUTERS: tuple[APIRouter, ...] = tuple(
    feature.router for feature in (me, teams, exports, reviews, rounds, scales, ratings)
)

# The pages' routes have the same function names (team_detail, review_detail…), and
# ``url_for`` takes the first route of a name: the API's are named apart.
for _router in ROUTERS:
    for _route in _router.routes:
        _route.name = f"api_{_route.name}"  # type: ignore[attr-defined]
