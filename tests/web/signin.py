"""Signing a test client in through the real sign-in form, and reading its CSRF token."""

from __future__ import annotations

import json

import html5lib
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from httpx2 import Response

from tests.factories import PASSWORD


def parse(html: str) -> BeautifulSoup:
    html5lib.HTMLParser(strict=True).parse(html)  # raises on any HTML parse error
    return BeautifulSoup(html, "html.parser")


def login_form_token(client: TestClient) -> str:
    page = parse(client.get("/login").text)
    field = page.select_one('form input[name="csrf_token"]')
    assert field is not None, "the sign-in page has no CSRF field"
    return str(field["value"])


def submit_login(
    client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/"
) -> Response:
    token = login_form_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token, as htmx would send it."""
    response = submit_login(client, username, password)
    assert response.status_code == 303, response.text
    return csrf_token(client)


def csrf_token(client: TestClient) -> str:
    body = parse(client.get("/account").text).body
    assert body is not None and body.has_attr("hx-headers"), "no CSRF header on <body>"
    return str(json.loads(str(body["hx-headers"]))["X-CSRF-Token"])
