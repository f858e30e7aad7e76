"""The exports through the API and the national page: the workbook's numbers equal the
database's, CSV with a byte order mark and ";" round-trips through Python's csv module,
an item of one scale version keeps its column in a mixed export, nothing in progress is
ever exported, every export is audited, and bad filters answer 422 naming what is allowed."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import unquote

import openpyxl
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import PROJECT_ROOT
from app.models import AuditEvent, ProgramType, RaterKind, Rating, Review, Role
from app.services import synthetic
from tests.factories import make_team, make_user
from tests.services.test_profiles import finalised, in_progress
from tests.web.signin import parse, sign_in


def mixed_reviews(session: Session) -> tuple[Review, Review]:
    """An IPS-25 review of a Copenhagen team (one item at 2.5, one not rated) and an
    IPS-lignende review of an Odense team, both finalised in 2025, and one in progress."""
    copenhagen = make_team(session, name="IPS-team København Ø", municipalities=(101,))
    odense = make_team(session, municipalities=(461,), program_type=ProgramType.IPS_LIGNENDE)
    ips = finalised(
        session, copenhagen, date(2025, 5, 1), {"caseload-size": 2.5, "disclosure": None}, default=4
    )
    lignende = finalised(
        session, odense, date(2025, 3, 1), {}, default=5, key="ips-lignende", version="2024"
    )
    later = in_progress(session, ips, date(2026, 2, 1))
    session.add(
        Rating(review_id=later.id or 0, item_key="disclosure", rater_kind="consensus", score=1)
    )
    session.commit()
    return ips, lignende


def analyst(client: TestClient, session: Session) -> None:
    sign_in(client, make_user(session, role=Role.ANALYST).username)


def read_csv(body: bytes, sep: str) -> list[list[str]]:
    assert body.startswith("\ufeff".encode()), "no byte order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=sep))


def test_the_workbook_holds_what_the_database_holds(client: TestClient, session: Session) -> None:
    ips, lignende = mixed_reviews(session)
    analyst(client, session)

    response = client.get("/national/workbook.xlsx", params={"labels": "keys"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Reviews",
        "Scorer",
        "Målinger",
        "Implementeringsvurderinger",
        "Resultater",
        "Items",
        "Filtre",
    ]
    reviews = [list(row) for row in book["Reviews"].iter_rows(values_only=True)]
    header, rows = (
        reviews[0],
        {row[0]: dict(zip(reviews[0], row, strict=True)) for row in reviews[1:]},
    )
    assert set(rows) == {ips.id, lignende.id}  # the review in progress is not there
    for review in (ips, lignende):
        session.refresh(review)
        assert rows[review.id]["total"] == review.total_score
        assert rows[review.id]["level"] == review.level_key
        stored = dict(
            session.exec(
                select(Rating.item_key, Rating.score).where(
                    Rating.review_id == review.id, Rating.rater_kind == RaterKind.CONSENSUS
                )
            ).all()
        )
        for key, score in stored.items():
            assert rows[review.id][f"item:{key}"] == score
    assert rows[ips.id]["team"] == "IPS-team København Ø"
    assert rows[ips.id]["regions"] == "Region Hovedstaden"
    # The item only IPS-lignende has keeps its column; an IPS-25 review has it empty.
    assert "item:collaboration-treatment-provider-contact" in header
    assert "item:integration-team-contact" in header
    assert rows[ips.id]["item:collaboration-treatment-provider-contact"] is None
    assert rows[lignende.id]["item:collaboration-treatment-provider-contact"] == 5
    assert rows[lignende.id]["item:integration-team-contact"] is None
    ratings = list(book["Scorer"].iter_rows(values_only=True))
    assert len(ratings) == 1 + 2 * 25
    assert ratings[0][:3] == ("review_id", "team_id", "team")
    items = list(book["Items"].iter_rows(values_only=True))
    assert items[[row[0] for row in items].index("item:collaboration-treatment-provider-contact")][
        :3
    ] == ("item:collaboration-treatment-provider-contact", "ips-lignende", "2024")
    filters = dict(row[:2] for row in book["Filtre"].iter_rows(values_only=True) if row[0])
    assert filters["År"] == "alle" and filters["Filter"] == "Valgt"
    assert "1.048.576 rækker" in str(list(book["Filtre"].iter_rows(values_only=True))[-1][0])


def test_the_workbook_speaks_the_readers_language(client: TestClient, session: Session) -> None:
    ips, lignende = mixed_reviews(session)
    analyst(client, session)

    danish = openpyxl.load_workbook(io.BytesIO(client.get("/national/workbook.xlsx").content))
    english = openpyxl.load_workbook(
        io.BytesIO(client.get("/national/workbook.xlsx", params={"lang": "en"}).content)
    )

    assert english.sheetnames == [
        "Reviews",
        "Ratings",
        "Measurements",
        "Implementation ratings",
        "Outcomes",
        "Items",
        "Filters",
    ]
    rows = list(danish["Reviews"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("Review-nr.", "Team-nr.", "Team", "Målgruppe")
    assert "Sektion Bemanding" in header and "Item 1. Sagsstammens størrelse" in header
    found = dict(zip(header, next(r for r in rows[1:] if r[0] == ips.id), strict=True))
    assert found["Niveau"] is None  # an item not rated: no level
    assert found["Målgruppe"] == "IPS" and found["Besøgsdato"].date() == date(2025, 5, 1)
    other = dict(zip(header, next(r for r in rows[1:] if r[0] == lignende.id), strict=True))
    assert other["Niveau"] == "Eksemplarisk" and other["Målgruppe"] == "IPS-lignende indsats"
    assert "1,048,576 rows" in str(list(english["Filters"].iter_rows(values_only=True))[-1][0])
    rated = list(english["Ratings"].iter_rows(values_only=True))
    assert rated[0][-4:] == ("Rated by", "Rater", "Score", "Not rated because")
    assert {row[-4] for row in rated[1:]} == {"consensus"}


def test_csv_with_a_byte_order_mark_and_semicolons_round_trips(
    client: TestClient, session: Session
) -> None:
    ips, _ = mixed_reviews(session)
    analyst(client, session)

    response = client.get(
        "/api/v1/exports/ratings", params={"format": "csv", "scale": "ips-25", "labels": "keys"}
    )

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="scorer-ips-25.csv"' in response.headers["content-disposition"]
    rows = read_csv(response.content, ";")
    header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[-3:] == ["rater", "score", "not_rated_reason"]
    assert len(body) == 25 and {row["review_id"] for row in body} == {str(ips.id)}
    by_item = {row["item_key"]: row for row in body}
    assert by_item["caseload-size"]["score"] == "2,5"  # a decimal comma, for Danish Excel
    assert by_item["employment-services-staff"]["score"] == "4"
    assert by_item["disclosure"]["score"] == ""
    assert by_item["disclosure"]["not_rated_reason"] == "Kunne ikke belyses"
    assert by_item["caseload-size"]["team"] == "IPS-team København Ø"
    assert by_item["caseload-size"]["rater"] == "consensus"

    comma = client.get(
        "/api/v1/exports/reviews", params={"format": "csv", "sep": ",", "labels": "keys"}
    )
    wide = read_csv(comma.content, ",")
    row = dict(zip(wide[0], wide[1 + [r[0] for r in wide[1:]].index(str(ips.id))], strict=True))
    assert (
        row["item:caseload-size"] == "2.5"
        and row["item:collaboration-treatment-provider-contact"] == ""
    )


def test_json_is_the_default_and_says_what_it_holds(client: TestClient, session: Session) -> None:
    ips, lignende = mixed_reviews(session)
    analyst(client, session)

    found = client.get("/api/v1/exports/reviews", params={"year": "2025"}).json()

    assert found["export"] == "reviews" and found["filters"] == {"year": "2025"}
    assert [row["review_id"] for row in found["rows"]] == [ips.id, lignende.id]
    assert found["rows"][0]["item:caseload-size"] == 2.5
    assert found["rows"][0]["visit_date"] == "2025-05-01"
    assert list(found["rows"][0]) == found["columns"]


def test_an_export_with_nothing_to_export_is_its_header_and_the_page_says_so(
    client: TestClient, session: Session
) -> None:
    mixed_reviews(session)
    analyst(client, session)

    response = client.get("/api/v1/exports/reviews", params={"format": "csv", "year": "2019"})

    rows = read_csv(response.content, ";")
    assert len(rows) == 1 and rows[0][0] == "Review-nr."
    page = parse(client.get("/national", params={"year": "2019"}).text)
    assert page.select_one("#export-empty") is not None


def test_every_export_is_audited_with_who_and_what(client: TestClient, session: Session) -> None:
    mixed_reviews(session)
    user = make_user(session, role=Role.ANALYST)
    sign_in(client, user.username)

    client.get("/api/v1/exports/ratings", params={"format": "csv", "region": "1084", "sep": ","})

    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all()
    assert event.actor_id == user.id and event.entity_id == "ratings"
    assert event.after == {
        "export": "ratings",
        "format": "csv",
        "separator": ",",
        "labels": "words",
        "region": "1084",
    }


def test_bad_filters_are_refused_naming_the_allowed_values(
    client: TestClient, session: Session
) -> None:
    mixed_reviews(session)
    analyst(client, session)

    region = client.get("/api/v1/exports/reviews", params={"region": "Fyn"})
    assert region.status_code == 422
    assert "1083 (Region Syddanmark)" in region.json()["detail"]
    program = client.get("/api/v1/exports/ratings", params={"program_type": "IPS"})
    assert program.status_code == 422 and "ips, ips_lignende" in program.json()["detail"]
    fmt = client.get("/api/v1/exports/ratings", params={"format": "pdf"})
    assert fmt.status_code == 422 and "'json', 'csv' or 'xlsx'" in fmt.json()["detail"]
    page = client.get("/national", params={"scale": "ips-26"})
    assert page.status_code == 422 and "ips-25/2019" in parse(page.text).get_text()
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all() == []
    )


def test_only_analysts_and_administrators_export(client: TestClient, session: Session) -> None:
    mixed_reviews(session)
    sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)
    for path in ("/api/v1/exports/reviews", "/api/v1/exports/ratings", "/national/workbook.xlsx"):
        refused = client.get(path, params={"format": "csv"})
        assert refused.status_code == 403 and "Review-nr." not in refused.text
    page = parse(client.get("/national").text)
    assert page.select_one("section.exports") is None
    assert (
        session.exec(select(AuditEvent).where(AuditEvent.action == "export.downloaded")).all() == []
    )


def test_a_large_export_is_streamed_in_chunks(client: TestClient, session: Session) -> None:
    synthetic.add_synthetic_reviews(session, count=200, scales_dir=PROJECT_ROOT / "scales")
    session.commit()
    analyst(client, session)

    with client.stream("GET", "/api/v1/exports/ratings", params={"format": "csv"}) as response:
        chunks = list(response.iter_raw())

    assert len(chunks) >= 3  # 5000 rows go out in pieces as they are read
    rows = read_csv(b"".join(chunks), ";")
    assert len(rows) == 1 + 200 * 25
    stored = session.exec(
        select(col(Rating.id)).join(Review, col(Review.id) == col(Rating.review_id))
    ).all()
    assert len(stored) == 200 * 25


def test_a_control_character_in_a_reason_does_not_break_the_workbook(
    client: TestClient, session: Session
) -> None:
    ips, _ = mixed_reviews(session)
    rating = session.exec(
        select(Rating).where(Rating.review_id == ips.id, Rating.item_key == "disclosure")
    ).one()
    rating.not_rated_reason = "Kunne ikke\x0bbelyses"  # a vertical tab, pasted from Word
    session.add(rating)
    session.commit()
    analyst(client, session)

    response = client.get("/api/v1/exports/ratings", params={"format": "xlsx"})

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    reasons = [row[-1] for row in book["Scorer"].iter_rows(values_only=True) if row[-1]]
    assert "Kunne ikkebelyses" in reasons


def test_a_download_the_client_abandons_closes_its_cursor() -> None:
    """Starlette drops a streamed body's generator without closing it when the client
    goes away; the export's response closes it, so its read transaction ends at once."""
    import asyncio

    from starlette.requests import ClientDisconnect

    from app.web.downloads import ClosingStreamingResponse

    closed = []

    def body() -> Iterator[bytes]:
        try:
            while True:
                yield b"row\r\n" * 1000
        finally:
            closed.append(True)

    async def receive() -> dict[str, object]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    sent = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)
        if len(sent) == 3:
            raise OSError("the client went away")

    response = ClosingStreamingResponse(body(), media_type="text/csv")
    scope = {"type": "http", "asgi": {"spec_version": "2.4"}, "method": "GET"}
    raised: list[BaseException] = []

    def serve() -> None:  # a loop of its own: the browser tests leave one running here
        try:
            asyncio.run(response(scope, receive, send))  # type: ignore[arg-type]
        except BaseException as error:  # noqa: BLE001 (the test looks at it below)
            raised.append(error)

    worker = threading.Thread(target=serve)
    worker.start()
    worker.join(timeout=30)
    assert len(raised) == 1 and isinstance(raised[0], ClientDisconnect)
    assert closed == [True]


