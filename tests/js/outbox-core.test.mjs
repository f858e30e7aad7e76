// The outbox's rules, apart from any browser: node --test tests/js/
// (run by tests/test_javascript.py, so `make test` runs them).
import assert from "node:assert/strict";
import { test } from "node:test";

import * as core from "../../app/static/js/outbox-core.js";

let counter = 0;
function uuid() {
  counter += 1;
  return `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`;
}

function entry(fields) {
  return {
    seq: fields.seq,
    client_id: fields.client_id || uuid(),
    user: fields.user || "amb",
    review_id: fields.review_id || 7,
    item_key: fields.item_key || "q1",
    mode: fields.mode || "rating",
    body: fields.body || { score: 3 },
    base_revision: fields.base_revision === undefined ? 0 : fields.base_revision,
    after: fields.after || null,
    created_at: "2026-11-24T10:00:00Z",
    state: fields.state || "queued",
    problem: fields.problem || null,
    ...(fields.page ? { page: fields.page } : {}),
  };
}

test("changes go oldest first, by seq, whatever order storage hands them back in", () => {
  const a = entry({ seq: 1, item_key: "a" });
  const b = entry({ seq: 2, item_key: "b" });
  const c = entry({ seq: 3, item_key: "c" });
  assert.equal(core.next([c, a, b], "amb"), a);
  assert.equal(core.next([c, b], "amb"), b);
});

test("a second change of an item waits for the first and takes its revision", () => {
  const first = entry({ seq: 1, base_revision: 4 });
  const base = core.chain([first], first, 4);
  assert.deepEqual(base, { base_revision: null, after: first.client_id });
  const second = entry({ seq: 2, base_revision: null, after: first.client_id });
  assert.equal(core.next([second, first], "amb"), first);

  const { remove, put } = core.settle([first, second], first, { kind: "ack", revision: 5 });
  assert.deepEqual(remove, [1]);
  assert.equal(put.length, 1);
  assert.equal(put[0].base_revision, 5);
  assert.equal(put[0].after, null);
  assert.equal(core.next(put, "amb").seq, 2);
});

test("a change with nothing waiting before it rests on the page's revision", () => {
  const other = entry({ seq: 1, item_key: "other" });
  assert.deepEqual(core.chain([other], entry({ item_key: "q1" }), 9), {
    base_revision: 9,
    after: null,
  });
  // A refused change of the item is not something to build on.
  const refused = entry({ seq: 2, state: "refused" });
  assert.deepEqual(core.chain([refused], entry({}), 9), { base_revision: 9, after: null });
});

test("another tab's waiting change is not built on: the two meet as a conflict", () => {
  const there = entry({ seq: 1, base_revision: 3, page: "tab-a" });
  const here = entry({ seq: 2, page: "tab-b" });
  assert.deepEqual(core.chain([there], here, 3), { base_revision: 3, after: null });
  // The same tab's own waiting change is built on, as before.
  const mine = entry({ seq: 3, page: "tab-b" });
  assert.deepEqual(core.chain([there, mine], here, 3), {
    base_revision: null,
    after: mine.client_id,
  });
  // An entry kept from before tabs were told apart chains as it did.
  const older = entry({ seq: 4 });
  assert.deepEqual(core.chain([older], here, 3), { base_revision: null, after: older.client_id });
});

test("a change made before a reload, put back on the screen, is built on", () => {
  // Offline, the reviewer changed the item, then reloaded: the new page showed that
  // change on its form, so a change made now rests on it, not on the page's revision
  // (which would meet the reviewer's own earlier change as a conflict).
  const before = entry({ seq: 1, base_revision: 3, page: "before-reload" });
  const now = entry({ seq: 2, page: "after-reload" });
  assert.deepEqual(core.chain([before], now, 3, new Set([before.client_id])), {
    base_revision: null,
    after: before.client_id,
  });
  assert.deepEqual(core.chain([before], now, 3, new Set()), { base_revision: 3, after: null });
});

