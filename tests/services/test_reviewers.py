"""Taking a reviewer off a review in progress: a disabled reviewer no longer holds the
review up; the lead or an administrator replaces or removes them with a reason, their
ratings stay for the record but out of the consensus, and the review says why they are
missing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditEvent, RaterKind, Rating, Review, ReviewReviewer, Role, User
from app.scales.rules import RatingInput
from app.services import access, consensus, ratings, review_view, reviewers, tokens, users
from app.services.access import Principal
from tests.factories import make_review, make_user, shipped_scale
from tests.web.signin import parse, sign_in

ITEMS = [item.key for item in shipped_scale().items]


def principal(session: Session, user: User) -> Principal:
    return access.principal_for(session, user=user)


def score_all(session: Session, user: User, review: Review, score: int = 4) -> None:
    for key in ITEMS:
        ratings.save_rating(
            session,
            principal=principal(session, user),
            review_id=review.id or 0,
            item_key=key,
            change=RatingInput(score=score),
            client_id=None,
        )
    session.commit()


def disable(session: Session, user: User) -> None:
    regions, teams = users.user_scope(session, user_id=user.id or 0)
    users.update_user(
        session, by=Principal.system(), user=user, display_name=user.display_name,
        role=Role(user.role), is_active=False, regions=regions, teams=teams,
    )  # fmt: skip
    session.commit()


def links(session: Session, review: Review) -> dict[int, ReviewReviewer]:
    rows = session.exec(select(ReviewReviewer).where(ReviewReviewer.review_id == review.id))
    return {link.user_id: link for link in rows}


def test_a_disabled_reviewer_is_removed_and_the_consensus_goes_on(session: Session) -> None:
    lead, second, gone = (make_user(session) for _ in range(3))
    review = make_review(session, reviewers=(lead, second, gone))
    score_all(session, gone, review, score=1)  # scored, then the account was disabled
    disable(session, gone)
    score_all(session, lead, review)
    consensus.submit(session, principal=principal(session, lead), review_id=review.id or 0)
    score_all(session, second, review)
    consensus.submit(session, principal=principal(session, second), review_id=review.id or 0)
    session.commit()
    assert session.get(Review, review.id).status == "scoring", "waits for the disabled one"

    reviewers.take_off(
        session,
        principal=principal(session, lead),
        review_id=review.id or 0,
        username=gone.username,
        reason="Kontoen er lukket; har forladt korpset",
    )
    session.commit()

    session.refresh(review)
    assert review.status == "consensus", "no longer waiting for them"
    place = links(session, review)[gone.id or 0]
    assert place.removed_at is not None and place.removed_by_id == lead.id
    assert place.removed_reason == "Kontoen er lukket; har forladt korpset"
    kept = session.exec(
        select(Rating).where(Rating.review_id == review.id, Rating.rater_id == gone.id)
    ).all()
    assert len(kept) == 25, "their ratings stay for the record"
    settled = session.exec(
        select(Rating.score).where(
            Rating.review_id == review.id, Rating.rater_kind == RaterKind.CONSENSUS
        )
    ).all()
    assert settled and set(settled) == {4}, "made from the two who remain"
    view = review_view.scoring_view(
        session, principal=principal(session, lead), review_id=review.id or 0
    )
    assert [u.id for u, _ in view.removed] == [gone.id]
    assert view.agreement().raters == 2
    [event] = session.exec(
        select(AuditEvent).where(AuditEvent.action == "review.reviewer_removed")
    ).all()
    assert event.after and event.after["reviewer"] == gone.username
    with pytest.raises(Forbidden):  # taken off it: scores no more
        ratings.save_rating(
            session, principal=principal(session, gone), review_id=review.id or 0,
            item_key=ITEMS[0], change=RatingInput(score=5), client_id=None,
        )  # fmt: skip


def test_two_reviewers_are_kept_and_a_replacement_scores(session: Session) -> None:
    lead, gone, newcomer = (make_user(session) for _ in range(3))
    review = make_review(session, reviewers=(lead, gone))

    with pytest.raises(Invalid) as refused:
        reviewers.take_off(
            session,
            principal=principal(session, lead),
            review_id=review.id or 0,
            username=gone.username,
            reason="Syg",
        )
    assert refused.value.key == "err_too_few_reviewers"
    with pytest.raises(Invalid) as no_reason:
        reviewers.take_off(
            session,
            principal=principal(session, lead),
            review_id=review.id or 0,
            username=gone.username,
            reason="  ",
            replacement=newcomer.username,
        )
    assert no_reason.value.key == "err_reviewer_reason"
    session.rollback()
    assert all(link.removed_at is None for link in links(session, review).values())

    reviewers.take_off(
        session,
        principal=principal(session, lead),
        review_id=review.id or 0,
        username=gone.username,
        reason="Syg i længere tid",
        replacement=newcomer.username,
    )
    session.commit()

    score_all(session, newcomer, review)
    assert set(links(session, review)) == {lead.id, gone.id, newcomer.id}
    active = consensus.links_of(session, review_id=review.id or 0)
    assert set(active) == {lead.id, newcomer.id} and active[lead.id or 0].is_lead


def test_the_lead_taken_off_during_the_consensus_passes_the_lead_on(session: Session) -> None:
    lead, second = make_user(session), make_user(session)
    admin = make_user(session, role=Role.ADMIN)
    newcomer = make_user(session)
    review = make_review(session, reviewers=(lead, second))
    for user in (lead, second):
        score_all(session, user, review)
        consensus.submit(session, principal=principal(session, user), review_id=review.id or 0)
    session.commit()
    with pytest.raises(Invalid) as refused:
        reviewers.take_off(
            session,
            principal=principal(session, admin),
            review_id=review.id or 0,
            username=lead.username,
            reason="Orlov",
        )
    assert refused.value.key == "err_new_lead_needed"
    with pytest.raises(Forbidden):  # not the lead, not an administrator
        reviewers.take_off(
            session,
            principal=principal(session, second),
            review_id=review.id or 0,
            username=lead.username,
            reason="Orlov",
        )
    session.rollback()

    reviewers.take_off(
        session,
        principal=principal(session, admin),
        review_id=review.id or 0,
        username=lead.username,
        reason="Orlov",
        replacement=newcomer.username,
    )
    session.commit()

    active = consensus.links_of(session, review_id=review.id or 0)
    assert active[newcomer.id or 0].is_lead and active[newcomer.id or 0].submitted_at
    consensus.finalise(session, principal=principal(session, newcomer), review_id=review.id or 0)
    session.commit()
    assert session.get(Review, review.id).status == "finalised"
    with pytest.raises(Conflict):
        reviewers.take_off(
            session,
            principal=principal(session, admin),
            review_id=review.id or 0,
            username=second.username,
            reason="For sent",
        )


def test_the_review_page_says_who_is_missing_and_why(client: TestClient, session: Session) -> None:
    lead = make_user(session, display_name="Lea Lead")
    gone = make_user(session, display_name="Gitte Gone")
    third = make_user(session, display_name="Tom Third")
    review = make_review(session, reviewers=(lead, gone, third))
    disable(session, gone)
    session.commit()
    token = sign_in(client, lead.username)

    page = parse(client.get(f"/reviews/{review.id}").text)
    listed = page.select_one(".reviewer-list").get_text(" ", strip=True)
    assert "Gitte Gone" in listed and "kontoen er deaktiveret" in listed
    form = page.select_one(f'form[action="/reviews/{review.id}/reviewers/{gone.id}"]')
    assert form is not None and form.select_one("textarea[required]") is not None

    empty = client.post(
        f"/reviews/{review.id}/reviewers/{gone.id}", data={"reason": ""},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert empty.status_code == 422
    assert "Skriv hvorfor" in parse(empty.text).select_one("#reviewer-error").get_text()
    # a refusal keeps what was typed and chosen: the lead only corrects what is wrong
    alone = make_review(session, reviewers=(lead, gone))
    refused = client.post(
        f"/reviews/{alone.id}/reviewers/{gone.id}",
        data={"reason": "Har forladt korpset", "replacement": ""},
        headers={"X-CSRF-Token": token},
    )
    assert refused.status_code == 422
    kept = parse(refused.text).select_one(f"#reason-{gone.id}")
    assert kept.get_text() == "Har forladt korpset" and kept.find_parent("details").has_attr("open")
    assert "mindst 2" in parse(refused.text).select_one("#reviewer-error").get_text()
    done = client.post(
        f"/reviews/{review.id}/reviewers/{gone.id}", data={"reason": "Har forladt korpset"},
        headers={"X-CSRF-Token": token}, follow_redirects=True,
    )  # fmt: skip
    page = parse(done.text)
    missing = page.select_one(".reviewer-list.removed").get_text(" ", strip=True)
    assert "Gitte Gone" in missing and "Har forladt korpset" in missing
    assert "Lea Lead" in missing  # who took them off
    history = [li.get_text(" ", strip=True) for li in page.select("ol.history li")]
    assert any("Bedømmer fjernet" in line and "Har forladt korpset" in line for line in history)


def test_a_reviewer_taken_off_counts_nowhere_and_no_longer_sees_the_review(
    session: Session,
) -> None:
    from app.services import exports, profiles
    from app.services.national_filters import Filters, chosen_versions

    lead, second = make_user(session), make_user(session)
    elsewhere = make_user(session, regions=(1081,))  # sees the review only by being on it
    review = make_review(session, reviewers=(lead, second, elsewhere))
    score_all(session, elsewhere, review, score=1)
    assert access.visible_review(
        session, principal=principal(session, elsewhere), review_id=review.id or 0
    )

    reviewers.take_off(
        session,
        principal=principal(session, lead),
        review_id=review.id or 0,
        username=elsewhere.username,
        reason="Flyttet til en anden region",
    )
    for user in (lead, second):
        score_all(session, user, review)
        consensus.submit(session, principal=principal(session, user), review_id=review.id or 0)
    consensus.finalise(session, principal=principal(session, lead), review_id=review.id or 0)
    session.commit()

    with pytest.raises(NotFound):  # answered as if it did not exist
        access.visible_review(
            session, principal=principal(session, elsewhere), review_id=review.id or 0
        )
    result = profiles.finalised_review(
        session, principal=Principal.system(), review_id=review.id or 0
    )
    assert len(result.reviewers) == 2, "the report credits those who made it"
    scope = exports.Scope.of(chosen_versions(session, filters=Filters()), Filters())
    table = exports.ratings(session.connection(), scope=scope)
    raters = {row[10] for row in table.rows if row[0] == review.id}
    assert elsewhere.username not in raters and {lead.username, "consensus"} <= raters


def test_the_steps_that_change_the_figures_move_their_version(session: Session) -> None:
    """What is kept between requests (the national overview, a team's national figures,
    the teams due) is made again when the version moves: taking a reviewer off, a
    finalising and a reopening move it, through the services that do them; ratings and
    submitting do not."""
    from app.services import audit

    lead, second, gone = (make_user(session) for _ in range(3))
    review = make_review(session, reviewers=(lead, second, gone))
    version = audit.figures_version(session)

    reviewers.take_off(
        session,
        principal=principal(session, lead),
        review_id=review.id or 0,
        username=gone.username,
        reason="Har forladt korpset",
    )
    session.commit()
    assert audit.figures_version(session) == version + 1
    for user in (lead, second):
        score_all(session, user, review)
        consensus.submit(session, principal=principal(session, user), review_id=review.id or 0)
    session.commit()
    assert audit.figures_version(session) == version + 1, "ratings leave the figures be"
    consensus.finalise(session, principal=principal(session, lead), review_id=review.id or 0)
    session.commit()
    assert audit.figures_version(session) == version + 2
    admin = make_user(session, role=Role.ADMIN)
    consensus.reopen(
        session,
        principal=principal(session, admin),
        review_id=review.id or 0,
        reason="Forkert dato",
    )
    session.commit()
    assert audit.figures_version(session) == version + 3


def test_the_api_takes_off_the_lead_and_names_who_leads_after_them(
    client: TestClient, session: Session
) -> None:
    lead, second, third = (make_user(session) for _ in range(3))
    outsider = make_user(session)
    review = make_review(session, reviewers=(lead, second, third))
    token, _ = tokens.create_token(session, by=Principal.system(), user=lead, name="tests")
    session.commit()
    address = f"/api/v1/reviews/{review.id}/reviewers/{lead.username}/remove"
    headers = {"Authorization": f"Bearer {token}"}

    refused = client.post(
        address, json={"reason": "Syg", "lead_username": outsider.username}, headers=headers
    )
    assert refused.status_code == 422 and outsider.username in refused.json()["detail"]
    unnamed = client.post(address, json={"reason": "Syg"}, headers=headers)
    assert unnamed.status_code == 422, "the lead leaving without a successor named"
    assert links(session, review)[lead.id or 0].removed_at is None, "nothing changed"

    answer = client.post(
        address, json={"reason": "Syg", "lead_username": third.username}, headers=headers
    )
    assert answer.status_code == 200
    body = answer.json()
    assert {r["username"]: r["is_lead"] for r in body["reviewers"]} == {
        second.username: False,
        third.username: True,
    }
    assert [(r["username"], r["reason"]) for r in body["removed_reviewers"]] == [
        (lead.username, "Syg")
    ]
    session.expire_all()
    stored = links(session, review)
    assert stored[third.id or 0].is_lead and stored[lead.id or 0].removed_reason == "Syg"


def test_a_lead_from_elsewhere_who_takes_themselves_off_is_done_not_refused(
    client: TestClient, session: Session
) -> None:
    """An ambassador of another region sees the review only by being on it: taking
    themselves off (naming the next lead) is kept, and answered without the review."""
    lead = make_user(session, regions=(1081,))
    second, third = make_user(session), make_user(session)
    review = make_review(session, reviewers=(lead, second, third))
    token, _ = tokens.create_token(session, by=Principal.system(), user=lead, name="tests")
    session.commit()

    answer = client.post(
        f"/api/v1/reviews/{review.id}/reviewers/{lead.username}/remove",
        json={"reason": "Skifter job", "lead_username": second.username},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.status_code == 204 and answer.content == b""
    session.expire_all()
    stored = links(session, review)
    assert stored[lead.id or 0].removed_reason == "Skifter job", "kept, not rolled back"
    assert stored[second.id or 0].is_lead
    assert not access.sees_review(
        session, principal=principal(session, lead), review_id=review.id or 0
    )

    # the same through the page: the lead is sent to the front page, not to a 404
    other = make_review(session, reviewers=(lead, second, third))
    csrf = sign_in(client, lead.username)
    done = client.post(
        f"/reviews/{other.id}/reviewers/{lead.id}",
        data={"reason": "Skifter job", "new_lead": third.username},
        headers={"X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    session.expire_all()
    assert links(session, other)[lead.id or 0].removed_reason == "Skifter job"