def test_a_day_people_read_is_a_day_in_copenhagen(client: TestClient, session: Session) -> None:
    """A review finalised at 00:30 in Copenhagen (23:30 UTC the day before) was finalised
    on the Copenhagen day, in every format."""
    ips, _ = mixed_reviews(session)
    ips.finalised_at = datetime(2025, 5, 20, 22, 30, tzinfo=UTC)  # 00:30 on 21 May, summer
    session.add(ips)
    session.commit()
    analyst(client, session)

    found = client.get("/api/v1/exports/reviews").json()["rows"]
    csv_rows = read_csv(
        client.get("/api/v1/exports/reviews", params={"format": "csv"}).content, ";"
    )
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/api/v1/exports/reviews", params={"format": "xlsx"}).content)
    )

    assert next(r for r in found if r["review_id"] == ips.id)["finalised_on"] == "2025-05-21"
    by_id = {row[0]: dict(zip(csv_rows[0], row, strict=True)) for row in csv_rows[1:]}
    assert by_id[str(ips.id)]["Afsluttet den"] == "2025-05-21"
    sheet = list(book["Reviews"].iter_rows(values_only=True))
    cell = dict(zip(sheet[0], next(r for r in sheet[1:] if r[0] == ips.id), strict=True))
    assert cell["Afsluttet den"].date() == date(2025, 5, 21)


