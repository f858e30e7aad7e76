"""One item's rating, at the service: what is stored, what a copy of a change answers, a
change built on an older revision, and who may rate when. The HTTP tests check the same
rules through the API and the pages; these check what the database holds."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session, col, func, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditEvent, RaterKind, Rating, RatingChange, Review, User
from app.scales.rules import RatingInput
from app.services import access, consensus, ratings
from app.services.ratings import SaveResult, StaleRating
from tests.factories import make_review, make_user, shipped_scale

ITEMS = [item.key for item in shipped_scale().items]


def save(
    session: Session,
    user: User,
    review: Review,
    change: RatingInput,
    *,
    item: str = "vocational-generalists",
    client_id: str | None = None,
    base_revision: int | None = None,
    as_consensus: bool = False,
) -> SaveResult:
    result = ratings.save_rating(
        session,
        principal=access.principal_for(session, user=user),
        review_id=review.id or 0,
        item_key=item,
        change=change,
        client_id=client_id,
        base_revision=base_revision,
        consensus=as_consensus,
    )
    session.commit()
    return result


def stored(session: Session, review: Review, user: User | None) -> list[Rating]:
    query = select(Rating).where(Rating.review_id == review.id)
    if user is None:
        query = query.where(Rating.rater_kind == RaterKind.CONSENSUS)
    else:
        query = query.where(Rating.rater_id == user.id)
    return list(session.exec(query))


def count(session: Session, what: type) -> int:
    return session.exec(select(func.count()).select_from(what)).one()


def test_a_first_rating_is_stored_at_revision_one_with_its_change_and_event(
    session: Session,
) -> None:
    lead, second = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    result = save(session, lead, review, RatingInput(score=4, note=" Set i journalerne "))
    assert result.outcome == "saved" and result.rating.revision == 1
    [rating] = stored(session, review, lead)
    assert (rating.score, rating.note, rating.revision) == (4.0, "Set i journalerne", 1)
    [change] = session.exec(select(RatingChange)).all()
    assert change.rating_id == rating.id and change.content["score"] == 4.0
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "rating.saved")).all()
    assert event.after and event.after["item"] == "vocational-generalists"


def test_a_copy_of_a_change_answers_as_stored_and_writes_nothing_more(session: Session) -> None:
    lead, second = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    client_id = str(uuid.uuid4())
    first = save(session, lead, review, RatingInput(score=3), client_id=client_id)
    save(session, lead, review, RatingInput(score=5))  # changed since, under another id
    again = save(session, lead, review, RatingInput(score=3), client_id=client_id)
    assert (again.outcome, again.rating.revision, again.rating.score) == ("replayed", 1, 3.0)
    assert first.rating.id == again.rating.id
    [rating] = stored(session, review, lead)
    assert (rating.score, rating.revision) == (5.0, 2), "the copy changed nothing"
    assert count(session, RatingChange) == 2


def test_an_id_used_for_another_change_is_refused(session: Session) -> None:
    lead, second = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    client_id = str(uuid.uuid4())
    save(session, lead, review, RatingInput(score=3), client_id=client_id)
    with pytest.raises(Conflict) as refused:
        save(session, lead, review, RatingInput(score=4), client_id=client_id)
    assert refused.value.key == "err_client_id_reused"
    session.rollback()
    assert [r.score for r in stored(session, review, lead)] == [3.0]


def test_a_change_built_on_an_older_revision_is_refused_with_the_current_value(
    session: Session,
) -> None:
    lead, second = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    save(session, lead, review, RatingInput(score=3), base_revision=0)
    save(session, lead, review, RatingInput(score=4), base_revision=1)
    with pytest.raises(StaleRating) as refused:
        save(session, lead, review, RatingInput(score=2), base_revision=1)
    assert refused.value.current.revision == 2
    assert refused.value.extra["current"]["score"] == 4.0
    session.rollback()
    [rating] = stored(session, review, lead)
    assert (rating.score, rating.revision) == (4.0, 2)


def test_the_same_content_again_is_unchanged_even_on_an_old_revision(session: Session) -> None:
    lead, second = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    save(session, lead, review, RatingInput(score=3, evidence=["OBS", "MIS"]))
    again = save(
        session, lead, review, RatingInput(score=3, evidence=["MIS", "OBS"]), base_revision=0
    )
    assert again.outcome == "unchanged" and again.rating.revision == 1
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "rating.saved")).all()
    assert len(events) == 1, "nothing new to audit"


def test_only_the_reviewers_on_it_rate_and_only_the_item_the_scale_has(session: Session) -> None:
    lead, second, outsider = make_user(session), make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    with pytest.raises(Forbidden):
        save(session, outsider, review, RatingInput(score=3))
    session.rollback()
    with pytest.raises(NotFound):
        save(session, lead, review, RatingInput(score=3), item="no-such-item")
    session.rollback()
    with pytest.raises(Invalid):
        save(session, lead, review, RatingInput(score=3), client_id="x" * 65)
    session.rollback()
    assert count(session, Rating) == 0


def test_after_submitting_a_change_is_refused_but_a_resent_one_is_answered(
    session: Session,
) -> None:
    lead, second = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    client_ids = {key: str(uuid.uuid4()) for key in ITEMS}
    for key in ITEMS:
        save(session, lead, review, RatingInput(score=4), item=key, client_id=client_ids[key])
    consensus.submit(
        session, principal=access.principal_for(session, user=lead), review_id=review.id or 0
    )
    session.commit()
    resent = save(
        session, lead, review, RatingInput(score=4), item=ITEMS[0], client_id=client_ids[ITEMS[0]]
    )
    assert resent.outcome == "replayed"
    with pytest.raises(Conflict) as refused:
        save(session, lead, review, RatingInput(score=1), item=ITEMS[0])
    assert refused.value.key == "err_already_submitted"
    session.rollback()
    scores = session.exec(select(Rating.score).where(col(Rating.rater_id) == lead.id)).all()
    assert set(scores) == {4.0}


def test_the_consensus_is_the_leads_and_only_once_everyone_has_submitted(
    session: Session,
) -> None:
    lead, second = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second))
    with pytest.raises(Conflict) as early:
        save(session, lead, review, RatingInput(score=3), as_consensus=True)
    assert early.value.key == "err_consensus_before_submit"
    session.rollback()
    for user, score in ((lead, 4), (second, 3)):
        for key in ITEMS:
            save(session, user, review, RatingInput(score=score), item=key)
        consensus.submit(
            session, principal=access.principal_for(session, user=user), review_id=review.id or 0
        )
        session.commit()
    with pytest.raises(Forbidden):
        save(session, second, review, RatingInput(score=3), as_consensus=True)
    session.rollback()
    settled = save(
        session,
        lead,
        review,
        RatingInput(score=3, rationale="Journalerne viser det"),
        as_consensus=True,
    )
    assert settled.outcome == "saved"
    [rating] = [r for r in stored(session, review, None) if r.item_key == "vocational-generalists"]
    assert (rating.score, rating.rationale) == (3.0, "Journalerne viser det")
