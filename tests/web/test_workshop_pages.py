"""The workshop's pages (issue 19): a panel member starts a draft, edits an item and the
scale, sees a problem beside its field and a conflict instead of an overwrite, uploads
and downloads the file, discusses an item; another approves; an administrator
publishes. Asserted on the parsed pages and on what the database holds."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Role, ScaleComment, ScaleVersion
from app.scales.writer import definition_yaml
from app.services import scales as scale_service
from app.services import workshop
from tests.factories import make_scale_version, make_user
from tests.web.signin import parse, sign_in


def _panel(client: TestClient, session: Session, name: str = "Birgitte Bjerg") -> str:
    user = make_user(session, role=Role.PANEL_MEMBER, display_name=name)
    return sign_in(client, user.username)


def _start(client: TestClient, csrf: str, version: str = "2026") -> None:
    response = client.post(
        "/scales/drafts",
        data={"csrf_token": csrf, "base": "ips-25:2019", "version": version},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/scales/ips-25/{version}"


def _stored(session: Session, version: str = "2026") -> ScaleVersion:
    session.expire_all()
    row = scale_service.find_scale_version(session, key="ips-25", version=version)
    assert row is not None
    return row


def _item_form(client: TestClient, path: str) -> dict[str, list[str]]:
    """The item form's fields as the page fills them in, as a browser would post them."""
    return _form_fields(client.get(path).text)


def _form_fields(html: str) -> dict[str, list[str]]:
    """A workshop form's fields as ``html`` fills them in, as a browser would post them."""
    page = parse(html)
    posted: dict[str, list[str]] = {}
    form = page.select_one("form.workshop-form")
    assert form is not None
    for field in form.select("input, textarea, select"):
        name = field.get("name")
        if not name:
            continue
        if field.name == "textarea":
            value = field.text.removeprefix("\n")
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            value = chosen.get("value", "") if chosen else ""
        elif field.get("type") == "checkbox":
            if not field.has_attr("checked"):
                continue
            value = field.get("value", "")
        else:
            value = field.get("value", "")
        posted.setdefault(str(name), []).append(str(value))
    return posted


def test_a_panel_member_drafts_edits_and_sees_problems_beside_their_fields(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session)
    _start(client, csrf)
    page = parse(client.get("/scales/ips-25/2026").text)
    assert "under arbejde" in page.select_one("#workshop").get_text()
    edit = page.select_one("#workshop-caseload-size a[href$='/items/caseload-size']")
    assert edit is not None

    posted = _item_form(client, "/scales/ips-25/2026/items/caseload-size")
    assert posted["title-da"] == ["Sagsstammens størrelse"]
    posted["banding-bands-1-min"] = ["23"]  # leaves 21-22 without a score
    response = client.post("/scales/ips-25/2026/items/caseload-size", data=posted)
    assert response.status_code == 422
    page = parse(response.text)
    field = page.select_one("#f-banding-bands-1-min")
    assert field is not None and field["aria-invalid"] == "true"
    assert "gap between bands" in page.select_one("#problem-banding-bands-1-min").get_text()
    assert field["value"] == "23"  # what was typed stays
    assert _stored(session).revision == 1

    posted["banding-bands-1-min"] = ["21"]
    posted["title-da"] = ["Sagsstamme pr. konsulent"]
    response = client.post("/scales/ips-25/2026/items/caseload-size", data=posted)
    assert response.status_code == 422  # reworded: the crosswalk must say it is comparable
    assert "crosswalk" in parse(response.text).select_one("#form-problems").get_text()

    scale_form = _item_form(client, "/scales/ips-25/2026/edit")
    scale_form["crosswalk-comparable"] = ["caseload-size"]
    response = client.post("/scales/ips-25/2026/edit", data=scale_form, follow_redirects=False)
    assert response.status_code == 303
    posted["revision"] = [str(_stored(session).revision)]
    response = client.post(
        "/scales/ips-25/2026/items/caseload-size", data=posted, follow_redirects=False
    )
    assert response.status_code == 303
    stored = scale_service.definition_of(_stored(session))
    assert stored.item("caseload-size").title.da == "Sagsstamme pr. konsulent"
    assert stored.crosswalk is not None and stored.crosswalk.comparable == ["caseload-size"]
    facts = parse(client.get("/scales/ips-25/2026").text).select_one("#crosswalk-facts")
    assert facts is not None and "Over 2019" in facts.get_text()  # readers see it too
    assert facts.select_one("a[href='#workshop-caseload-size']") is not None
    assert _stored(session).revision == 3


