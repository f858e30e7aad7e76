"""The public pages: the front page with the published scales, and a scale's items."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from app.db import SessionDep
from app.scales.schema import Item, Principle, Section
from app.services import scales as scale_service
from app.web.htmx import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: SessionDep) -> Response:
    versions = scale_service.list_scale_versions(session, published_only=True)
    cards = [(row, scale_service.definition_of(row)) for row in versions]
    return render(request, "home/index.html", {"scales": cards})


@router.get("/scales/{key}/{version}", response_class=HTMLResponse, name="scale_detail")
def scale_detail(
    request: Request,
    session: SessionDep,
    key: str,
    version: str,
    group: Literal["section", "principle"] = "section",
) -> Response:
    row = scale_service.get_scale_version(session, key=key, version=version, visible_only=True)
    scale = scale_service.definition_of(row)
    groups: list[tuple[Section | Principle, list[Item]]]
    if group == "principle":
        groups = [
            (principle, [item for item in scale.items if principle.key in item.principles])
            for principle in sorted(scale.principles, key=lambda p: p.number)
        ]
    else:
        groups = [
            (section, [item for item in scale.items if item.section == section.key])
            for section in scale.sections
        ]
    context = {"row": row, "scale": scale, "group": group, "groups": groups}
    return render(request, "scales/detail.html", context, fragment="items")
