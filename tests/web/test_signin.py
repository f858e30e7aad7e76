"""Signing in and out, sessions that expire, CSRF, API tokens and the security headers,
each asserted on the response and on what the database holds."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.models import AuditEvent, Role, SignInAttempt, UserSession, utcnow
from app.security import verify_password
from app.services import signin, tokens
from app.services.access import Principal
from app.services.credentials import digest
from app.web.auth import SESSION_COOKIE
from tests.factories import PASSWORD, make_team, make_user
from tests.web.signin import csrf_token, login_form_token, parse, sign_in, submit_login


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        )
    )


def attempts(session: Session, **where: object) -> int:
    query = select(func.count()).select_from(SignInAttempt)
    for name, value in where.items():
        query = query.where(getattr(SignInAttempt, name) == value)
    return session.exec(query).one()


def error_text(response_text: str) -> str:
    box = parse(response_text).select_one(".form-error")
    assert box is not None, "the page shows no error"
    return box.get_text(" ", strip=True)


def test_sign_in_starts_a_stored_session_with_safe_cookie_flags(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.ANALYST)
    response = submit_login(client, user.username, next_url="/teams")
    assert response.status_code == 303 and response.headers["location"] == "/teams"
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie  # the 12-hour absolute lifetime
    token = client.cookies[SESSION_COOKIE]
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.token_hash == digest(token) and token not in row.token_hash
    assert row.expires_at - row.created_at == timedelta(hours=12)
    assert row.ended_at is None
    [signed_in] = events(session, "auth.signed_in")
    assert signed_in.actor_id == user.id and signed_in.entity_id == str(row.id)
    assert signed_in.client_address == "testclient"
    assert attempts(session, username=user.username, succeeded=True) == 1
    assert parse(client.get("/teams").text).h1.get_text() == "Teams"  # type: ignore[union-attr]


def test_cookies_are_secure_outside_development(app: FastAPI, session: Session) -> None:
    app.state.settings = app.state.settings.model_copy(update={"secure_cookies": True})
    user = make_user(session)
    client = TestClient(app, base_url="https://testserver")
    response = submit_login(client, user.username)
    cookie = next(c for c in response.headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "Secure" in cookie


@pytest.mark.parametrize("case", ["wrong password", "unknown user", "disabled user"])
def test_failed_sign_in_says_the_same_whether_or_not_the_user_exists(
    client: TestClient, session: Session, case: str
) -> None:
    user = make_user(session, active=case != "disabled user")
    username = "nobody-here" if case == "unknown user" else user.username
    password = "not the password" if case == "wrong password" else PASSWORD
    response = submit_login(client, username, password)
    assert response.status_code == 401
    assert error_text(response.text) == "Brugernavn eller adgangskode er forkert."
    assert SESSION_COOKIE not in client.cookies
    assert session.exec(select(func.count()).select_from(UserSession)).one() == 0
    [failed] = events(session, "auth.sign_in_failed")
    reason = {"wrong password": "wrong_password", "unknown user": "unknown_user"}
    assert failed.after is not None
    assert failed.after["reason"] == reason.get(case, "disabled")
    assert failed.after["username"] == username and failed.client_address == "testclient"
    assert attempts(session, username=username, succeeded=False) == 1
    # The form keeps the username so the person only retypes the password.
    field = parse(response.text).select_one("#username")
    assert field is not None and field["value"] == username


def test_over_long_credentials_are_refused_before_any_hashing(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hashing(*args: object) -> bool:
        raise AssertionError("a megabyte password must not reach Argon2")

    monkeypatch.setattr(signin, "verify_password", no_hashing)
    response = submit_login(client, "someone", "x" * 1_000_000)
    assert response.status_code == 422
    assert "højst 1024 tegn" in error_text(response.text)
    response = submit_login(client, "u" * 65, "short")
    assert response.status_code == 422
    assert attempts(session) == 0


def test_empty_fields_are_asked_for(client: TestClient, session: Session) -> None:
    response = submit_login(client, "", "")
    assert response.status_code == 422
    assert error_text(response.text) == "Skriv både brugernavn og adgangskode."


@pytest.mark.parametrize("token", ["", "forged", "forged.0123456789abcdef0123456789abcdef"])
def test_sign_in_without_the_forms_genuine_token_is_refused_and_offered_again(
    client: TestClient, session: Session, token: str
) -> None:
    user = make_user(session)
    client.cookies.set("fidelity_login_csrf", token or "x", path="/login")
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/teams",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert error_text(response.text) == (
        "Login-formularen var udløbet. Skriv brugernavn og adgangskode igen."
    )
    assert SESSION_COOKIE not in client.cookies
    assert attempts(session) == 0, "nothing was checked"
    page = parse(response.text)
    fresh = page.select_one('input[name="csrf_token"]')
    assert fresh is not None and fresh["value"] not in ("", token)
    assert page.select_one('input[name="next"]')["value"] == "/teams"  # type: ignore[index]
    # The fresh form works.
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": fresh["value"]},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_failed_sign_ins_slow_down_that_account_for_every_worker(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    now = utcnow()
    # Five failures a moment ago, as another worker process would have stored them.
    for seconds in (50, 40, 30, 20, 1):
        session.add(
            SignInAttempt(
                occurred_at=now - timedelta(seconds=seconds),
                username=user.username,
                client_address="10.9.9.9",
                succeeded=False,
            )
        )
    session.flush()
    response = submit_login(client, user.username)  # even the right password must wait
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 2
    wait_text = "Vent et sekund" if wait == 1 else f"Vent {wait} sekunder"
    assert error_text(response.text) == (
        f"For mange mislykkede forsøg på at logge ind. {wait_text}, og prøv igen."
    )
    assert SESSION_COOKIE not in client.cookies
    [throttled] = events(session, "auth.sign_in_throttled")
    assert throttled.after is not None and throttled.after["retry_after"] == wait
    # An unknown account is slowed by exactly the same rule: no hint that it exists.
    for _ in range(5):
        session.add(SignInAttempt(username="ghost", client_address="10.9.9.8", succeeded=False))
    session.flush()
    assert submit_login(client, "ghost").status_code == 429


def test_sign_out_really_ends_the_session(client: TestClient, session: Session) -> None:
    user = make_user(session)
    token = sign_in(client, user.username)
    old_cookie = client.cookies[SESSION_COOKIE]
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?signed_out=1"
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.ended_at is not None and row.end_reason == "signed_out"
    assert len(events(session, "auth.signed_out")) == 1
    # A copy of the old cookie no longer opens anything.
    replay = TestClient(client.app, cookies={SESSION_COOKIE: old_cookie})
    response = replay.get("/teams", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fteams&expired=1"


@pytest.mark.parametrize("limit", ["idle", "absolute"])
def test_an_expired_session_returns_through_sign_in_to_the_same_page(
    client: TestClient, session: Session, limit: str
) -> None:
    user = make_user(session, role=Role.ANALYST)
    team = make_team(session)
    sign_in(client, user.username)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    if limit == "idle":
        row.last_seen_at = utcnow() - timedelta(minutes=121)
    else:
        row.created_at = utcnow() - timedelta(hours=13)
        row.expires_at = utcnow() - timedelta(minutes=1)
        row.last_seen_at = utcnow()
    session.flush()
    response = client.get(f"/teams/{team.id}?lang=da", follow_redirects=False)
    assert response.status_code == 303
    target = response.headers["location"]
    assert parse_qs(urlsplit(target).query) == {
        "next": [f"/teams/{team.id}?lang=da"],
        "expired": ["1"],
    }
    page = parse(client.get(target).text)
    notice = page.select_one(".notice")
    assert notice is not None and "Din session er udløbet" in notice.get_text()
    next_field = page.select_one('input[name="next"]')
    assert next_field is not None and next_field["value"] == f"/teams/{team.id}?lang=da"
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": login_form_token(client),
            "next": str(next_field["value"]),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/teams/{team.id}?lang=da"


def test_an_expired_session_under_htmx_redirects_the_whole_page(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    sign_in(client, user.username)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.ended_at = utcnow()
    session.flush()
    response = client.get(
        "/teams", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/account"}
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Faccount&expired=1"


def test_an_active_session_is_kept_alive_without_writing_on_every_request(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    sign_in(client, user.username)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    row.last_seen_at = utcnow() - timedelta(minutes=30)
    session.flush()
    client.get("/teams")
    session.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(seconds=10)
    seen = row.last_seen_at
    client.get("/teams")
    session.refresh(row)
    assert row.last_seen_at == seen


@pytest.mark.parametrize("how", ["missing", "wrong", "another session's"])
def test_state_changes_without_the_sessions_csrf_token_are_refused(
    app: FastAPI, client: TestClient, session: Session, how: str
) -> None:
    user = make_user(session)
    sign_in(client, user.username)
    headers = {}
    if how == "wrong":
        headers["X-CSRF-Token"] = "forged"
    elif how == "another session's":
        other = TestClient(app)
        headers["X-CSRF-Token"] = sign_in(other, make_user(session).username)
    response = client.post(
        "/account/password",
        headers=headers,
        data={"current_password": PASSWORD, "new_password": "x" * 12, "repeat_password": "x" * 12},
    )
    assert response.status_code == 403
    text = parse(response.text).select_one(".error-detail").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert "CSRF-kontrol" in text
    session.refresh(user)
    assert verify_password(user.password_hash or "", PASSWORD), "nothing changed"
    [denied] = events(session, "access.denied")
    assert denied.actor_id == user.id and denied.after is not None
    assert denied.after["reason"] == "csrf_failed" and denied.after["path"] == "/account/password"


@pytest.mark.parametrize("where", ["header", "form field"])
def test_the_csrf_token_is_accepted_as_htmx_header_or_form_field(
    client: TestClient, session: Session, where: str
) -> None:
    user = make_user(session)
    token = sign_in(client, user.username)
    data = {
        "current_password": PASSWORD,
        "new_password": "tulip lantern 47 river",
        "repeat_password": "tulip lantern 47 river",
    }
    headers = {}
    if where == "header":
        headers["X-CSRF-Token"] = token
    else:
        data["csrf_token"] = token
    response = client.post("/account/password", headers=headers, data=data, follow_redirects=False)
    assert response.status_code == 303
    session.refresh(user)
    assert verify_password(user.password_hash or "", "tulip lantern 47 river")


def test_the_csrf_token_sits_once_on_body_for_htmx(client: TestClient, session: Session) -> None:
    user = make_user(session)
    sign_in(client, user.username)
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert csrf_token(client) == row.csrf_token  # the session's own token, from <body>
    page = parse(client.get("/account").text)
    assert [f["value"] for f in page.select('form input[name="csrf_token"]')] == [
        row.csrf_token
    ] * len(page.select("form[method=post]"))


def test_api_tokens_work_without_csrf_and_stop_when_revoked(app: FastAPI, session: Session) -> None:
    user = make_user(session, role=Role.ANALYST)
    plain, token = tokens.create_token(session, by=Principal.system(), user=user, name="R script")
    assert token.token_hash == digest(plain) and plain.startswith("ipsf_")
    api = TestClient(app, headers={"Authorization": f"Bearer {plain}"})
    me = api.get("/api/v1/me").json()
    assert me == {
        "username": user.username,
        "display_name": "Test User",
        "role": "analyst",
        "regions": [],
        "teams": [],
        "channel": "api",
        "csrf_token": None,  # a token's requests need none
    }
    session.refresh(token)
    assert token.last_used_at is not None
    tokens.revoke_token(session, by=Principal.system(), token=token)
    session.flush()
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "The API token has been revoked; ask an administrator for a new one."
    )
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_and_no_token_are_401_with_how_to_authenticate(app: FastAPI) -> None:
    api = TestClient(app)
    assert "Bearer" in api.get("/api/v1/teams").json()["detail"]
    wrong = api.get("/api/v1/teams", headers={"Authorization": "Bearer ipsf_nope"})
    assert wrong.status_code == 401 and "copied whole" in wrong.json()["detail"]


def test_a_disabled_users_token_stops_working(app: FastAPI, session: Session) -> None:
    user = make_user(session)
    plain, _ = tokens.create_token(session, by=Principal.system(), user=user, name="script")
    user.is_active = False
    session.commit()  # stored before the request, as in life (a refused request rolls back)
    response = TestClient(app).get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401


def test_security_headers_on_pages_static_files_and_errors(client: TestClient) -> None:
    for path in ("/login", "/static/css/app.css", "/no/such/page", "/api/v1/me"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers, "HSTS only over https"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_hsts_over_https(app: FastAPI) -> None:
    headers = TestClient(app, base_url="https://testserver").get("/login").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/login", ""]
)
def test_sign_in_never_sends_anyone_off_site(
    client: TestClient, session: Session, target: str
) -> None:
    user = make_user(session)
    response = submit_login(client, user.username, next_url=target)
    assert response.headers["location"] == "/"


def test_a_password_typed_as_username_stays_out_of_the_audit_trail(
    client: TestClient, session: Session
) -> None:
    submit_login(client, "Secret Sentence 42!", "whatever")
    [failed] = events(session, "auth.sign_in_failed")
    assert failed.after == {"username": "(not a possible username)", "reason": "unknown_user"}


def test_a_megabyte_field_is_a_422_not_a_400(client: TestClient) -> None:
    token = login_form_token(client)
    response = client.post(
        "/login", data={"username": "a", "password": "x" * 1_100_000, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "alt for langt" in parse(response.text).select_one(".error-detail").get_text()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "path",
    [
        "/teams/99999999999999999999",
        "/reviews/-5",
        "/api/v1/teams/3000000000",
        "/admin/audit?before=9e99",
    ],
)
def test_absurd_ids_are_a_clear_4xx_never_a_500(
    client: TestClient, session: Session, path: str
) -> None:
    sign_in(client, make_user(session, role=Role.ADMIN).username)
    response = client.get(path)
    assert response.status_code == 422
    said = response.text  # the API in Pydantic's words, a page in the reader's
    assert any(
        words in said
        for words in ("less than or equal", "greater than", "valid integer", "må højst være",
                      "skal være mindst", "skal være et helt tal")
    )  # fmt: skip


def test_a_revoked_token_is_401_on_pages_too_and_on_record(app: FastAPI, session: Session) -> None:
    user = make_user(session)
    plain, token = tokens.create_token(session, by=Principal.system(), user=user, name="script")
    tokens.revoke_token(session, by=Principal.system(), token=token)
    session.commit()  # stored before the request, as in life (a refused request rolls back)
    response = TestClient(app).get(
        "/teams", headers={"Authorization": f"Bearer {plain}"}, follow_redirects=False
    )
    assert response.status_code == 401
    assert response.json()["detail"].startswith("The API token has been revoked")
    [denied] = events(session, "access.denied")
    assert denied.actor_id == user.id and denied.channel == "api"
    assert denied.after is not None and denied.after["reason"] == "revoked_token"


def test_guessing_the_current_password_through_a_session_is_slowed_and_recorded(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    token = sign_in(client, user.username)
    form = {"new_password": "harbour violin 83 moss", "repeat_password": "harbour violin 83 moss"}
    for _ in range(signin.FREE_FAILURES_PER_ACCOUNT):
        response = client.post(
            "/account/password",
            headers={"X-CSRF-Token": token},
            data=form | {"current_password": "a guess"},
        )
        assert response.status_code == 422
        assert error_text(response.text) == "Den nuværende adgangskode er forkert."
    response = client.post(
        "/account/password",
        headers={"X-CSRF-Token": token},
        data=form | {"current_password": PASSWORD},
    )
    assert response.status_code == 429
    assert error_text(response.text).startswith("For mange mislykkede forsøg")
    assert len(events(session, "auth.password_check_failed")) == signin.FREE_FAILURES_PER_ACCOUNT
    session.refresh(user)
    assert verify_password(user.password_hash or "", PASSWORD), "unchanged"


def test_a_new_password_over_the_limit_is_named_as_such(
    client: TestClient, session: Session
) -> None:
    token = sign_in(client, make_user(session).username)
    long = "l" * 1025
    response = client.post(
        "/account/password",
        headers={"X-CSRF-Token": token},
        data={"current_password": PASSWORD, "new_password": long, "repeat_password": long},
    )
    assert response.status_code == 422
    assert error_text(response.text) == "Den nye adgangskode må højst være 1024 tegn."


def test_looking_at_a_teams_results_is_on_record(client: TestClient, session: Session) -> None:
    from tests.factories import make_review

    user = make_user(session, role=Role.ANALYST)
    review = make_review(session, finalised=True)
    sign_in(client, user.username)
    client.get(f"/reviews/{review.id}")
    client.get(f"/api/v1/teams/{review.team_id}")
    viewed = [
        (e.action, e.entity_id, e.actor_id, e.channel)
        for e in session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action).endswith(".viewed"))
            .order_by(col(AuditEvent.id))
        )
    ]
    assert viewed == [
        ("review.viewed", str(review.id), user.id, "web"),
        ("team.viewed", str(review.team_id), user.id, "api"),
    ]


def test_the_new_password_must_differ_from_the_current(
    client: TestClient, session: Session
) -> None:
    token = sign_in(client, make_user(session).username)
    response = client.post(
        "/account/password",
        headers={"X-CSRF-Token": token},
        data={"current_password": PASSWORD, "new_password": PASSWORD, "repeat_password": PASSWORD},
    )
    assert response.status_code == 422
    assert error_text(response.text) == "Den nye adgangskode skal være en anden end den nuværende."


IPAD = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile Safari/604.1"
HEADLESS = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/156.0 Safari/537.36"
EDGE = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0"


@pytest.mark.parametrize(
    ("agent", "named"),
    [
        (IPAD, "Safari på iPad"),
        (HEADLESS, "Chrome på Linux"),
        (EDGE, "Edge på Windows"),
        ("curl/8.5.0", "ukendt enhed"),
        (None, "ukendt enhed"),
    ],
)
def test_devices_are_named_as_people_name_them(agent: str | None, named: str) -> None:
    from app.i18n import speaking
    from app.web.htmx import templates

    with speaking("da"):
        rendered = templates.env.from_string("{{ agent | device }}").render(agent=agent)
    assert rendered == named


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
    ],
)
def test_a_sign_in_posted_from_another_site_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    user = make_user(session)
    token = login_form_token(client)
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies
    same = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": token},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_junk_in_headers_and_cookies_is_a_4xx_never_a_500(
    client: TestClient, session: Session
) -> None:
    raw_cookie = {"Cookie": "fidelity_login_csrf=abc.é".encode()}  # not ASCII, as sent
    assert client.get("/login", headers=raw_cookie).status_code == 200  # type: ignore[dict-item]
    token = login_form_token(client)
    response = client.post(
        "/login",
        data={"username": "nobody", "password": "x", "csrf_token": token},
        headers={"Referer": "http://[::1"},
    )
    assert response.status_code == 401
    switch = parse(response.text).select_one('nav.language a[hreflang="en"]')
    assert switch is not None and switch["href"] == "/?lang=en"
    assert client.post("/login", data={"csrf_token": "é"}).status_code == 403
    sign_in(client, make_user(session).username)
    response = client.post("/account/password", headers={"X-CSRF-Token": "é".encode()})  # type: ignore[dict-item]
    assert response.status_code == 403
    response = client.post("/logout", headers={"HX-Request": "true", "HX-Current-URL": "http://[x"})
    assert response.status_code == 403  # no CSRF token: refused, and no crash on the URL


def test_a_nul_character_is_a_422_not_a_500(
    client: TestClient, session: Session, backend: str
) -> None:
    sign_in(client, make_user(session, role=Role.ADMIN).username)
    response = client.get("/admin/audit?actor=a%00b")
    # PostgreSQL cannot store or compare NUL in text; SQLite can, and finds nothing.
    assert response.status_code == (422 if backend == "postgresql" else 200)
    if backend == "postgresql":
        assert "NUL" in parse(response.text).select_one(".error-detail").get_text()  # type: ignore[union-attr]


def test_a_look_at_a_hidden_review_is_recorded_against_that_review(
    client: TestClient, session: Session
) -> None:
    from tests.factories import make_review

    leader = make_user(session, role=Role.TEAM_LEADER, teams=(make_team(session),))
    elsewhere = make_review(session, finalised=True)
    session.commit()  # stored before the request, as in life
    sign_in(client, leader.username)
    assert client.get(f"/reviews/{elsewhere.id}").status_code == 404
    [denied] = events(session, "access.denied")
    assert (denied.actor_id, denied.entity_type, denied.entity_id) == (
        leader.id,
        "review",
        str(elsewhere.id),
    )
    assert client.get("/reviews/999999").status_code == 404  # missing: nothing to record
    assert len(events(session, "access.denied")) == 1


def test_a_common_password_is_refused_on_the_account_page_saying_why(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, username="lars.lund", display_name="Lars Lund")
    token = sign_in(client, user.username)
    for new, words in (
        ("password123", "blandt de mest brugte adgangskoder"),
        ("lars.lund2026", "bygget af brugernavnet eller navnet"),
    ):
        response = client.post(
            "/account/password",
            headers={"X-CSRF-Token": token},
            data={"current_password": PASSWORD, "new_password": new, "repeat_password": new},
        )
        assert response.status_code == 422
        said = parse(response.text).select_one("#password-error")
        assert said is not None and words in said.get_text()
    session.refresh(user)
    assert verify_password(user.password_hash or "", PASSWORD), "nothing changed"