def test_two_panel_members_saving_one_draft_see_a_conflict_not_an_overwrite(
    app: object, client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session, "Første")
    _start(client, csrf)
    mine = _item_form(client, "/scales/ips-25/2026/items/job-development-frequency")
    other = TestClient(client.app)
    _panel(other, session, "Anden")
    theirs = _item_form(other, "/scales/ips-25/2026/items/job-development-frequency")
    mine["evidence"] = ["MIS", "DOC"]
    assert (
        client.post(
            "/scales/ips-25/2026/items/job-development-frequency", data=mine, follow_redirects=False
        ).status_code
        == 303
    )
    theirs["evidence"] = ["INT"]
    response = other.post("/scales/ips-25/2026/items/job-development-frequency", data=theirs)
    assert response.status_code == 409
    assert "Første" in parse(response.text).select_one("#form-problems").get_text()
    stored = scale_service.definition_of(_stored(session))
    assert stored.item("job-development-frequency").evidence == ["MIS", "DOC"]
    # Saved again from the refused form, as it stands: still refused, nothing undone.
    again = _form_fields(response.text)
    assert again["revision"] == ["1"] and again["evidence"] == ["INT"]
    response = other.post("/scales/ips-25/2026/items/job-development-frequency", data=again)
    assert response.status_code == 409
    reload = parse(response.text).select_one("#form-problems a[href='']")
    assert reload is not None and "Hent den gemte udgave" in reload.get_text()
    stored = scale_service.definition_of(_stored(session))
    assert stored.item("job-development-frequency").evidence == ["MIS", "DOC"]


