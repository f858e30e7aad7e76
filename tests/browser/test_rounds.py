"""The yearly measurement on a tablet: the demo's Aarhus leader fills in the team's part
by touch (each field group saved as it is left, a figure in the wrong unit refused beside
it and corrected), submits it, and the ambassador then adjusts a point and confirms the
status; the team's part filled in offline, kept through a reload, sent once the network
is back, and submitted only then; every round page passes axe in both languages."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from app.db.engines import create_db_engine
from app.models import (
    ImplementationRating,
    MeasurementRound,
    Rating,
    ScaleVersion,
    Team,
    TeamFigure,
    User,
)
from tests.browser.conftest import TABLET, sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_offline import ready, waiting
from tests.conftest import settings_for

pytestmark = pytest.mark.browser
_YEARS = itertools.count(2040)


@pytest.fixture
def forgiving_tablet(browser: Browser) -> Iterator[Page]:
    """A tablet that fails the test on script errors and CSP violations, but leaves a
    refused save's 4xx to the test, which checks what the page says about it."""
    context = browser.new_context(
        viewport=TABLET, has_touch=True, is_mobile=True, device_scale_factor=1, locale="da-DK"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield page
    context.close()
    assert errors == [], errors


def _fresh_round(database: str, team_name: str) -> int:
    """A round of its own for the test (the demo's rounds are left as they are)."""
    engine = create_db_engine(settings_for(database))
    try:
        with Session(engine) as session:
            team = session.exec(select(Team).where(Team.name == team_name)).one()
            instrument = session.exec(  # the published one (the panel's drafts aside)
                select(ScaleVersion).where(
                    ScaleVersion.kind == "implementation", ScaleVersion.status == "published"
                )
            ).one()
            measurement = MeasurementRound(
                team_id=team.id or 0,
                year=next(_YEARS),
                instrument_id=instrument.id or 0,
                deadline=date.today() + timedelta(days=14),
            )
            session.add(measurement)
            session.commit()
            return measurement.id or 0
    finally:
        engine.dispose()


def _stored(
    database: str, round_id: int
) -> tuple[MeasurementRound, dict[str, int | None], dict[str, float | None]]:
    engine = create_db_engine(settings_for(database))
    try:
        with Session(engine) as session:
            measurement = session.get(MeasurementRound, round_id)
            assert measurement is not None
            points = {
                r.item_key: r.level
                for r in session.exec(
                    select(ImplementationRating).where(
                        ImplementationRating.round_id == round_id,
                        ImplementationRating.rater == "team",
                    )
                )
            }
            figures = {
                f.input_key: f.value
                for f in session.exec(select(TeamFigure).where(TeamFigure.round_id == round_id))
            }
            return measurement, points, figures
    finally:
        engine.dispose()


def test_a_team_leader_fills_in_the_teams_part_on_a_tablet_and_submits_it(
    forgiving_tablet: Page, live_server: str, live_database: str
) -> None:
    page = forgiving_tablet
    round_id = _fresh_round(live_database, "IPS-team Aarhus")
    sign_in(page, live_server, "leder.aarhus")
    page.goto(f"{live_server}/rounds/{round_id}")
    page.get_by_role("link", name="Udfyld teamets del").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Teamets del: IPS-team Aarhus")
    ready(page)  # the outbox has taken the forms over

    point = page.locator("form#point-regional-agreement")
    point.get_by_label("Aftalen er forhandlet, men ikke underskrevet").tap()
    expect(point.locator(".save-state-region")).to_contain_text("Gemt")
    point.get_by_label("Hvad findes der").fill("Aftaleudkast sendt til psykiatrien i marts")
    point.get_by_label("Dokument (hvis der er et)").tap()  # leaving the text saves it
    expect(point.locator(".save-state-region")).to_contain_text("Gemt")
    page.locator("form#point-funding").get_by_role("radio", name="4 På plads", exact=True).tap()
    expect(page.locator("form#point-funding .save-state-region")).to_contain_text("Gemt")

    share = page.locator("form#figure-ips-time-share")
    share.get_by_label("Tal (%)").fill("85 timer")
    share.get_by_label("Bemærkning (valgfri)").tap()
    expect(share.locator(".save-state-region")).to_contain_text("skriv tallet i %")
    share.get_by_label("Tal (%)").fill("85")
    share.get_by_label("Bemærkning (valgfri)").tap()
    expect(share.locator(".save-state-region")).to_contain_text("Gemt")
    contacts = page.locator("form#figure-employer-contacts")
    contacts.get_by_label("Konsulent 1").fill("4,5")
    contacts.get_by_label("Konsulent 2").fill("6")
    contacts.get_by_label("Konsulent 3").tap()
    expect(contacts.locator(".save-state-region")).to_contain_text("Gemt")
    page.get_by_label("Implementeringsplan").tap()
    expect(page.locator("#state-documents")).to_contain_text("Gemt")
    assert violations(page) == []

    page.get_by_role("button", name="Indsend teamets del").tap()
    expect(page.locator("p.notice").first).to_contain_text("Teamets del er indsendt")
    measurement, points, figures = _stored(live_database, round_id)
    assert measurement.status == "submitted" and measurement.submitted_at is not None
    assert measurement.documents == ["implementation-plan"]
    assert points == {"regional-agreement": 3, "funding": 4}
    assert figures["ips-time-share"] == 85
    expect(page.locator("form#point-funding input[name=level]").first).to_be_disabled()


def test_the_ambassador_adjusts_a_point_and_confirms_the_status(
    anonymous_tablet: Page, live_server: str, live_database: str
) -> None:
    page = anonymous_tablet
    engine = create_db_engine(settings_for(live_database))
    with Session(engine) as session:  # the demo's København round waits for its assessment
        team = session.exec(select(Team).where(Team.name == "IPS-team København")).one()
        measurement = session.exec(
            select(MeasurementRound).where(
                MeasurementRound.team_id == team.id, MeasurementRound.year == 2026
            )
        ).one()
    engine.dispose()
    sign_in(page, live_server, "amb.hovedstaden")
    page.goto(f"{live_server}/rounds/{measurement.id}")
    page.get_by_role("link", name="Vurder implementeringsstatus").tap()
    page.wait_for_url(f"**/rounds/{measurement.id}/assessment")
    ready(page)  # the outbox has taken the forms over
    card = page.locator("#point-basic-training")
    expect(card.locator(".team-says")).to_be_visible()
    card.get_by_label("Ikke påbegyndt").tap()
    expect(card.locator(".save-state-region")).to_contain_text("Gemt")
    card.get_by_label("Ambassadørernes note").fill("Ingen kursusdage holdt endnu")
    card.get_by_label("Ambassadørernes note").press("Tab")
    expect(card.locator(".save-state-region")).to_contain_text("Gemt")
    assert violations(page) == []
    page.get_by_role("button", name="Bekræft implementeringsstatus").tap()
    expect(page.locator("p.notice").first).to_contain_text("bekræftet")
    expect(page.locator("#point-basic-training .differs-flag")).to_contain_text("ambassadørerne 1")


def test_the_teams_part_filled_in_offline_is_kept_and_sent_when_the_network_is_back(
    forgiving_tablet: Page, live_server: str, live_database: str
) -> None:
    page = forgiving_tablet
    round_id = _fresh_round(live_database, "IPS-team Aarhus")
    sign_in(page, live_server, "leder.aarhus")
    page.goto(f"{live_server}/rounds/{round_id}/team")
    ready(page)
    page.wait_for_function("() => document.documentElement.dataset.worker === 'ready'")
    page.wait_for_function(
        "async () => !!(await (await caches.open('ips-pages')).match(location.pathname))"
    )

    page.context.set_offline(True)
    expect(page.locator("#connection")).to_contain_text("Ingen forbindelse")
    point = page.locator("form#point-regional-agreement")
    point.get_by_label("Aftalen er forhandlet, men ikke underskrevet").tap()
    expect(point.locator(".save-state-region")).to_contain_text("Kun gemt på denne enhed")
    expect(point.locator(".save-state-region")).to_contain_text("Trin 3")
    point.get_by_label("Hvad findes der").fill("Udkast hos psykiatrien")
    point.get_by_label("Dokument (hvis der er et)").tap()
    expect(point.locator(".save-state-region")).to_contain_text("Udkast hos psykiatrien")
    fte = page.locator("form#figure-consultant-fte")
    fte.get_by_label("Tal (årsværk)").fill("4,5")
    fte.get_by_label("Bemærkning (valgfri)").tap()
    expect(fte.locator(".save-state-region")).to_contain_text("Tal 4,5")
    contacts = page.locator("form#figure-employer-contacts")
    contacts.get_by_label("Konsulent 1").fill("4,5")
    contacts.get_by_label("Konsulent 2").fill("6")
    contacts.get_by_label("Konsulent 3").tap()
    expect(contacts.locator(".save-state-region")).to_contain_text("Tal 4,5; 6")
    page.get_by_label("Implementeringsplan").tap()
    expect(page.locator("#state-documents")).to_contain_text("1 dokument valgt")
    expect(page.locator("#connection")).to_contain_text("6 ændringer venter på at blive sendt")
    assert waiting(page) == 6  # each field left is a change; the contacts twice

    # Submitting now would leave the changes behind: the page says so, nothing is sent.
    page.get_by_role("button", name="Indsend teamets del").tap()
    expect(page.locator("#submit .outbox-guard")).to_contain_text("ikke nået frem til serveren")
    measurement, points, figures = _stored(live_database, round_id)
    assert (measurement.status, points, figures) == ("open", {}, {})

    # Reloaded without a network: the device's copy of the page, every change on it.
    page.reload()
    ready(page)
    expect(page.locator("html")).to_have_attribute("data-page-source", "device")
    expect(point.locator("input[name=level]:checked")).to_have_value("3")
    expect(point.get_by_label("Hvad findes der")).to_have_value("Udkast hos psykiatrien")
    expect(fte.get_by_label("Tal (årsværk)")).to_have_value("4,5")
    expect(contacts.get_by_label("Konsulent 2")).to_have_value("6")
    expect(page.get_by_label("Implementeringsplan")).to_be_checked()

    # Online again: everything goes, once, and the part can be submitted.
    page.context.set_offline(False)
    for form in (point, fte, contacts):
        state = form.locator(".save-state-region")
        expect(state).to_contain_text("Gemt på serveren", timeout=15000)
    expect(page.locator("#state-documents")).to_contain_text("Gemt på serveren")
    expect(page.locator("#connection")).to_contain_text("Alle ændringer er gemt på serveren")
    assert waiting(page) == 0
    measurement, points, figures = _stored(live_database, round_id)
    assert points == {"regional-agreement": 3}
    assert figures["consultant-fte"] == 4.5 and figures["employer-contacts"] is None
    assert measurement.documents == ["implementation-plan"]
    page.get_by_role("button", name="Indsend teamets del").tap()
    expect(page.locator("p.notice").first).to_contain_text("Teamets del er indsendt")
    measurement, _, _ = _stored(live_database, round_id)
    assert measurement.status == "submitted"


def test_the_leader_and_a_consultant_on_one_point_see_each_others_value_and_choose(
    forgiving_tablet: Page, browser: Browser, live_server: str, live_database: str
) -> None:
    round_id = _fresh_round(live_database, "IPS-team Aarhus")
    leader = forgiving_tablet
    sign_in(leader, live_server, "leder.aarhus")
    leader.goto(f"{live_server}/rounds/{round_id}/team")
    ready(leader)
    other = browser.new_context(viewport=TABLET, has_touch=True, is_mobile=True, locale="da-DK")
    try:
        consultant = other.new_page()
        sign_in(consultant, live_server, "konsulent.aarhus")
        consultant.goto(f"{live_server}/rounds/{round_id}/team")
        ready(consultant)
        theirs = consultant.locator("form#point-funding")
        theirs.get_by_role("radio", name="2", exact=False).first.tap()
        theirs.get_by_label("Hvad findes der").fill("Kun til sommer")
        theirs.get_by_label("Dokument (hvis der er et)").tap()
        expect(theirs.locator(".save-state-region")).to_contain_text("Kun til sommer")
        expect(theirs.locator(".save-state-region")).to_contain_text("Gemt på serveren")
        fte = consultant.locator("form#figure-consultant-fte")
        fte.get_by_label("Tal (årsværk)").fill("3")
        fte.get_by_label("Bemærkning (valgfri)").tap()
        expect(fte.locator(".save-state-region")).to_contain_text("Gemt på serveren")
    finally:
        other.close()

    # The leader's page was fetched before: each change meets the consultant's.
    point = leader.locator("form#point-funding")
    point.get_by_role("radio", name="4 På plads", exact=True).tap()
    state = point.locator(".save-state-region")
    expect(state).to_contain_text("Punkt 6 er ændret af en anden")
    expect(state).to_contain_text("Gemt værdi: Trin 2 · Note: Kun til sommer")
    expect(state).to_contain_text("Din værdi: Trin 4")
    state.get_by_role("button", name="Brug den gemte").tap()
    expect(point.locator("input[name=level]:checked")).to_have_value("2")
    expect(point.get_by_label("Hvad findes der")).to_have_value("Kun til sommer")

    figure = leader.locator("form#figure-consultant-fte")
    figure.get_by_label("Tal (årsværk)").fill("4,5")
    figure.get_by_label("Bemærkning (valgfri)").tap()
    expect(figure.locator(".save-state-region")).to_contain_text("er ændret af en anden")
    expect(figure.locator(".save-state-region")).to_contain_text("Tal 3")
    figure.locator(".save-state-region").get_by_role("button", name="Behold min værdi").tap()
    expect(figure.locator(".save-state-region")).to_contain_text("Gemt på serveren")
    _, points, figures = _stored(live_database, round_id)
    assert points == {"funding": 2} and figures == {"consultant-fte": 4.5}


@contextmanager
def _saved(page: Page) -> Iterator[None]:
    """What is done inside is a change of the caseload item, sent and acknowledged."""
    with page.expect_response(
        lambda r: r.request.method == "PUT" and r.url.endswith("/ratings/caseload-size")
    ) as answer:
        yield
    assert answer.value.status == 200, answer.value.text()
    page.wait_for_function(
        """() => new Promise((resolve) => {
             const open = indexedDB.open('ips-fidelity');
             open.onsuccess = () => {
               const all = open.result.transaction('outbox').objectStore('outbox').count();
               all.onsuccess = () => resolve(all.result === 0);
             };
           })"""
    )


def test_a_reviewer_takes_the_teams_figure_and_then_overrides_it(
    anonymous_tablet: Page, live_server: str, live_database: str
) -> None:
    page = anonymous_tablet
    engine = create_db_engine(settings_for(live_database))
    try:
        with Session(engine) as session:  # the demo's København review is being scored
            team = session.exec(select(Team).where(Team.name == "IPS-team København")).one()
            measurement = session.exec(
                select(MeasurementRound).where(
                    MeasurementRound.team_id == team.id,
                    MeasurementRound.year == date.today().year,
                )
            ).one()
            theirs = session.exec(
                select(TeamFigure).where(
                    TeamFigure.round_id == measurement.id, TeamFigure.input_key == "caseload"
                )
            ).one()
            review_id, team_value = measurement.review_id, theirs.value
    finally:
        engine.dispose()
    assert review_id is not None and team_value is not None
    written = f"{team_value:g}".replace(".", ",")
    other = f"{team_value + 3:g}".replace(".", ",")

    sign_in(page, live_server, "amb.hovedstaden")
    page.goto(f"{live_server}/reviews/{review_id}/score")
    ready(page)
    card = page.locator("#item-caseload-size")
    box = card.locator(".team-figure")
    expect(box).to_contain_text("Teamets tal")
    expect(box).to_contain_text(f"Teamet har indberettet {written}")
    figure = card.locator("input[name=figure]")
    with _saved(page):
        figure.fill(other)
        figure.press("Tab")

    # The team's figure, taken with one tap: in the form, saved as the reviewer's.
    with _saved(page):
        box.get_by_role("button", name="Brug teamets tal").tap()
    expect(figure).to_have_value(written)
    expect(card.locator(".save-state")).to_contain_text("Gemt på serveren")
    page.reload()
    ready(page)
    expect(figure).to_have_value(written)
    expect(box.locator(".team-figure-state")).to_contain_text("Vurderingen bruger teamets tal")

    # Overridden: the reviewer's own figure stands beside the team's, both kept.
    with _saved(page):
        figure.fill(other)
        figure.press("Tab")
    page.reload()
    ready(page)
    expect(figure).to_have_value(other)
    expect(box.locator(".team-figure-state")).to_contain_text("et andet tal end teamets")
    engine = create_db_engine(settings_for(live_database))
    try:
        with Session(engine) as session:
            reviewer = session.exec(select(User).where(User.username == "amb.hovedstaden")).one()
            rating = session.exec(
                select(Rating).where(
                    Rating.review_id == review_id,
                    Rating.item_key == "caseload-size",
                    Rating.rater_id == reviewer.id,
                )
            ).one()
            kept = session.get(TeamFigure, theirs.id)
            assert rating.inputs == {"figure": team_value + 3}
            assert kept is not None and kept.value == team_value
    finally:
        engine.dispose()


def _demo_round(database: str, team_name: str, year: int) -> int:
    engine = create_db_engine(settings_for(database))
    try:
        with Session(engine) as session:
            team = session.exec(select(Team).where(Team.name == team_name)).one()
            found = session.exec(
                select(MeasurementRound.id).where(
                    MeasurementRound.team_id == team.id, MeasurementRound.year == year
                )
            ).one()
            return int(found or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize(
    ("username", "page_of"),
    [
        ("leder.aarhus", "/rounds/{aarhus}/team"),
        ("konsulent.aarhus", "/rounds/{aarhus}"),
        ("amb.midt", "/teams/{aarhus_team}/rounds/new"),
        ("amb.syd", "/rounds/{odense}/assessment"),
        ("analytiker.star", "/rounds/{odense}"),
        ("leder.kobenhavn", "/rounds/{copenhagen}/team"),
        ("leder.aarhus", "/teams/{aarhus_team}/consultants"),
    ],
)
def test_round_pages_have_no_wcag_violations(
    anonymous_tablet: Page,
    live_server: str,
    live_database: str,
    username: str,
    page_of: str,
    language: str,
) -> None:
    ids = {
        "aarhus": _demo_round(live_database, "IPS-team Aarhus", 2026),
        "odense": _demo_round(live_database, "IPS-team Odense", 2025),
        "copenhagen": _demo_round(live_database, "IPS-team København", 2025),
        "aarhus_team": _team_id(live_database, "IPS-team Aarhus"),
    }
    sign_in(anonymous_tablet, live_server, username)
    anonymous_tablet.goto(f"{live_server}{page_of.format(**ids)}?lang={language}")
    expect(anonymous_tablet.get_by_role("heading", level=1)).to_be_visible()
    assert violations(anonymous_tablet) == []


def _team_id(database: str, name: str) -> int:
    engine = create_db_engine(settings_for(database))
    try:
        with Session(engine) as session:
            return session.exec(select(Team.id).where(Team.name == name)).one() or 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_invitation_page_has_no_wcag_violations(
    anonymous_tablet: Page, live_server: str, live_database: str, language: str
) -> None:
    from app.services import access, invitations

    engine = create_db_engine(settings_for(live_database))
    with Session(engine) as session:
        team = session.exec(select(Team).where(Team.name == "IPS-team Aarhus")).one()
        leader = session.exec(select(User).where(User.username == "leder.aarhus")).one()
        _, token = invitations.invite(
            session,
            principal=access.principal_for(session, user=leader),
            team_id=team.id or 0,
            username=f"konsulent-{language}",
            display_name="Kim Kjær",
        )
        session.commit()
    engine.dispose()
    anonymous_tablet.goto(f"{live_server}/invitation/{token}?lang={language}")
    expect(anonymous_tablet.get_by_role("heading", level=1)).to_be_visible()
    assert violations(anonymous_tablet) == []
