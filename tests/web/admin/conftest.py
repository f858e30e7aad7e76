"""An administrator, and a test client signed in as them with the session's CSRF token
on every request, as htmx sends it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role, User
from tests.factories import make_user
from tests.web.signin import sign_in


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, role=Role.ADMIN, username="the-admin")


@pytest.fixture
def client(client: TestClient, admin: User) -> TestClient:
    token = sign_in(client, admin.username)
    client.headers["X-CSRF-Token"] = token
    return client
