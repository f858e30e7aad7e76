"""Registering and publishing scale versions: a published version never changes."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.errors import Conflict, NotFound
from app.models import AuditEvent, ScaleStatus
from app.services import scales
from tests.factories import shipped_scale


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_publish_stores_the_definition_its_fingerprint_and_an_audit_event(session: Session) -> None:
    scale = shipped_scale()
    result = scales.register_scale(session, scale=scale, channel="cli")
    row = result.scale_version
    assert result.outcome == "published"
    assert (row.scale_key, row.version, row.status, row.item_count) == (
        "ips-25",
        "2019",
        "published",
        25,
    )
    assert row.published_at is not None and len(row.sha256) == 64
    assert scales.definition_of(row) == scale
    [event] = events(session, "scale_version.published")
    assert event.after == {
        "key": "ips-25",
        "version": "2019",
        "status": "published",
        "sha256": row.sha256,
    }


def test_publishing_the_same_content_again_changes_nothing(session: Session) -> None:
    scales.register_scale(session, scale=shipped_scale(), channel="cli")
    again = scales.register_scale(session, scale=shipped_scale(), channel="cli")
    assert again.outcome == "unchanged"
    assert len(events(session, "scale_version.published")) == 1


def test_publishing_different_content_under_a_published_version_is_refused(
    session: Session,
) -> None:
    scales.register_scale(session, scale=shipped_scale(), channel="cli")
    edited = shipped_scale().model_copy(update={"recommendation_threshold": 2})
    with pytest.raises(Conflict, match="already published with different content.*new version"):
        scales.register_scale(session, scale=edited, channel="cli")
    stored = scales.get_scale_version(session, key="ips-25", version="2019")
    assert stored.definition["recommendation_threshold"] == 3


def test_a_draft_may_change_until_it_is_published(session: Session) -> None:
    draft = scales.register_scale(session, scale=shipped_scale(), status="draft", channel="cli")
    assert draft.outcome == "drafted" and draft.scale_version.status == ScaleStatus.DRAFT
    edited = shipped_scale().model_copy(update={"recommendation_threshold": 2})
    published = scales.register_scale(session, scale=edited, channel="cli")
    assert published.outcome == "published"
    assert published.scale_version.id == draft.scale_version.id
    assert published.scale_version.definition["recommendation_threshold"] == 2


def test_retire_and_list(session: Session) -> None:
    scales.register_scale(session, scale=shipped_scale("ips-25", "2019"), channel="cli")
    scales.register_scale(session, scale=shipped_scale("ips-lignende", "2024"), channel="cli")
    assert [r.scale_key for r in scales.list_scale_versions(session, published_only=True)] == [
        "ips-25",
        "ips-lignende",
    ]
    scales.retire_scale(session, key="ips-25", version="2019", channel="cli")
    assert [r.scale_key for r in scales.list_scale_versions(session, published_only=True)] == [
        "ips-lignende"
    ]
    with pytest.raises(Conflict, match="retired and cannot be published again"):
        scales.register_scale(session, scale=shipped_scale(), channel="cli")
    with pytest.raises(NotFound, match="no scale version ips-25 1999"):
        scales.get_scale_version(session, key="ips-25", version="1999")


def test_a_stored_version_opens_even_if_todays_rules_would_refuse_it(session: Session) -> None:
    row = scales.register_scale(session, scale=shipped_scale(), channel="cli").scale_version
    tightened = dict(row.definition)
    tightened["principles"] = [
        *tightened["principles"],
        {"key": "p9-added-later", "number": 9, "title": {"da": "Ny", "en": "New"}},
    ]
    row.definition = tightened  # as if a later rule (or principle) now failed this version
    row.sha256 = "f" * 64  # other content, other fingerprint
    session.flush()
    definition = scales.definition_of(row)
    assert len(definition.items) == 25 and len(definition.principles) == 9


def test_the_database_keeps_the_full_definition_defaults_included(session: Session) -> None:
    row = scales.register_scale(session, scale=shipped_scale(), channel="cli").scale_version
    caseload = next(i for i in row.definition["items"] if i["key"] == "caseload-size")
    assert caseload["per_consultant"] is False  # a later change of default cannot alter it