def test_a_download_is_named_short_with_danish_letters_intact() -> None:
    from app.web.downloads import attachment

    long_name = "IPS-team " + "Ærø Åbenrå Østerbro " * 20
    header = attachment([long_name, "2026-03-01", "rapport"], "pdf")

    plain = header.split('filename="')[1].split('"')[0]
    utf8 = unquote(header.split("filename*=UTF-8''")[1])
    assert utf8.startswith("IPS-team Ærø Åbenrå Østerbro") and utf8.endswith(".pdf")
    assert len(utf8) <= 80 and plain.isascii() and len(plain) <= 90
    assert plain.startswith("IPS-team-Aeroe-Aabenraa")


def test_a_download_that_fails_halfway_does_not_look_complete() -> None:
    """When the rows stop with an error after the download has begun, the server ends
    the response without its last chunk: the browser reports a failed download instead
    of saving a shorter file that opens."""
    import http.client
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route

    from app.web.downloads import ClosingStreamingResponse

    def rows() -> Iterator[bytes]:
        yield b"\xef\xbb\xbfreview_id;score\r\n"
        for number in range(3):
            yield f"{number};4\r\n".encode() * 1000
        raise RuntimeError("the database went away")

    async def export(request: object) -> ClosingStreamingResponse:
        return ClosingStreamingResponse(rows(), media_type="text/csv")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = Starlette(routes=[Route("/export.csv", export)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.05)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/export.csv")
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("transfer-encoding") == "chunked"
        try:
            response.read()
        except http.client.IncompleteRead as error:
            assert len(error.partial) > 3000  # what came before the failure
        else:
            raise AssertionError("a broken download was delivered as complete")
        finally:
            connection.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_workbook_cut_short_does_not_open() -> None:
    """A workbook's table of contents is written last, so a download that breaks off
    never leaves a file a spreadsheet opens as if it were whole."""
    import zipfile

    import pytest

    from app.services import xlsx

    rows = ([n, f"Team {n}", 3.5] for n in range(20_000))
    chunks = list(xlsx.stream([xlsx.Sheet("Reviews", ["id", "team", "score"], rows)]))
    whole = b"".join(chunks)
    assert openpyxl.load_workbook(io.BytesIO(whole))["Reviews"].max_row == 20_001
    with pytest.raises(zipfile.BadZipFile):
        openpyxl.load_workbook(io.BytesIO(b"".join(chunks[:-1])))
