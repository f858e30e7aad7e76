"""The workshop's rules (issue 19): drafts started, uploaded and saved as whole checked
definitions, a conflict instead of an overwrite, a key never taking a new meaning
unseen, and the way draft → awaiting → approved → published → retired with its history
and audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid
from app.models import (
    Approval,
    AuditEvent,
    Decision,
    Role,
    ScaleComment,
    ScaleDecision,
    ScaleStatus,
    ScaleVersion,
)
from app.scales.loader import ScaleFileError, fingerprint
from app.scales.schema import ScaleDefinition
from app.scales.writer import definition_yaml
from app.services import planning, workshop
from app.services import scales as scale_service
from app.services.access import Principal, principal_for
from app.services.workshop import Refused
from tests.factories import make_scale_version, make_team, make_user


def _who(session: Session, role: Role = Role.PANEL_MEMBER, name: str = "Panel") -> Principal:
    return principal_for(session, user=make_user(session, role=role, display_name=name))


def _draft(session: Session, panel: Principal, version: str = "2026") -> ScaleVersion:
    base = make_scale_version(session)
    row = workshop.start_draft(session, principal=panel, base=base, version=version)
    session.commit()
    return row


def _data(row: ScaleVersion) -> dict[str, Any]:
    return workshop.definition_of(row).model_dump(mode="json", exclude_none=True)


def test_a_draft_starts_as_a_copy_with_a_crosswalk_over_its_base(session: Session) -> None:
    panel = _who(session)
    row = _draft(session, panel)
    definition = scale_service.definition_of(row)
    base = scale_service.definition_of(make_scale_version(session))
    assert (row.status, row.approval, row.revision) == ("draft", "editing", 1)
    assert definition.items == base.items
    assert definition.crosswalk is not None and definition.crosswalk.base == "2019"
    assert row.based_on_id is not None and row.created_by_id == panel.user_id
    with pytest.raises(Conflict):
        workshop.start_draft(
            session, principal=panel, base=make_scale_version(session), version="2026"
        )
    with pytest.raises(Invalid):
        workshop.start_draft(
            session, principal=panel, base=make_scale_version(session), version="20 26"
        )


@pytest.mark.parametrize("role", [Role.AMBASSADOR, Role.ANALYST, Role.TEAM_LEADER])
def test_only_the_panel_and_administrators_draft(session: Session, role: Role) -> None:
    who = principal_for(session, user=make_user(session, role=role))
    with pytest.raises(Forbidden):
        workshop.start_draft(
            session, principal=who, base=make_scale_version(session), version="2026"
        )
    assert scale_service.find_scale_version(session, key="ips-25", version="2026") is None


def test_a_saved_change_raises_the_revision_and_an_older_one_is_a_conflict(
    session: Session,
) -> None:
    first, second = _who(session, name="Første"), _who(session, name="Anden")
    row = _draft(session, first)
    data = _data(row)
    data["items"][0]["title"]["da"] = "Sagsstamme pr. konsulent"
    data["crosswalk"]["comparable"] = ["caseload-size"]
    saved = workshop.save(session, principal=first, row=row, data=data, revision=1)
    session.commit()
    assert isinstance(saved, ScaleVersion) and saved.revision == 2
    stale = _data(row)
    stale["items"][1]["title"]["da"] = "Noget andet"
    with pytest.raises(Conflict) as refused:
        workshop.save(session, principal=second, row=row, data=stale, revision=1)
    assert "Første" in refused.value.message("da")
    session.rollback()
    stored = scale_service.definition_of(session.get(ScaleVersion, row.id))  # type: ignore[arg-type]
    assert stored.items[0].title.da == "Sagsstamme pr. konsulent"
    assert stored.items[1].title.da != "Noget andet"


def test_a_form_change_with_problems_is_refused_with_their_places_and_nothing_stored(
    session: Session,
) -> None:
    panel = _who(session)
    row = _draft(session, panel)
    data = _data(row)
    data["items"][0]["banding"]["bands"][1]["min"] = 23  # a gap after 20
    data["levels"]["bands"][0]["min"] = 30  # the lowest total is 25
    refused = workshop.save(session, principal=panel, row=row, data=data, revision=1)
    assert isinstance(refused, Refused)
    places = dict(refused.problems)
    assert ("items", 0, "banding", "bands", 1, "min") in places
    assert "gap" in places[("items", 0, "banding", "bands", 1, "min")]
    assert ("levels", "bands", 0, "min") in places
    assert row.revision == 1


def test_a_reworded_item_keeps_its_key_only_when_the_crosswalk_marks_it_comparable(
    session: Session,
) -> None:
    panel = _who(session)
    row = _draft(session, panel)
    data = _data(row)
    data["items"][2]["description"]["en"] = "Something else entirely."
    refused = workshop.save(session, principal=panel, row=row, data=data, revision=1)
    assert isinstance(refused, Refused)
    [(loc, message)] = refused.problems
    assert loc == ("items", 2, "key") and "crosswalk" in message
    data["crosswalk"]["comparable"] = [data["items"][2]["key"]]
    assert isinstance(
        workshop.save(session, principal=panel, row=row, data=data, revision=1), ScaleVersion
    )


def test_an_upload_with_problems_names_their_lines_and_stores_nothing(session: Session) -> None:
    panel = _who(session)
    make_scale_version(session)
    text = definition_yaml(scale_service.definition_of(make_scale_version(session)))
    text = text.replace('version: "2019"', 'version: "2027"', 1)
    broken = text.replace("  - key: caseload-size\n", "  - key: caseload-size\n    colour: red\n")
    with pytest.raises(ScaleFileError) as refused:
        workshop.upload(session, principal=panel, data=broken.encode(), filename="ny.yaml")
    [problem] = refused.value.problems
    assert problem.path == "ny.yaml" and "colour" in problem.message
    assert broken.splitlines()[problem.line - 1].strip() == "colour: red"
    with pytest.raises(ScaleFileError) as refused:
        workshop.upload(session, principal=panel, data=b"key: [1\n", filename="x.yaml")
    assert refused.value.problems[0].message.startswith("YAML")
    with pytest.raises(ScaleFileError) as refused:
        workshop.upload(session, principal=panel, data=b"key: a\nkey: b\n", filename="x.yaml")
    assert "duplicate key" in refused.value.problems[0].message
    with pytest.raises(Invalid):
        workshop.upload(session, principal=panel, data=b"\xff\xfe", filename="x.yaml")
    with pytest.raises(Invalid):
        workshop.upload(
            session, principal=panel, data=b"#" * (workshop.MAX_UPLOAD_BYTES + 1), filename="x"
        )
    assert scale_service.find_scale_version(session, key="ips-25", version="2027") is None
    row = workshop.upload(session, principal=panel, data=text.encode(), filename="ok.yaml")
    assert (row.version, row.status, row.revision) == ("2027", "draft", 1)


def test_a_downloaded_draft_uploaded_again_is_the_same_draft(session: Session) -> None:
    panel = _who(session)
    row = _draft(session, panel)
    text = definition_yaml(workshop.definition_of(row))
    with pytest.raises(Conflict):  # replacing a draft says which revision it replaces
        workshop.upload(session, principal=panel, data=text.encode(), filename="2026.yaml")
    again = workshop.upload(
        session, principal=panel, data=text.encode(), filename="2026.yaml", revision=1
    )
    assert again.id == row.id and definition_yaml(workshop.definition_of(again)) == text
    assert again.revision == 2
    with pytest.raises(Conflict):  # a file made from revision 1 no longer replaces it
        workshop.upload(
            session, principal=panel, data=text.encode(), filename="2026.yaml", revision=1
        )


def test_a_published_version_takes_no_upload(session: Session) -> None:
    panel = _who(session)
    text = definition_yaml(scale_service.definition_of(make_scale_version(session)))
    with pytest.raises(Conflict):
        workshop.upload(session, principal=panel, data=text.encode(), filename="2019.yaml")


def test_the_way_from_draft_to_retired(session: Session) -> None:
    sender, approver = _who(session, name="Sender"), _who(session, name="Godkender")
    admin = _who(session, Role.ADMIN, "Admin")
    row = _draft(session, sender)
    with pytest.raises(Conflict):  # not approved yet
        workshop.publish(session, principal=admin, row=row, revision=1)
    workshop.send_for_approval(session, principal=sender, row=row, revision=1)
    with pytest.raises(Conflict):  # not edited while awaiting approval
        workshop.save(session, principal=sender, row=row, data=_data(row), revision=1)
    with pytest.raises(Forbidden):  # four eyes
        workshop.approve(session, principal=sender, row=row, revision=1)
    workshop.request_changes(session, principal=approver, row=row, note="Item 3: skarpere")
    assert row.approval == Approval.EDITING
    workshop.send_for_approval(session, principal=sender, row=row, revision=1)
    workshop.approve(session, principal=approver, row=row, revision=1)
    assert row.approval == Approval.APPROVED and row.approved_by_id == approver.user_id
    with pytest.raises(Forbidden):  # only an administrator publishes
        workshop.publish(session, principal=approver, row=row, revision=1)
    workshop.publish(session, principal=admin, row=row, revision=1)
    session.commit()
    assert row.status == ScaleStatus.PUBLISHED and row.published_by_id == admin.user_id
    team = make_team(session)
    assert "2026" in [v.version for v in planning.scales_for(session, team=team)]
    with pytest.raises(Conflict):  # immutable from now on
        workshop.save(session, principal=sender, row=row, data=_data(row), revision=1)
    workshop.retire(session, principal=admin, row=row)
    session.commit()
    assert row.status == ScaleStatus.RETIRED
    assert "2026" not in [v.version for v in planning.scales_for(session, team=team)]
    steps = [step.decision for step in workshop.history(session, row)]
    assert steps == [
        Decision.SENT,
        Decision.CHANGES_REQUESTED,
        Decision.SENT,
        Decision.APPROVED,
        Decision.PUBLISHED,
        Decision.RETIRED,
    ]
    actions = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "scale_version", AuditEvent.entity_id == str(row.id))
        .order_by(col(AuditEvent.id))
    ).all()
    assert actions == [
        "scale_version.drafted",
        "scale_version.sent",
        "scale_version.changes_requested",
        "scale_version.sent",
        "scale_version.approved",
        "scale_version.published",
        "scale_version.retired",
    ]


def test_a_request_for_changes_needs_a_reason(session: Session) -> None:
    sender, other = _who(session), _who(session)
    row = _draft(session, sender)
    workshop.send_for_approval(session, principal=sender, row=row, revision=1)
    with pytest.raises(Invalid):
        workshop.request_changes(session, principal=other, row=row, note="  ")
    assert row.approval == Approval.AWAITING
    assert len(session.exec(select(ScaleDecision)).all()) == 1


def test_an_approved_draft_withdrawn_is_no_longer_approved_by_anyone(session: Session) -> None:
    sender, other = _who(session), _who(session)
    row = _draft(session, sender)
    workshop.send_for_approval(session, principal=sender, row=row, revision=1)
    workshop.approve(session, principal=other, row=row, revision=1)
    assert row.approved_by_id == other.user_id and row.approved_at is not None
    workshop.withdraw(session, principal=sender, row=row)
    assert (row.approval, row.approved_by_id, row.approved_at) == (Approval.EDITING, None, None)


def test_comments_are_threads_per_item_resolved_and_reopened(session: Session) -> None:
    first, second = _who(session, name="Første"), _who(session, name="Anden")
    row = _draft(session, first)
    thread = workshop.add_comment(
        session, principal=first, row=row, body="Skal 20 være 15?", item_key="caseload-size"
    )
    assert thread.id is not None
    workshop.add_comment(session, principal=second, row=row, body="Nej.", thread_id=thread.id)
    workshop.resolve(session, principal=second, row=row, thread_id=thread.id, resolved=True)
    workshop.add_comment(session, principal=first, row=row, body="Hele udkastet: fint.")
    [on_item, whole] = workshop.threads(session, row)
    assert on_item.item_key == "caseload-size" and not on_item.open
    assert [c.author for c in on_item.comments] == ["Første", "Anden"]
    assert on_item.resolved_by == "Anden"
    assert whole.item_key is None and whole.open
    workshop.add_comment(session, principal=first, row=row, body="Alligevel…", thread_id=thread.id)
    assert workshop.threads(session, row)[0].open  # an answer opens it again
    with pytest.raises(Invalid):
        workshop.add_comment(session, principal=first, row=row, body="x", item_key="no-such")
    with pytest.raises(Invalid):
        workshop.add_comment(session, principal=first, row=row, body="   ")
    ambassador = _who(session, Role.AMBASSADOR)
    with pytest.raises(Forbidden):
        workshop.add_comment(session, principal=ambassador, row=row, body="Må jeg?")
    assert len(session.exec(select(ScaleComment)).all()) == 4


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[" * 20000, "nested too deeply"),
        ("key: 2020-13-45\n", "month must be in 1..12"),
        ("a: &x [1, 2]\nb: *x\nc: *x\n", "anchors and aliases"),
        ("version: " + "9" * 5000 + "\n", "digits"),
        ("title: ok\nkey: x\x07\n", "#x0007 is not allowed"),
        ("<<: {a: 1}\nkey: x\n", "merge keys"),
        ("<<: {key: ips-25}\nversion: '1'\n", "merge keys"),
    ],
)
def test_an_upload_that_would_trip_the_reader_is_refused_with_its_reason(
    session: Session, text: str, said: str
) -> None:
    with pytest.raises(ScaleFileError) as refused:
        workshop.upload(session, principal=_who(session), data=text.encode(), filename="x.yaml")
    assert said in refused.value.problems[0].message
    if "x07" in text:
        assert refused.value.problems[0].line == 2
    assert session.exec(select(ScaleVersion)).all() == []


def test_keys_the_pages_use_themselves_are_refused_for_items(session: Session) -> None:
    panel = _who(session)
    row = _draft(session, panel)
    data = _data(row)
    data["items"][0]["key"] = "new"
    refused = workshop.save(session, principal=panel, row=row, data=data, revision=1)
    assert isinstance(refused, Refused)
    assert (("items", 0, "key"), "the key 'new' is kept for the workshop's pages") in [
        (loc, message) for loc, message in refused.problems
    ]


def test_the_command_line_neither_publishes_nor_replaces_a_draft_the_workshop_holds(
    session: Session,
) -> None:
    panel = _who(session)
    row = _draft(session, panel)
    definition = workshop.definition_of(row)
    with pytest.raises(Conflict):  # not approved in the workshop
        scale_service.register_scale(session, scale=definition, channel="cli")
    workshop.send_for_approval(session, principal=panel, row=row, revision=1)
    changed = definition.model_copy(
        update={"title": definition.title.model_copy(update={"da": "Ny titel"})}
    )
    with pytest.raises(Conflict):  # awaiting approval: not replaced behind it
        scale_service.register_scale(session, scale=changed, status="draft", channel="cli")
    assert workshop.definition_of(row).title.da == definition.title.da


def test_a_draft_registered_from_a_file_is_the_workshops_once_the_panel_takes_it_up(
    session: Session,
) -> None:
    """An operator's `fidelity scales publish KEY VERSION --draft` makes a draft nobody made
    in the workshop; once the panel sends it (or decides on it), the command line neither
    publishes it unapproved nor replaces it behind the panel."""
    make_scale_version(session)
    shipped = scale_service.definition_of(make_scale_version(session, version="2026", draft=True))
    row = scale_service.find_scale_version(session, key="ips-25", version="2026")
    assert row is not None and row.created_by_id is None
    panel = _who(session)
    workshop.send_for_approval(session, principal=panel, row=row, revision=row.revision)
    with pytest.raises(Conflict):
        scale_service.register_scale(session, scale=shipped, channel="cli")
    changed = shipped.model_copy(update={"title": shipped.title.model_copy(update={"da": "Ny"})})
    with pytest.raises(Conflict):
        scale_service.register_scale(session, scale=changed, status="draft", channel="cli")
    workshop.request_changes(session, principal=_who(session, name="Anden"), row=row, note="Nej")
    assert row.approval == Approval.EDITING
    with pytest.raises(Conflict):  # changes were asked for: the panel's, not published past it
        scale_service.register_scale(session, scale=shipped, channel="cli")
    assert row.status == ScaleStatus.DRAFT and row.approved_by_id is None


def test_a_draft_that_no_longer_stands_beside_a_newer_base_is_not_sent(session: Session) -> None:
    """A version published after the draft was saved may reword an item the draft keeps:
    the draft is checked again when it is sent."""
    panel = _who(session)
    row = _draft(session, panel)
    base = scale_service.find_scale_version(session, key="ips-25", version="2019")
    assert base is not None
    old = scale_service.definition_of(base)
    first = old.items[0]
    reworded = old.model_copy(
        update={
            "version": "2025",
            "items": [
                first.model_copy(update={"title": first.title.model_copy(update={"en": "X"})}),
                *old.items[1:],
            ],
        }
    )
    scale_service.register_scale(session, scale=reworded, channel="cli")
    data = _data(row)
    data["crosswalk"] = {"base": "2025", "comparable": []}
    # as if saved before 2025 was published (the fingerprint names the content)
    row.definition = data
    row.sha256 = fingerprint(ScaleDefinition.model_validate(data))
    session.add(row)
    session.flush()
    with pytest.raises(Conflict) as refused:
        workshop.send_for_approval(session, principal=panel, row=row, revision=1)
    assert "crosswalk" in refused.value.message("en")
    assert row.approval == Approval.EDITING


def test_a_key_brought_back_with_another_meaning_than_an_earlier_version_gave_it_is_refused(
    session: Session,
) -> None:
    from app.scales import forms
    from app.scales.loader import validate_data

    first = make_scale_version(session)
    old = scale_service.definition_of(first)
    # 2026 leaves out caseload-size (its level bands moved to the range 24 items give).
    data = forms.with_item_removed(old, "caseload-size")
    levels = forms.levels_values(old) | {"levels-bands-0-max": "120", "levels-bands-3-min": "24"}
    data["levels"] = forms.levels_from_form({k: [str(v)] for k, v in levels.items()})
    data |= {"version": "2026", "crosswalk": {"base": "2019", "comparable": []}}
    without, problems = validate_data(data)
    assert without is not None, problems
    scale_service.register_scale(session, scale=without, status="published", channel="cli")
    session.commit()
    panel = _who(session)
    base = scale_service.find_scale_version(session, key="ips-25", version="2026")
    assert base is not None
    row = workshop.start_draft(session, principal=panel, base=base, version="2027")
    session.commit()

    item = old.item("caseload-size").model_dump(mode="json", exclude_none=True)
    back = {**_data(row), "levels": old.levels.model_dump(mode="json")}
    back["items"] = [*back["items"], {**item, "number": 25}]
    reworded = {**item, "number": 25, "title": {"da": "Noget helt andet", "en": "Else"}}
    refused = workshop.save(
        session,
        principal=panel,
        row=row,
        data={**back, "items": [*back["items"][:-1], reworded]},
        revision=1,
    )
    assert isinstance(refused, Refused)
    assert [loc for loc, message in refused.problems if "meant something else in 2019" in message]
    assert ("items", 24, "key") in [loc for loc, _ in refused.problems]
    session.rollback()
    # Brought back as it was, the key keeps its meaning: stored.
    saved = workshop.save(session, principal=panel, row=row, data=back, revision=1)
    assert not isinstance(saved, Refused), saved
    assert (
        scale_service.definition_of(saved).item("caseload-size").title
        == old.item("caseload-size").title
    )
