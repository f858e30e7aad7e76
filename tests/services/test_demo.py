"""Demo data: plausible, internally consistent, and loaded only once."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

from sqlmodel import Session, func, select

from app.models import (
    AuditEvent,
    CollaborationAgreement,
    CorpsActivity,
    OutcomeFigure,
    OutcomeImport,
    RaterKind,
    Rating,
    Review,
    ReviewStatus,
    ScaleComment,
    ScaleVersion,
    StatusReport,
    Team,
    User,
)
from app.scales import scoring
from app.security import verify_password
from app.services import corps, demo, scales
from tests.factories import SCALES_DIR, shipped_scale


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_demo_loads_once_and_is_consistent(session: Session) -> None:
    assert demo.is_database_empty(session)
    first = demo.load_demo(session, scales_dir=SCALES_DIR)
    assert (first.teams, first.users, first.scales, first.outcome_quarters) == (12, 12, 6, 12)
    assert not demo.is_database_empty(session)
    totals = (
        count(session, Team),
        count(session, User),
        count(session, Review),
        count(session, Rating),
        count(session, OutcomeFigure),
    )

    second = demo.load_demo(session, scales_dir=SCALES_DIR)
    assert not second.created_anything
    assert (
        count(session, Team),
        count(session, User),
        count(session, Review),
        count(session, Rating),
        count(session, OutcomeFigure),
    ) == totals
    assert (
        len(session.exec(select(AuditEvent).where(AuditEvent.action == "demo.loaded")).all()) == 1
    )
    # The panel's first drafts, with their comments, once.
    drafts = session.exec(select(ScaleVersion).where(ScaleVersion.status == "draft")).all()
    assert sorted((d.scale_key, d.version, d.approval) for d in drafts) == [
        ("implementeringsstatus", "2027", "editing"),
        ("ips-25", "2026", "editing"),
        ("ips-unge-uddannelse", "2026", "editing"),
    ]
    assert count(session, ScaleComment) == 4

    reviews = session.exec(select(Review)).all()
    statuses = Counter(r.status for r in reviews)
    assert statuses[ReviewStatus.SCORING] == 1 and statuses[ReviewStatus.FINALISED] >= 30
    years = {r.visit_date.year for r in reviews if r.status == ReviewStatus.FINALISED}
    assert years == {2023, 2024, 2025}
    levels = Counter(r.level_key for r in reviews if r.status == ReviewStatus.FINALISED)
    assert len(levels) >= 3, f"scores should vary across levels: {levels}"

    admin = session.exec(select(User).where(User.username == "admin")).one()
    assert admin.password_hash and admin.password_hash.startswith("$argon2id$")
    assert verify_password(admin.password_hash, demo.DEMO_PASSWORD)
    assert not verify_password(admin.password_hash, "wrong")
    _assert_stored_results_agree_with_the_scoring_core(session)
    _assert_outcomes_follow_the_teams(session)
    assert first.corps_work == (
        count(session, CollaborationAgreement)
        + count(session, CorpsActivity)
        + count(session, StatusReport)
    )
    editions = session.exec(select(StatusReport.region_code, StatusReport.edition)).all()
    assert sorted(editions) == [(1081, 1), (1082, 1), (1083, 1), (1083, 2), (1084, 1), (1085, 1)]
    coverage = corps.coverage(session, on=date.today())
    assert 0.35 < coverage.share < 0.75, coverage
    assert {a.region_code for a in session.exec(select(CorpsActivity)).all()} == {
        1081, 1082, 1083, 1084, 1085
    }  # fmt: skip


def _assert_outcomes_follow_the_teams(session: Session) -> None:
    """Twelve quarters for each demo team's municipalities, through one import; Hjørring's
    latest quarter is its team's own; the better teams get more into work or education."""
    [imported] = session.exec(select(OutcomeImport)).all()
    assert len(imported.quarters) == 12 and imported.row_count == 13 * 12 - 1
    own = session.exec(select(OutcomeFigure).where(OutcomeFigure.team_id.is_not(None))).all()  # type: ignore[union-attr]
    assert [(f.year, f.quarter) for f in own] == [
        tuple(int(part) for part in imported.quarters[-1].split("K"))
    ]
    shares = {
        code: [
            f.work_or_education_share
            for f in session.exec(
                select(OutcomeFigure).where(OutcomeFigure.municipality_code == code)
            ).all()
        ]
        for code in (461, 370)  # Odense's team is the demo's best, Næstved's its weakest
    }
    assert sum(shares[461]) / 12 > sum(shares[370]) / 12 + 10


def _assert_stored_results_agree_with_the_scoring_core(session: Session) -> None:
    for review in session.exec(select(Review).where(Review.status == ReviewStatus.FINALISED)).all():
        row = session.get(scales.ScaleVersion, review.scale_version_id)
        assert row is not None
        definition = scales.definition_of(row)
        consensus = session.exec(
            select(Rating).where(
                Rating.review_id == review.id, Rating.rater_kind == RaterKind.CONSENSUS
            )
        ).all()
        assert len(consensus) == len(definition.items)
        result = scoring.score_review(
            definition, {r.item_key: scoring.ItemScore(score=r.score) for r in consensus}
        )
        assert review.total_score == result.total
        assert review.level_key == (result.level.key if result.level else None)
        for rating in consensus:
            item = definition.item(rating.item_key)
            inputs = rating.inputs or {}
            if item.per_consultant:
                assert rating.score == scoring.consultant_average(
                    [c["score"] for c in inputs["consultants"]]
                )
            elif item.kind == "banded" and item.banding:
                assert rating.score == scoring.band_value(item.banding, inputs["figure"])
            elif item.kind == "checklist" and item.checklist:
                assert rating.score == scoring.checklist_score(item.checklist, inputs["ticked"])


def test_demo_uses_registered_versions_and_ignores_other_files(
    session: Session, tmp_path: Path
) -> None:
    scales_dir = tmp_path / "scales"
    shutil.copytree(SCALES_DIR, scales_dir)
    (scales_dir / "half-written").mkdir()
    (scales_dir / "half-written" / "1.yaml").write_text("key: [", encoding="utf-8")
    scales.register_scale(session, scale=shipped_scale("ips-25", "2019"), channel="cli")
    scales.retire_scale(session, key="ips-25", version="2019", channel="cli")
    summary = demo.load_demo(session, scales_dir=scales_dir)
    # ips-lignende, the instrument, the two drafts from files and the one started from it
    assert summary.scales == 5 and summary.teams == 12
    assert scales.get_scale_version(session, key="ips-25", version="2019").status == "retired"
    assert demo.has_demo_users(session)
