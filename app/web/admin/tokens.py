"""Administration of API tokens: every token, whose it is and when it was last used, and
revoking one (from this list or from its holder's page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.services import tokens
from app.web.admin.common import DoneParam, done_key, router
from app.web.auth import AdminPrincipal
from app.web.htmx import render
from app.web.params import PathId


@router.get("/tokens", response_class=HTMLResponse, name="admin_tokens")
def token_list(
    request: Request, session: SessionDep, principal: AdminPrincipal, done: DoneParam = None
) -> Response:
    context = {"tokens": tokens.list_tokens(session), "done": done_key(done)}
    return render(request, "admin/tokens.html", context)


@router.post("/tokens/{token_id}/revoke", name="admin_token_revoke")
def revoke_token(
    session: SessionDep,
    principal: AdminPrincipal,
    token_id: PathId,
    back: Annotated[str, Form()] = "",
) -> Response:
    token = tokens.get_token(session, token_id=token_id)
    tokens.revoke_token(session, by=principal, token=token)
    where = f"/admin/users/{token.user_id}" if back == "user" else "/admin/tokens"
    target = f"{where}?done=token_revoked"
    return RedirectResponse(target, status_code=303)
