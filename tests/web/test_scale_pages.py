"""The list of every scale and instrument version (issue 19's first step): what each
version is, where it stands and how much has been measured with it; drafts only for those
who may read them, and a draft's own page saying it is one."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import MeasurementRound, Review, Role, ScaleVersion, Team
from tests.factories import (
    make_instrument_version,
    make_review,
    make_scale_version,
    make_team,
    make_user,
)
from tests.web.signin import parse, sign_in


def _rows(html: str, table: str) -> list[list[str]]:
    page = parse(html)
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in page.select(f"table#{table} tbody tr")
    ]


def _world(session: Session) -> tuple[ScaleVersion, ScaleVersion, ScaleVersion]:
    published = make_scale_version(session)
    draft = make_scale_version(session, key="ips-lignende", version="2024", draft=True)
    instrument = make_instrument_version(session)
    team: Team = make_team(session)
    for year in (2024, 2025):
        make_review(session, team=team, visit_date=date(year, 3, 1), finalised=year == 2024)
        session.add(
            MeasurementRound(
                team_id=team.id or 0,
                year=year,
                instrument_id=instrument.id or 0,
                deadline=date(year, 2, 1),
            )
        )
    session.commit()
    return published, draft, instrument


def test_every_version_is_listed_with_its_status_and_how_much_was_measured_with_it(
    client: TestClient, session: Session
) -> None:
    published, draft, instrument = _world(session)
    sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)
    response = client.get("/scales")
    assert response.status_code == 200
    reviews = session.exec(
        select(func.count()).select_from(Review).where(Review.scale_version_id == published.id)
    ).one()
    assert reviews == 2  # one finalised, one being scored: only the first counts
    fidelity = _rows(response.text, "fidelity-versions")
    assert [row[1:4] for row in fidelity] == [
        ["2019", "offentliggjort", "25"],
        ["2024", "kladde under arbejde", str(draft.item_count)],
    ]
    assert fidelity[0][5] == "1 review" and fidelity[1][5] == "0 reviews"
    assert fidelity[0][4].startswith("registreret ") and "offentliggjort" in fidelity[0][4]
    page = parse(response.text)
    links = [a["href"] for a in page.select("table#fidelity-versions tbody th a")]
    assert links == ["/scales/ips-25/2019", "/scales/ips-lignende/2024"]
    files = [a["href"] for a in page.select("table#fidelity-versions tbody td a[download]")]
    assert files == ["/scales/ips-25/2019/file", "/scales/ips-lignende/2024/file"]
    assert "Kladder er også med" in page.select_one("main .hint").get_text()  # type: ignore[union-attr]
    [row] = _rows(response.text, "instrument-versions")
    assert row[1:4] == ["2026", "offentliggjort", str(instrument.item_count)]
    assert row[5] == "0 målinger"  # neither round is confirmed yet
    nav = page.select_one('nav.main-nav a[href="/scales"]')
    assert nav is not None and nav.get("aria-current") == "page"

    english = _rows(client.get("/scales?lang=en").text, "fidelity-versions")
    assert english[1][2] == "draft being worked on" and english[0][5] == "1 review"


def test_a_draft_is_shown_as_one_to_an_ambassador_and_to_nobody_else(
    client: TestClient, session: Session
) -> None:
    _world(session)
    sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)
    page = parse(client.get("/scales/ips-lignende/2024").text)
    notice = page.select_one("main p.notice")
    assert notice is not None and "Denne version er en kladde" in notice.get_text()
    client.cookies.clear()

    for role in (Role.TEAM_LEADER, Role.ANALYST, Role.CONSULTANT):
        team = make_team(session)
        user = make_user(session, role=role, teams=(team,) if role != Role.ANALYST else ())
        sign_in(client, user.username)
        response = client.get("/scales")
        listed = _rows(response.text, "fidelity-versions")
        assert [row[1] for row in listed] == ["2019"], role
        # The counts are national figures: a team's own people do not get them.
        headers = [th.get_text(strip=True) for th in parse(response.text).select(
            "table#fidelity-versions thead th"
        )]  # fmt: skip
        assert ("Målt med den" in headers) == (role == Role.ANALYST), role
        assert client.get("/scales/ips-lignende/2024").status_code == 404, role
        assert client.get("/scales/ips-25/2019").status_code == 200, role
        client.cookies.clear()


def test_two_versions_compared_on_a_page_with_the_changed_words_marked(
    client: TestClient, session: Session
) -> None:
    _world(session)
    sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)
    form = parse(client.get("/scales/compare").text)
    options = [o["value"] for o in form.select("select#compare-before option") if o["value"]]
    # the draft too, for an ambassador; and the instrument, compared with its own versions
    assert options == ["ips-25:2019", "ips-lignende:2024", "implementeringsstatus:2026"]
    assert form.select_one('label[for="compare-after"]') is not None
    assert form.select_one("#compare-summary") is None

    response = client.get("/scales/compare?before=ips-25:2019&after=ips-lignende:2024")
    assert response.status_code == 200
    page = parse(response.text)
    summary = {
        div.dt.get_text(strip=True): div.dd.get_text(strip=True)
        for div in page.select("#compare-summary > div")
        if div.dt and div.dd
    }
    assert summary["Items tilføjet"] == "2" and summary["Items fjernet"] == "2"
    added = page.select_one("#change-collaboration-treatment-provider-contact .flag")
    assert added is not None and added.get_text(strip=True) == "tilføjet"
    remapped = page.select_one("#change-caseworker-collaboration")
    said = remapped.get_text(" ", strip=True) if remapped else ""
    assert "Principper 3. IPS er integreret med den psykiatriske behandling før" in said
    marked = page.select("#change-zero-exclusion-criteria .diff ins")
    assert marked and all(m.select_one(".visually-hidden") for m in marked)
    assert page.select("#change-zero-exclusion-criteria .diff del")

    english = parse(client.get("/scales/compare?before=ips-25:2019&after=ips-25:2019&lang=en").text)
    assert english.select_one("main .empty").get_text(strip=True) == (  # type: ignore[union-attr]
        "Every item is the same in both versions."
    )


def test_a_draft_cannot_be_compared_by_those_who_may_not_see_it(
    client: TestClient, session: Session
) -> None:
    _world(session)
    sign_in(client, make_user(session, role=Role.ANALYST).username)
    form = parse(client.get("/scales/compare").text)
    options = [o["value"] for o in form.select("select#compare-before option") if o["value"]]
    assert options == ["ips-25:2019", "implementeringsstatus:2026"]
    refused = client.get("/scales/compare?before=ips-25:2019&after=ips-lignende:2024")
    assert refused.status_code == 404
    assert client.get("/scales/compare?before=nonsense&after=ips-25:2019").status_code == 404


def test_two_instrument_versions_are_compared_and_a_scale_is_not_compared_with_one(
    client: TestClient, session: Session
) -> None:
    from app.services import workshop
    from app.services.access import Principal

    *_, base = _world(session)
    draft = workshop.start_draft(session, principal=Principal.system(), base=base, version="2027")
    data = draft.definition
    data["elements"][0]["items"][0]["title"]["da"] = "Alle arbejder efter principperne"
    data["team_inputs"][0]["maximum"] = 50
    saved = workshop.save(
        session, principal=Principal.system(), row=draft, data=data, revision=draft.revision
    )
    assert isinstance(saved, type(draft))
    session.commit()
    sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)
    listed = parse(client.get("/scales").text)
    link = listed.select_one(
        "a[href='/scales/compare?before=implementeringsstatus:2026&after=implementeringsstatus:2027']"
    )
    assert link is not None and link.get_text(" ", strip=True).startswith("Ændringer fra 2026")
    firsts = [td.get_text(strip=True) for td in listed.select("td .meta")]
    assert (
        firsts.count("Første version") == 3
    )  # ips-25 2019, ips-lignende 2024, the 2026 instrument
    form = parse(client.get("/scales/compare").text)
    groups = [g["label"] for g in form.select("select#compare-before optgroup")]
    assert groups == ["Fidelitetsskalaer", "Implementeringsstatus"]
    page = parse(
        client.get(
            "/scales/compare?before=implementeringsstatus:2026&after=implementeringsstatus:2027"
        ).text
    )
    summary = page.select_one("#compare-summary").get_text(" ", strip=True)
    assert "Omformuleret 1" in summary and "Scores anderledes" not in summary
    assert "Punkter tilføjet 0" in summary and "Items" not in summary
    assert page.select_one("#items-heading").get_text() == "De punkter, der er forskellige"
    parts = page.select_one("#compare-parts").get_text(" ", strip=True)
    assert parts.startswith("Teamets tal") and data["team_inputs"][0]["key"] in parts
    change = page.select_one("#change-staff-work-by-principles")
    assert change is not None and change.select(".diff ins")
    refused = client.get("/scales/compare?before=ips-25:2019&after=implementeringsstatus:2026")
    assert refused.status_code == 422
    assert "samme slags" in parse(refused.text).select_one("#compare-error").get_text()
