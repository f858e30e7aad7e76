"""The JSON API's documentation: its OpenAPI schema, and an interactive page for
signed-in users at /docs (Swagger UI, from the npm registry like every third-party
asset, started by our own script file: no inline script, no CDN).

A script or a person looking for the schema at the usual places finds it: /openapi.json
leads to /api/v1/openapi.json. Trying a request on the page sends it with the browser's
own session, as the caller may (changes carry the session's CSRF token).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.policy import CONTENT_SECURITY_POLICY

router = APIRouter(include_in_schema=False)

# Swagger UI sets style attributes as it draws; scripts stay as strict as everywhere.
DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


@router.get("/docs", response_class=HTMLResponse, name="api_docs")
def api_docs(request: Request, principal: CurrentPrincipal) -> Response:
    """The API's endpoints, their parameters and answers, and a way to try them."""
    response = render(request, "api/docs.html", {"schema_url": request.app.openapi_url})
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@router.get("/openapi.json", name="openapi_elsewhere")
def openapi_elsewhere(request: Request) -> RedirectResponse:
    """The schema lives with the API's version: /api/v1/openapi.json."""
    return RedirectResponse(str(request.app.openapi_url), status_code=308)