test("a conflict holds the later changes of its item, not the other items", () => {
  const conflict = entry({ seq: 1, item_key: "a", state: "conflict" });
  const later = entry({ seq: 2, item_key: "a", base_revision: null, after: conflict.client_id });
  const other = entry({ seq: 3, item_key: "b" });
  assert.equal(core.next([conflict, later, other], "amb"), other);
  assert.equal(core.next([conflict, later], "amb"), null);
});

test("keeping one's own value sends it again on the stored revision", () => {
  const conflict = entry({
    seq: 1,
    base_revision: 2,
    state: "conflict",
    problem: { code: "err_stale_rating", current: { revision: 6, score: 2 } },
  });
  const kept = core.keepMine(conflict);
  assert.equal(kept.state, "queued");
  assert.equal(kept.base_revision, 6);
  assert.equal(kept.problem, null);
  assert.equal(core.next([kept], "amb"), kept);
});

test("taking the stored value withdraws the change and what was built on it, nothing else", () => {
  const conflict = entry({ seq: 1, state: "conflict" });
  const later = entry({ seq: 2, base_revision: null, after: conflict.client_id });
  const other = entry({ seq: 3, item_key: "b" });
  const earlierRefused = entry({ seq: 0, state: "refused" });
  assert.deepEqual(core.useStored([earlierRefused, conflict, later, other], conflict), [1, 2]);
});

test("a refused change stays to be seen, and what came after it rests on its base", () => {
  const refused = entry({ seq: 1, base_revision: 3 });
  const later = entry({ seq: 2, base_revision: null, after: refused.client_id });
  const problem = { status: 409, code: "err_review_finalised", message: "afsluttet" };
  const { remove, put } = core.settle([refused, later], refused, { kind: "refused", problem });
  assert.deepEqual(remove, []);
  const kept = put.find((e) => e.seq === 1);
  assert.equal(kept.state, "refused");
  assert.equal(kept.problem.code, "err_review_finalised");
  assert.equal(kept.body.score, 3); // the value is kept, to be shown
  const next = put.find((e) => e.seq === 2);
  assert.equal(next.base_revision, 3);
  assert.equal(next.after, null);
});

test("a broken change leaves the queue and does not block the rest", () => {
  const broken = entry({ seq: 1, review_id: 999 });
  const other = entry({ seq: 2, item_key: "b" });
  const { remove } = core.settle([broken, other], broken, {
    kind: "broken",
    problem: { status: 404, code: "not_found" },
  });
  assert.deepEqual(remove, [1]);
  assert.equal(core.next([other], "amb"), other);
});

test("damaged entries are recognised and skipped, never sent", () => {
  const good = entry({ seq: 3, item_key: "b" });
  const damaged = [
    { seq: 1, client_id: "not-a-uuid", user: "amb", review_id: 7, item_key: "a" },
    { ...entry({ seq: 2 }), body: "{not json" },
    { ...entry({ seq: 4 }), review_id: "7" },
    { ...entry({ seq: 5 }), mode: "other" },
    { ...entry({ seq: 6 }), item_key: "../../admin" },
    { ...entry({ seq: 7 }), base_revision: -1 },
    null,
  ];
  for (const bad of damaged) assert.equal(core.isWellFormed(bad), false, JSON.stringify(bad));
  assert.equal(core.isWellFormed(good), true);
  assert.equal(core.next([...damaged.filter(Boolean), good], "amb"), good);
});

test("another person's changes are never sent under the signed-in user", () => {
  const theirs = entry({ seq: 1, user: "amb.other" });
  const mine = entry({ seq: 2, user: "amb", item_key: "b" });
  assert.equal(core.next([theirs, mine], "amb"), mine);
  assert.equal(core.next([theirs], "amb"), null);
  assert.equal(core.next([theirs], "amb.other"), theirs);
  const summary = core.summary([theirs, mine], "amb");
  assert.equal(summary.mine, 1);
  assert.deepEqual(summary.others, { "amb.other": 1 });
});