def test_a_file_downloaded_and_uploaded_again_is_the_same_and_a_bad_one_names_its_line(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session)
    _start(client, csrf)
    download = client.get("/scales/ips-25/2026/file")
    assert download.headers["content-type"].startswith("application/yaml")
    assert "ips-25-2026.yaml" in download.headers["content-disposition"]
    text = download.text
    # Uploaded over the draft from its own page, which names the revision it replaces …
    page = parse(client.get("/scales/ips-25/2026").text)
    replace = page.select_one("form#replace-draft")
    assert replace is not None and replace.select_one("input[name=revision]")["value"] == "1"
    response = client.post(
        "/scales/upload",
        data={"csrf_token": csrf, "revision": "1"},
        files={"file": ("2026.yaml", text.encode(), "application/yaml")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    # … and not from the list, which does not know what it would undo.
    response = client.post(
        "/scales/upload",
        data={"csrf_token": csrf},
        files={"file": ("2026.yaml", text.encode(), "application/yaml")},
    )
    assert response.status_code == 409
    assert "ips-25 2026" in parse(response.text).select_one("#upload-error").get_text()
    assert client.get("/scales/ips-25/2026/file").text == text
    assert _stored(session).revision == 2

    broken = re.sub(r"(\n\s+)max: 20\n", r"\1max: 19\n", text, count=1)
    broken = broken.replace('version: "2026"', 'version: "2027"')
    response = client.post(
        "/scales/upload",
        data={"csrf_token": csrf},
        files={"file": ("ny.yaml", broken.encode(), "application/yaml")},
    )
    assert response.status_code == 422
    problems = [li.get_text() for li in parse(response.text).select("#upload-error li")]
    line = next(i for i, text in enumerate(broken.splitlines()) if text.strip() == "min: 21") + 1
    assert any(p.startswith(f"ny.yaml:{line}: gap between bands") for p in problems), problems
    assert scale_service.find_scale_version(session, key="ips-25", version="2027") is None


def test_the_panel_discusses_an_item_and_ambassadors_read_it(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session, "Birgitte")
    _start(client, csrf)
    response = client.post(
        "/scales/ips-25/2026/comments",
        data={"csrf_token": csrf, "item_key": "caseload-size", "body": "Skal 20 være 15?"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and "#thread-" in response.headers["location"]
    thread = session.exec(select(ScaleComment)).one()
    client.post(
        f"/scales/ips-25/2026/comments/{thread.id}/resolve",
        data={"csrf_token": csrf, "resolved": "1"},
    )
    empty = client.post(
        "/scales/ips-25/2026/comments",
        data={"csrf_token": csrf, "item_key": "caseload-size", "body": "  "},
    )
    assert empty.status_code == 422
    assert parse(empty.text).select_one("#new-caseload-size-error") is not None

    ambassador = TestClient(client.app)
    sign_in(ambassador, make_user(session, role=Role.AMBASSADOR).username)
    page = parse(ambassador.get("/scales/ips-25/2026").text)
    block = page.select_one(f"#thread-{thread.id}")
    assert block is not None and "Skal 20 være 15?" in block.get_text()
    assert "Afklaret" in block.get_text()
    assert block.select("form") == []  # ambassadors read
    assert page.select("#decision") == []


def test_sent_approved_by_another_and_published_by_an_administrator(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session, "Sender")
    _start(client, csrf)
    client.post(
        "/scales/ips-25/2026/decision",
        data={"csrf_token": csrf, "action": "send", "revision": "1"},
    )
    page = parse(client.get("/scales/ips-25/2026").text)
    assert page.select_one("button[value=approve]") is None  # not one's own
    assert page.select_one("a[href$='/items/caseload-size']") is None  # frozen

    other = TestClient(client.app)
    other_csrf = _panel(other, session, "Godkender")
    response = other.post(
        "/scales/ips-25/2026/decision",
        data={"csrf_token": other_csrf, "action": "approve", "revision": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _stored(session).approval == "approved"

    admin = TestClient(client.app)
    admin_csrf = sign_in(admin, make_user(session, role=Role.ADMIN).username)
    page = parse(admin.get("/scales/ips-25/2026").text)
    assert page.select_one("#publication button[value=publish]") is not None
    admin.post(
        "/scales/ips-25/2026/decision",
        data={"csrf_token": admin_csrf, "action": "publish", "revision": "1"},
    )
    row = _stored(session)
    assert row.status == "published" and row.approved_by_id is not None
    history = [
        li.get_text(" ", strip=True)
        for li in parse(admin.get("/scales/ips-25/2026").text).select("ol.history li")
    ]
    assert [entry.split(" · ")[0] for entry in history] == [
        "Sendt til godkendelse",
        "Godkendt",
        "Udgivet",
    ]
    assert "Godkender" in history[1]
    assert workshop.definition_of(row).version == "2026"


def test_a_published_version_cannot_be_edited(client: TestClient, session: Session) -> None:
    make_scale_version(session)
    _panel(client, session)
    response = client.get("/scales/ips-25/2019/items/caseload-size")
    assert response.status_code == 409
    assert "udgivet" in parse(response.text).get_text()


def test_the_download_of_every_shipped_scale_reads_back_as_the_same_definition(
    client: TestClient, session: Session
) -> None:
    _panel(client, session)
    for key, version in (("ips-25", "2019"), ("ips-lignende", "2024")):
        row = make_scale_version(session, key=key, version=version)
        session.commit()
        text = client.get(f"/scales/{key}/{version}/file").text
        assert text == definition_yaml(scale_service.definition_of(row))


def test_a_draft_scored_in_the_sandbox_shows_its_totals_level_and_profiles_and_stores_nothing(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session)
    _start(client, csrf)
    page = parse(client.get("/scales/ips-25/2026/preview").text)
    assert len(page.select("article.item-card")) == 25
    assert page.select_one("#preview-figure-caseload-size") is not None
    assert page.select_one("#sandbox-result") is None

    scale = scale_service.definition_of(_stored(session))
    form: dict[str, list[str]] = {"csrf_token": [csrf]}
    for item in scale.items:
        if item.per_consultant:
            field = "consultant_figure" if item.kind == "banded" else "consultant_score"
            form[f"{item.key}:{field}"] = ["4", "5"] if item.kind != "banded" else []
            if item.kind == "banded":
                form[f"{item.key}:score"] = ["4"]
        elif item.kind == "checklist":
            form[f"{item.key}:ticked"] = [entry.key for entry in item.checklist.entries]  # type: ignore[union-attr]
        else:
            form[f"{item.key}:score"] = ["4"]
    form["caseload-size:score"] = []
    form["caseload-size:figure"] = ["18"]  # 20 or fewer: 5
    reviews_before = session.exec(select(ScaleVersion)).all()
    response = client.post("/scales/ips-25/2026/preview", data=form)
    page = parse(response.text)
    assert page.select_one("#preview-score-caseload-size").get_text(" ", strip=True) == "Score: 5"
    totals = page.select_one("#sandbox-totals").get_text(" ", strip=True)
    assert "/ 125" in totals
    assert page.select_one("#sandbox-level").get_text(strip=True) in {
        "Eksemplarisk",
        "God",
        "Intet niveau, før alle items har en score",
    }
    principles = page.select("#sandbox-principles tbody tr")
    assert len(principles) == 8
    assert session.exec(select(ScaleVersion)).all() == reviews_before

    form["caseload-size:figure"] = ["mange"]
    response = client.post("/scales/ips-25/2026/preview", data=form)
    assert response.status_code == 422
    assert parse(response.text).select_one("#preview-problem-caseload-size") is not None


def test_the_shipped_drafts_stand_against_their_base_and_the_demo_registers_them(
    session: Session,
) -> None:
    from pathlib import Path

    from app.scales.loader import load_scale_file
    from app.services.demo.workshop import DEMO_DRAFTS

    make_scale_version(session)
    for key, version in DEMO_DRAFTS:
        draft = load_scale_file(Path("scales") / key / f"{version}.yaml")
        assert workshop.cross_version_problems(session, draft) == [], key
        assert "UDKAST" in draft.source.da and "DRAFT" in draft.source.en
    ips = load_scale_file(Path("scales/ips-25/2026.yaml"))
    counted = {p.key: sum(p.key in i.principles for i in ips.items) for p in ips.principles}
    assert min(counted.values()) >= 2  # every principle rests on two items or more


def test_a_target_item_is_scored_on_the_scoring_screen_and_through_the_api(
    client: TestClient, session: Session
) -> None:
    """The new kind in a real review: the youth supplement published (from its file) and
    a reviewer entering how many met the target of how many."""
    import uuid
    from datetime import date

    from app.models import Rating, Review, ReviewReviewer
    from tests.factories import make_team, shipped_scale

    row = scale_service.register_scale(
        session, scale=shipped_scale("ips-unge-uddannelse", "2026"), channel="cli"
    ).scale_version
    reviewer = make_user(session, role=Role.AMBASSADOR)
    team = make_team(session)
    review = Review(team_id=team.id or 0, scale_version_id=row.id or 0, visit_date=date(2026, 3, 1))
    session.add(review)
    session.commit()
    session.add(ReviewReviewer(review_id=review.id or 0, user_id=reviewer.id or 0, is_lead=True))
    session.commit()
    csrf = sign_in(client, reviewer.username)

    page = parse(client.get(f"/reviews/{review.id}/score").text)
    form = page.select_one('form[data-item="rapid-education-contact"]')
    assert form is not None and form["data-kind"] == "target"
    assert form.select_one("input[name=met]") is not None
    assert form.select_one("input[name=cases]") is not None
    assert "målet er 80 %" in form.get_text(" ")

    response = client.put(
        f"/api/v1/reviews/{review.id}/ratings/rapid-education-contact",
        json={"inputs": {"met": 54, "cases": 75}, "client_id": str(uuid.uuid4())},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    stored = session.exec(
        select(Rating).where(
            Rating.review_id == review.id, Rating.item_key == "rapid-education-contact"
        )
    ).one()
    assert stored.score == 4  # 72% of the cases: 90% of the 80% target
    assert stored.inputs == {"met": 54, "cases": 75}


def test_an_item_added_with_the_level_bands_it_moves_and_removed_again(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session)
    _start(client, csrf)
    form = _item_form(client, "/scales/ips-25/2026/items/new?kind=anchored")
    assert form["levels-basis"] == ["total"] and form["levels-bands-3-min"] == ["25"]
    form |= {
        "key": ["education-goal"],
        "title-da": ["Uddannelse som mål"],
        "title-en": ["Education as a goal"],
        "description-da": ["Om uddannelse tilbydes som mål."],
        "description-en": ["Whether education is offered as a goal."],
        "principles": ["p2-competitive-employment"],
        "evidence": ["INT"],
        **{f"anchors-{n}-{lang}": [f"Niveau {n}"] for n in range(1, 6) for lang in ("da", "en")},
    }
    # Without moving the levels, the new range 26-130 is not covered: refused, beside them.
    response = client.post("/scales/ips-25/2026/items/new", data=form)
    assert response.status_code == 422
    page = parse(response.text)
    assert page.select_one("#f-key")["value"] == "education-goal"  # what was typed stays
    problems = page.select_one("#form-problems").get_text(" ")
    assert "26" in problems and "130" in problems
    assert len(scale_service.definition_of(_stored(session)).items) == 25

    form["levels-bands-0-max"] = ["130"]  # exemplary now 115-130 …
    form["levels-bands-3-min"] = ["26"]  # … and "not IPS" 26-73
    response = client.post("/scales/ips-25/2026/items/new", data=form, follow_redirects=False)
    assert response.status_code == 303, parse(response.text).select_one("#form-problems")
    stored = scale_service.definition_of(_stored(session))
    assert stored.items[-1].key == "education-goal" and stored.items[-1].number == 26
    assert (stored.levels.bands[0].max, stored.levels.bands[-1].min) == (130, 26)

    removal = _item_form(client, "/scales/ips-25/2026/items/caseload-size/remove")
    removal["levels-bands-0-max"] = ["125"]
    removal["levels-bands-3-min"] = ["25"]
    response = client.post(
        "/scales/ips-25/2026/items/caseload-size/remove", data=removal, follow_redirects=False
    )
    assert response.status_code == 303
    stored = scale_service.definition_of(_stored(session))
    assert "caseload-size" not in {item.key for item in stored.items}
    assert [item.number for item in stored.items] == list(range(1, 26))


def test_an_instrument_draft_has_its_page_its_discussion_and_its_way_to_publication(
    client: TestClient, session: Session
) -> None:
    from tests.factories import make_instrument_version

    make_instrument_version(session)
    csrf = _panel(client, session)
    response = client.post(
        "/scales/drafts",
        data={"csrf_token": csrf, "base": "implementeringsstatus:2026", "version": "2027"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/scales/implementeringsstatus/2027"
    page = parse(client.get("/scales/implementeringsstatus/2027").text)
    assert page.select_one("#workshop") is not None
    point = page.select_one("article.item")
    assert point is not None
    key = point["id"].removeprefix("point-")
    response = client.post(
        "/scales/implementeringsstatus/2027/comments",
        data={"csrf_token": csrf, "item_key": key, "body": "Skal punktet deles i to?"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = parse(client.get("/scales/implementeringsstatus/2027").text)
    assert "Skal punktet deles i to?" in page.select_one(f"#workshop-{key}").get_text()
    assert page.select_one("a[href$='/preview']") is None  # a scale's sandbox only
    client.post(
        "/scales/implementeringsstatus/2027/decision",
        data={"csrf_token": csrf, "action": "send", "revision": "1"},
    )
    assert _stored_any(session, "implementeringsstatus", "2027").approval == "awaiting"


def _stored_any(session: Session, key: str, version: str) -> ScaleVersion:
    session.expire_all()
    row = scale_service.find_scale_version(session, key=key, version=version)
    assert row is not None
    return row


def test_odd_form_values_get_an_answer_not_an_error(client: TestClient, session: Session) -> None:
    make_scale_version(session)
    csrf = _panel(client, session)
    _start(client, csrf)
    response = client.post(
        "/scales/ips-25/2026/comments",
        data={"csrf_token": csrf, "body": "Svar", "thread_id": "²"},
    )
    assert response.status_code == 422
    assert parse(response.text).select_one("#workshop-error") is not None
    posted = _item_form(client, "/scales/ips-25/2026/items/caseload-size")
    posted["revision"] = ["9" * 5000]
    posted["recommendation_threshold"] = ["9" * 5000]
    posted["banding-bands-" + "9" * 5000 + "-min"] = ["1"]
    response = client.post("/scales/ips-25/2026/items/caseload-size", data=posted)
    assert response.status_code == 409  # an impossible revision is an older one
    assert "Intet er gemt" in parse(response.text).select_one("#form-problems").get_text()
    assert _stored(session).revision == 1  # and nothing was stored


def test_a_kind_changed_in_the_form_is_saved_in_one_go(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session)
    _start(client, csrf)
    scale_form = _item_form(client, "/scales/ips-25/2026/edit")
    scale_form["crosswalk-comparable"] = ["caseload-size"]
    client.post("/scales/ips-25/2026/edit", data=scale_form)
    posted = _item_form(client, "/scales/ips-25/2026/items/caseload-size")
    posted["kind"] = ["anchored"]  # the banding's fields are still on the page
    response = client.post(
        "/scales/ips-25/2026/items/caseload-size", data=posted, follow_redirects=False
    )
    assert response.status_code == 303
    item = scale_service.definition_of(_stored(session)).item("caseload-size")
    assert item.kind == "anchored" and item.banding is None


def test_the_discussion_of_a_removed_item_stays_in_view(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    csrf = _panel(client, session)
    _start(client, csrf)
    client.post(
        "/scales/ips-25/2026/comments",
        data={"csrf_token": csrf, "item_key": "caseload-size", "body": "Fjern det?"},
    )
    removal = _item_form(client, "/scales/ips-25/2026/items/caseload-size/remove")
    removal["levels-bands-0-max"] = ["120"]
    removal["levels-bands-3-min"] = ["24"]
    client.post("/scales/ips-25/2026/items/caseload-size/remove", data=removal)
    page = parse(client.get("/scales/ips-25/2026").text)
    thread = page.select_one("#workshop .thread")
    assert thread is not None and "Fjern det?" in thread.get_text()
    assert "caseload-size" in thread.select_one("h4").get_text()
