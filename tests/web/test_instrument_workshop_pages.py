"""The workshop's forms for an implementation-status instrument (issue 19): a panel member
changes the status bands, the ladder and the team's figures of a draft, changes, moves,
adds and removes points, sees each problem beside its field and a conflict instead of an
overwrite; nobody edits a published instrument. Asserted on the parsed pages and on what
the database holds."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEvent, Role, ScaleVersion
from app.scales.implementation import ImplementationDefinition
from app.services import scales as scale_service
from tests.factories import make_instrument_version, make_scale_version, make_user
from tests.web.signin import parse, sign_in
from tests.web.test_workshop_pages import _form_fields as form_fields_of
from tests.web.test_workshop_pages import _item_form as form_fields

KEY, VERSION = "implementeringsstatus", "2027"
PAGE = f"/scales/{KEY}/{VERSION}"


def _draft(client: TestClient, session: Session, name: str = "Birgitte Bjerg") -> str:
    """A panel member signed in, with a draft of the shipped instrument started."""
    make_instrument_version(session)
    csrf = sign_in(client, make_user(session, role=Role.PANEL_MEMBER, display_name=name).username)
    response = client.post(
        "/scales/drafts",
        data={"csrf_token": csrf, "base": f"{KEY}:2026", "version": VERSION},
        follow_redirects=False,
    )
    assert response.headers["location"] == PAGE
    return csrf


def _stored(session: Session) -> tuple[ScaleVersion, ImplementationDefinition]:
    session.expire_all()
    row = scale_service.find_scale_version(session, key=KEY, version=VERSION)
    assert row is not None
    return row, scale_service.instrument_of(row)


def test_the_instrument_form_saves_the_status_bands_and_a_new_document_and_shows_problems(
    client: TestClient, session: Session
) -> None:
    _draft(client, session)
    page = parse(client.get(PAGE).text)
    link = page.select_one(f"#workshop a[href='{PAGE}/instrument']")
    assert link is not None and link.get_text(strip=True) == "Rediger instrumentet"

    posted = form_fields(client, f"{PAGE}/instrument")
    assert posted["status-bands-1-min"] == ["2"]
    assert posted["ladder-3-da"] == ["Delvist på plads"]
    posted["status-bands-1-min"] = ["2,3"]  # leaves 2.0-2.2 to no status
    response = client.post(f"{PAGE}/instrument", data=posted)
    assert response.status_code == 422
    page = parse(response.text)
    field = page.select_one("#f-status-bands-1-min")
    assert field is not None and field["aria-invalid"] == "true"
    assert field["value"] == "2,3"  # what was typed stays
    assert "gap between status bands" in page.select_one("#problem-status-bands-1-min").get_text()
    assert page.select_one("#form-problems") is not None
    posted["ladder-5-en"] = [""]
    page = parse(client.post(f"{PAGE}/instrument", data=posted).text)
    assert page.select_one("#f-ladder-5-en")["aria-invalid"] == "true"
    row, _ = _stored(session)
    assert row.revision == 1  # nothing stored

    posted["status-bands-1-min"] = ["2,0"]
    posted["status-bands-1-max"] = ["3,2"]
    posted["status-bands-2-min"] = ["3.3"]
    posted["ladder-5-en"] = ["In place and reviewed"]
    spare = f"documents-{len(_stored(session)[1].documents)}"
    posted[f"{spare}-key"] = ["handlingsplan"]
    posted[f"{spare}-title-da"] = ["Kommunens handlingsplan for IPS"]
    posted[f"{spare}-title-en"] = ["The municipality's IPS action plan"]
    response = client.post(f"{PAGE}/instrument", data=posted, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?saved=1"
    row, instrument = _stored(session)
    assert row.revision == 2
    assert [(band.min, band.max) for band in instrument.status.bands][1:3] == [
        (2.0, 3.2),
        (3.3, 4.4),
    ]
    assert instrument.ladder[5].en == "In place and reviewed"
    assert instrument.documents[-1].key == "handlingsplan"
    page = parse(client.get(PAGE).text)  # the page shows what the panel changed
    bands = [row.get_text(" ", strip=True) for row in page.select("#status-heading + table tr")]
    assert "Undervejs 2,0–3,2" in bands
    assert (
        page.select_one("#document-handlingsplan").get_text() == "Kommunens handlingsplan for IPS"
    )
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "scale_version.edited")
    ).all()
    assert [event.entity_id for event in events] == [str(row.id)]


def test_a_point_is_changed_moved_added_and_removed_with_the_points_renumbered(
    client: TestClient, session: Session
) -> None:
    csrf = _draft(client, session)
    _, before = _stored(session)
    first = before.elements[0].items[0]
    edit = parse(client.get(PAGE).text).select_one(
        f"#workshop-{first.key} a[href='{PAGE}/points/{first.key}']"
    )
    assert edit is not None and edit.get_text(strip=True) == "Rediger punkt 1"

    posted = form_fields(client, f"{PAGE}/points/{first.key}")
    assert posted["element"] == [before.elements[0].key]
    posted["title-da"] = ["Principperne er skrevet ned og kendt af alle"]
    posted["element"] = [before.elements[-1].key]
    posted["levels-3-da"] = ["Der findes et udkast"]  # its English left out
    response = client.post(f"{PAGE}/points/{first.key}", data=posted)
    assert response.status_code == 422
    page = parse(response.text)
    assert page.select_one("#f-levels-3-en")["aria-invalid"] == "true"
    assert page.select_one("#f-levels-3-da")["value"] == "Der findes et udkast"

    posted["levels-3-en"] = ["A draft exists"]
    response = client.post(f"{PAGE}/points/{first.key}", data=posted, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?saved=1#workshop-{first.key}"
    _, moved = _stored(session)
    assert moved.element_of(first.key).key == before.elements[-1].key
    point = moved.item(first.key)
    assert point.number == len(before.items)  # last of the last element
    assert point.title.da == "Principperne er skrevet ned og kendt af alle"
    assert moved.step_text(point, 3).en == "A draft exists"
    assert moved.step_text(point, 2) == first.levels[2]  # type: ignore[index]
    assert [item.number for item in moved.items] == list(range(1, len(before.items) + 1))

    new = form_fields(client, f"{PAGE}/points/new?element={before.elements[1].key}")
    assert new["element"] == [before.elements[1].key]
    new |= {
        "key": ["new"],
        "title-da": ["Fælles sagsgennemgang"],
        "title-en": ["Shared case review"],
        "description-da": ["Teamet gennemgår sagerne sammen hver måned."],
        "description-en": ["The team reviews its cases together every month."],
        "program_types": ["ips"],
    }
    response = client.post(f"{PAGE}/points/new", data=new)
    assert response.status_code == 422  # a key the pages use themselves
    assert "kept for the workshop" in parse(response.text).select_one("#problem-key").get_text()
    new["key"] = [before.items[-1].key]  # a point after the new one's place has it
    response = client.post(f"{PAGE}/points/new", data=new)
    assert response.status_code == 422
    page = parse(response.text)
    assert page.select_one("#f-key")["aria-invalid"] == "true"
    assert "allerede nøglen" in page.select_one("#problem-key").get_text()
    new["key"] = ["faelles-sagsgennemgang"]
    response = client.post(f"{PAGE}/points/new", data=new, follow_redirects=False)
    assert response.status_code == 303
    _, added = _stored(session)
    point = added.item("faelles-sagsgennemgang")
    assert added.element_of(point.key).key == before.elements[1].key
    assert point.program_types == ["ips"]
    assert point.number == len(before.elements[0].items) - 1 + len(before.elements[1].items) + 1

    row, _ = _stored(session)
    response = client.post(
        f"{PAGE}/points/faelles-sagsgennemgang/remove",
        data={"csrf_token": csrf, "revision": str(row.revision)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    _, removed = _stored(session)
    assert "faelles-sagsgennemgang" not in {item.key for item in removed.items}
    assert [item.number for item in removed.items] == list(range(1, len(before.items) + 1))


def test_a_point_that_is_its_elements_last_is_not_removed_and_an_unknown_element_is_named(
    client: TestClient, session: Session
) -> None:
    csrf = _draft(client, session)
    _, instrument = _stored(session)
    *others, point = instrument.elements[0].items
    for other in others:
        row, _ = _stored(session)
        data = {"csrf_token": csrf, "revision": str(row.revision)}
        response = client.post(f"{PAGE}/points/{other.key}/remove", data=data)
        assert response.status_code == 200, response.text  # after the redirect
    row, instrument = _stored(session)
    assert [item.key for item in instrument.elements[0].items] == [point.key]
    response = client.post(
        f"{PAGE}/points/{point.key}/remove",
        data={"csrf_token": csrf, "revision": str(row.revision)},
    )
    assert response.status_code == 422
    assert parse(response.text).select_one("#form-problems") is not None
    assert _stored(session)[0].revision == row.revision  # nothing stored

    posted = form_fields(client, f"{PAGE}/points/{point.key}")
    posted["element"] = ["no-such-element"]
    response = client.post(f"{PAGE}/points/{point.key}", data=posted)
    assert response.status_code == 422
    problem = parse(response.text).select_one("#problem-element")
    assert problem is not None and "Vælg et af instrumentets elementer" in problem.get_text()
    assert _stored(session)[0].revision == row.revision
    missing = client.get(f"{PAGE}/points/no-such-point")
    assert missing.status_code == 404
    assert (
        "intet punkt med nøglen no-such-point" in parse(missing.text).select_one("main").get_text()
    )


def test_two_panel_members_saving_the_instrument_at_one_revision_see_a_conflict(
    client: TestClient, session: Session
) -> None:
    _draft(client, session, "Første")
    mine = form_fields(client, f"{PAGE}/instrument")
    other = TestClient(client.app)
    sign_in(other, make_user(session, role=Role.PANEL_MEMBER, display_name="Anden").username)
    theirs = form_fields(other, f"{PAGE}/instrument")
    theirs["title-en"] = ["Their title"]
    assert other.post(f"{PAGE}/instrument", data=theirs, follow_redirects=False).status_code == 303
    mine["title-en"] = ["My title"]
    response = client.post(f"{PAGE}/instrument", data=mine)
    assert response.status_code == 409
    page = parse(response.text)
    assert "Anden" in page.select_one("#form-problems").get_text()
    assert page.select_one("#f-title-en")["value"] == "My title"
    assert _stored(session)[1].title.en == "Their title"
    again = form_fields_of(response.text)  # saved again as it stands: refused again
    assert client.post(f"{PAGE}/instrument", data=again).status_code == 409
    assert _stored(session)[1].title.en == "Their title"


def test_a_published_instrument_and_a_scale_have_no_instrument_forms(
    client: TestClient, session: Session
) -> None:
    make_instrument_version(session)
    make_scale_version(session)
    sign_in(client, make_user(session, role=Role.PANEL_MEMBER).username)
    page = parse(client.get(f"/scales/{KEY}/2026").text)
    assert page.select_one("a[href$='/instrument']") is None
    assert page.select_one("a[href*='/points/']") is None
    response = client.get(f"/scales/{KEY}/2026/instrument")
    assert response.status_code == 409
    assert "er udgivet og ændres aldrig" in parse(response.text).select_one("main").get_text()
    assert client.get("/scales/ips-25/2019/instrument").status_code == 404
    assert client.get(f"/scales/{KEY}/2026/edit").status_code == 404  # a scale's form


def test_a_title_longer_than_the_list_of_versions_holds_is_refused_beside_its_field(
    client: TestClient, session: Session
) -> None:
    _draft(client, session)
    posted = form_fields(client, f"{PAGE}/instrument")
    posted["title-da"] = ["Implementeringsstatus " * 14]  # 308 characters
    response = client.post(f"{PAGE}/instrument", data=posted)
    assert response.status_code == 422  # not a database error on PostgreSQL
    problem = parse(response.text).select_one("#problem-title-da")
    assert problem is not None and "300 characters" in problem.get_text()
    assert _stored(session)[0].revision == 1


def test_a_control_character_typed_in_a_text_is_refused_beside_its_field(
    client: TestClient, session: Session
) -> None:
    _draft(client, session)
    posted = form_fields(client, f"{PAGE}/instrument")
    posted["title-da"] = ["Implementering\x00sstatus"]
    posted["documents-0-title-en"] = ["Plan\x07"]
    response = client.post(f"{PAGE}/instrument", data=posted)
    assert response.status_code == 422
    page = parse(response.text)  # valid HTML: what was typed is shown, the NUL marked
    assert page.select_one("#f-title-da")["value"] == "Implementering\ufffdsstatus"
    assert "#x0000" in page.select_one("#problem-title-da").get_text()
    assert "#x0007" in page.select_one("#problem-documents-0-title-en").get_text()
    row, instrument = _stored(session)
    assert row.revision == 1 and "\x00" not in row.title_da


def test_the_forms_posted_unchanged_change_nothing_and_leave_the_revision(
    client: TestClient, session: Session
) -> None:
    _draft(client, session)
    before = client.get(f"{PAGE}/file").text
    posted = form_fields(client, f"{PAGE}/instrument")
    assert client.post(f"{PAGE}/instrument", data=posted, follow_redirects=False).status_code == 303
    point = form_fields(client, f"{PAGE}/points/staff-work-by-principles")
    response = client.post(
        f"{PAGE}/points/staff-work-by-principles", data=point, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get(f"{PAGE}/file").text == before
    assert _stored(session)[0].revision == 1  # a colleague's open form is still current
    edited = session.exec(select(AuditEvent).where(AuditEvent.action == "scale_version.edited"))
    assert edited.all() == []