test("the server's answers are sorted so that only failures of delivery are retried", () => {
  assert.equal(core.classify(200, { outcome: "saved" }), "ack");
  assert.equal(core.classify(200, { outcome: "replayed" }), "ack"); // already there: a no-op
  assert.equal(core.classify(409, { code: "err_stale_rating" }), "conflict");
  assert.equal(core.classify(409, { code: "err_review_finalised" }), "refused");
  assert.equal(core.classify(409, { code: "err_already_submitted" }), "refused");
  assert.equal(core.classify(409, { code: "err_client_id_reused" }), "broken");
  assert.equal(core.classify(409, { code: "err_outbox_other_user" }), "wrong-user");
  assert.equal(core.classify(422, { code: "err_figure_range" }), "refused");
  assert.equal(core.classify(404, { code: "not_found" }), "broken");
  assert.equal(core.classify(401, null), "signin");
  assert.equal(core.classify(403, { code: "err_not_reviewer" }), "refused");
  assert.equal(core.classify(403, { code: "csrf_failed" }), "signin"); // a stale token
  for (const status of [0, 408, 429, 500, 502, 503]) assert.equal(core.classify(status, null), "retry");
});

test("replaying an entry sends the same client_id and base, so the server stores it once", () => {
  const queued = entry({ seq: 1, base_revision: 2 });
  const first = core.payloadOf(queued);
  const again = core.payloadOf(queued);
  assert.deepEqual(first, again);
  assert.equal(first.client_id, queued.client_id);
  assert.equal(first.base_revision, 2);
  assert.equal(core.urlOf(queued), "/api/v1/reviews/7/ratings/q1");
  assert.equal(core.urlOf({ ...queued, mode: "consensus" }), "/api/v1/reviews/7/consensus/q1");
});

test("a form becomes the API's body by the same rules as the page's own form route", () => {
  const anchored = { kind: "anchored", perConsultant: false };
  assert.deepEqual(
    core.bodyOf([["score", "4"], ["note", "god"], ["evidence", "INT"], ["base_revision", "3"]], anchored, "rating").body,
    { score: 4, not_rated_reason: null, note: "god", evidence: ["INT"], inputs: null },
  );
  // Not rated wins over a level left checked, and carries its reason.
  const notRated = core.bodyOf([["score", "2"], ["not_rated", "1"], ["not_rated_reason", "ingen data"]], anchored, "rating");
  assert.equal(notRated.body.score, null);
  assert.equal(notRated.body.not_rated_reason, "ingen data");
  // A banded figure in Danish notation, with its level.
  const banded = { kind: "banded", perConsultant: false };
  const figure = core.bodyOf([["figure", "12,5"], ["score", "3"]], banded, "rating").body;
  assert.deepEqual(figure.inputs, { figure: 12.5 });
  assert.equal(figure.score, 3);
  assert.deepEqual(core.bodyOf([["figure", "1e3"]], banded, "rating"), { error: "figure" });
  // A checklist: the ticks are the score's basis; "none present" is an empty list.
  const checklist = { kind: "checklist", perConsultant: false };
  assert.deepEqual(core.bodyOf([["ticked", "a"], ["ticked", "b"]], checklist, "rating").body.inputs, { ticked: ["a", "b"] });
  assert.deepEqual(core.bodyOf([["none_present", "1"]], checklist, "rating").body.inputs, { ticked: [] });
  assert.equal(core.bodyOf([], checklist, "rating").body.inputs, null);
  // A target: how many met it of how many, or else the share; the score is worked out.
  const target = { kind: "target", perConsultant: false };
  const counted = core.bodyOf([["met", "81"], ["cases", "90"], ["share", ""]], target, "rating").body;
  assert.deepEqual(counted.inputs, { met: 81, cases: 90 });
  assert.equal(counted.score, null);
  assert.deepEqual(core.bodyOf([["share", "87,5"]], target, "rating").body.inputs, { share: 87.5 });
  assert.deepEqual(core.bodyOf([["met", "8"], ["cases", "x"]], target, "rating"), { error: "figure" });
  // Per consultant: empty rows are left out.
  const consultants = { kind: "anchored", perConsultant: true };
  assert.deepEqual(
    core.bodyOf([["consultant_score", "4"], ["consultant_score", ""], ["consultant_score", "2"]], consultants, "rating").body.inputs,
    { consultants: [{ score: 4 }, { score: 2 }] },
  );
  // The consensus keeps an average no level stands for, and carries its texts.
  const consensus = core.bodyOf([["current_score", "2.5"], ["rationale", "enige"]], anchored, "consensus").body;
  assert.equal(consensus.kept_score, 2.5);
  assert.equal(consensus.rationale, "enige");
  assert.equal(consensus.score, null);
});

test("the downloaded file holds every entry in order, with what the server said", () => {
  const b = entry({ seq: 2, state: "refused", problem: { code: "err_review_finalised" } });
  const a = entry({ seq: 1 });
  const file = core.exportFile([b, a], "amb", "2026-11-24T12:00:00Z");
  assert.equal(file.format, "ips-fidelity-outbox");
  assert.equal(file.version, 1);
  assert.deepEqual(file.entries.map((e) => e.client_id), [a.client_id, b.client_id]);
  assert.equal(file.entries[1].problem.code, "err_review_finalised");
  assert.equal("seq" in file.entries[0], false);
});

test("a change's id is a version 4 UUID, new each time", () => {
  const ids = new Set(Array.from({ length: 100 }, () => core.newClientId()));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("'not rated' is sent only with its reason", () => {
  const item = { kind: "anchored", perConsultant: false };
  assert.deepEqual(core.bodyOf([["not_rated", "1"], ["not_rated_reason", "  "]], item, "rating"), {
    pending: "reason",
  });
  const done = core.bodyOf([["not_rated", "1"], ["not_rated_reason", "Ingen data"]], item, "rating");
  assert.equal(done.body.not_rated_reason, "Ingen data");
});

test("what a consensus change still lacks is known at the tap", () => {
  const rules = { agreed: false, agreedScore: null, threshold: 2 };
  const body = (fields) => ({ score: null, not_rated_reason: null, rationale: "", recommendation: "", ...fields });
  assert.deepEqual(core.missing(body({ score: 3 }), rules), ["rationale"]);
  assert.deepEqual(core.missing(body({ score: 3, rationale: "Set i MIS" }), rules), []);
  assert.deepEqual(core.missing(body({ score: 2, rationale: "x" }), rules), ["recommendation"]);
  assert.deepEqual(core.missing(body({}), rules), []); // nothing chosen yet: nothing to say
  const agreed = { agreed: true, agreedScore: 4, threshold: 2 };
  assert.deepEqual(core.missing(body({ score: 4 }), agreed), []); // as the reviewers said
  assert.deepEqual(core.missing(body({ score: 5 }), agreed), ["rationale"]); // departs from it
  assert.deepEqual(core.missing(body({ not_rated_reason: "Ukendt" }), agreed), ["rationale"]);
});

// A change of a measurement round's field group, as the team's part and the ambassadors'
// assessment record them.
function roundEntry(fields) {
  const base = entry({ ...fields, mode: fields.mode || "point" });
  delete base.review_id;
  return { ...base, round_id: fields.round_id || 3, language: fields.language || "da" };
}

test("a round's changes go to the round's API, a figure read in the page's language", () => {
  assert.equal(
    core.urlOf(roundEntry({ mode: "point", item_key: "funding" })),
    "/api/v1/rounds/3/points/funding",
  );
  assert.equal(
    core.urlOf(roundEntry({ mode: "assessment", item_key: "funding" })),
    "/api/v1/rounds/3/assessment/funding",
  );
  assert.equal(
    core.urlOf(roundEntry({ mode: "figure", item_key: "caseload", language: "en" })),
    "/api/v1/rounds/3/figures/caseload?lang=en",
  );
  assert.equal(
    core.urlOf(roundEntry({ mode: "figure", item_key: "caseload", language: "xx" })),
    "/api/v1/rounds/3/figures/caseload?lang=da",
  );
  assert.equal(
    core.urlOf(roundEntry({ mode: "documents", item_key: "documents" })),
    "/api/v1/rounds/3/documents",
  );
});

test("a round's change names its round; without one it is damaged, never sent", () => {
  assert.ok(core.isWellFormed(roundEntry({})));
  const noRound = roundEntry({});
  delete noRound.round_id;
  assert.ok(!core.isWellFormed({ ...noRound, review_id: 3 }));
  assert.ok(!core.isWellFormed(roundEntry({ mode: "sideways" })));
  assert.equal(core.next([{ ...noRound, seq: 1 }], "amb"), null);
});

test("a point of a round and an item of a review with the same id and key are two items", () => {
  const rating = entry({ seq: 1, review_id: 3, item_key: "funding" });
  const point = roundEntry({ seq: 2, round_id: 3, item_key: "funding" });
  assert.notEqual(core.itemOf(rating), core.itemOf(point));
  const change = { user: "amb", round_id: 3, mode: "point", item_key: "funding", page: "p" };
  assert.deepEqual(core.chain([rating], change, 4), { base_revision: 4, after: null });
  assert.deepEqual(core.chain([rating, point], change, 4), {
    base_revision: null,
    after: point.client_id,
  });
  const latest = core.latestByItem([rating, point], "amb", 3, "point");
  assert.equal(latest.get("funding"), point);
});

test("a round's field group becomes its API's body", () => {
  const point = core.bodyOf(
    [["level", "3"], ["description", "Forhandlet"], ["evidence_date", ""], ["evidence_document", "Udkast"]],
    {},
    "point",
  );
  assert.deepEqual(point.body, {
    level: 3,
    description: "Forhandlet",
    evidence_date: null,
    evidence_document: "Udkast",
  });
  const cleared = core.bodyOf([["level", ""], ["description", ""]], {}, "assessment");
  assert.equal(cleared.body.level, null);
  const figure = core.bodyOf([["value", " 1.234,5 timer "], ["note", "uge 12"]], {}, "figure");
  assert.deepEqual(figure.body, { value: "1.234,5 timer", consultants: null, note: "uge 12" });
  const each = core.bodyOf(
    [["consultant", "4,5"], ["consultant", ""], ["consultant", "6"], ["note", ""]],
    { perConsultant: true },
    "figure",
  );
  assert.deepEqual(each.body, { value: null, consultants: ["4,5", "6"], note: "" });
  const none = core.bodyOf([["consultant", ""]], { perConsultant: true }, "figure");
  assert.equal(none.body.consultants, null);
  const documents = core.bodyOf(
    [["document", "implementation-plan"], ["document", "career-profiles"], ["note", "på mødet"]],
    {},
    "documents",
  );
  assert.deepEqual(documents.body, {
    documents: ["implementation-plan", "career-profiles"],
    note: "på mødet",
  });
});

test("a round's change made on an older revision is a conflict to settle", () => {
  assert.equal(core.classify(409, { code: "err_stale_point" }), "conflict");
  assert.equal(core.classify(409, { code: "err_stale_figure" }), "conflict");
  assert.equal(core.classify(409, { code: "err_stale_documents" }), "conflict");
  assert.equal(core.classify(409, { code: "err_round_submitted" }), "refused");
  assert.equal(core.classify(422, { code: "err_figure_whole" }), "refused");
});

test("the downloaded file names a round's change by its round and language", () => {
  const file = core.exportFile([roundEntry({ seq: 1, mode: "figure", item_key: "caseload" })], "amb", "now");
  const [only] = file.entries;
  assert.equal(only.round_id, 3);
  assert.equal(only.language, "da");
  assert.ok(!("review_id" in only));
});
