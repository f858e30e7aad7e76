// The rules of the tablet's outbox, apart from the browser: which queued change goes next,
// what the server's answer does to the queue, and how a form becomes a rating change.
// Plain functions over plain data, exported as an ES module, so that node's test runner
// can check them (tests/js/outbox-core.test.mjs) and the outbox's modules import them. It
// must not touch the page, storage or the network: outbox/store.js keeps the entries in
// IndexedDB and outbox/sender.js sends them.
//
// An entry is one change a person made to one item:
//   { seq, client_id, user, review_id, item_key, mode: "rating" | "consensus", body,
//     base_revision, after, created_at, state, problem, page }
// or to one field group of a measurement round (the team's part, the ambassadors'
// assessment), which names its round instead of a review:
//   { ..., round_id, item_key, mode: "point" | "assessment" | "figure" | "documents",
//     language, ... }
// (item_key: the point's or the figure's key, "documents" for the documents; language:
// the page's, in which a figure was typed).
// page is the tab that made it (a random id per page load).
// seq orders the queue (IndexedDB's own increasing key). base_revision is the revision the
// change was made on; while an earlier change of the same item is still waiting, that
// revision is not known yet, so the entry names the earlier change in `after` instead and
// takes its revision when the server acknowledges it. state is "queued" (to send),
// "conflict" (changed elsewhere: the reviewer chooses), "refused" (the server said no, for
// a reason resending cannot change) or "broken" (not a change this app can send).

const REVIEW_MODES = new Set(["rating", "consensus"]);
const ROUND_MODES = new Set(["point", "assessment", "figure", "documents"]);
const STATES = new Set(["queued", "conflict", "refused", "broken"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY = /^[A-Za-z0-9_.-]{1,64}$/;

function isRoundMode(mode) {
  return ROUND_MODES.has(mode);
}

// The review or the round an entry changes (its mode says which).
function ownerOf(entry) {
  return isRoundMode(entry.mode) ? entry.round_id : entry.review_id;
}

// The item an entry changes, as one string: changes of one item are sent in order.
function itemOf(entry) {
  return `${entry.user}|${ownerOf(entry)}|${entry.mode}|${entry.item_key}`;
}

// Whether an entry is something this app can send (an entry read back from storage may
// have been damaged, or written by an older or a foreign version).
function isWellFormed(entry) {
  return (
    entry !== null &&
    typeof entry === "object" &&
    typeof entry.client_id === "string" &&
    UUID.test(entry.client_id) &&
    typeof entry.user === "string" &&
    entry.user.length > 0 &&
    (REVIEW_MODES.has(entry.mode) || ROUND_MODES.has(entry.mode)) &&
    Number.isInteger(ownerOf(entry)) &&
    ownerOf(entry) > 0 &&
    typeof entry.item_key === "string" &&
    KEY.test(entry.item_key) &&
    entry.body !== null &&
    typeof entry.body === "object" &&
    !Array.isArray(entry.body) &&
    (entry.base_revision === null ||
      (Number.isInteger(entry.base_revision) && entry.base_revision >= 0)) &&
    (entry.after === null || typeof entry.after === "string") &&
    STATES.has(entry.state)
  );
}

// Where a change is sent: the rating API, or the round's, both idempotent by client_id,
// so sending an entry twice stores it once. A figure is read in the language it was
// typed in ("1.234" is a thousand in Danish).
const ROUND_PARTS = { point: "points", assessment: "assessment", figure: "figures" };

function urlOf(entry) {
  const key = encodeURIComponent(entry.item_key);
  if (entry.mode === "documents") return `/api/v1/rounds/${entry.round_id}/documents`;
  if (isRoundMode(entry.mode)) {
    const url = `/api/v1/rounds/${entry.round_id}/${ROUND_PARTS[entry.mode]}/${key}`;
    return entry.mode === "figure" ? `${url}?lang=${entry.language === "en" ? "en" : "da"}` : url;
  }
  const part = entry.mode === "consensus" ? "consensus" : "ratings";
  return `/api/v1/reviews/${entry.review_id}/${part}/${key}`;
}

function payloadOf(entry) {
  const payload = { ...entry.body, client_id: entry.client_id };
  if (entry.base_revision !== null) payload.base_revision = entry.base_revision;
  return payload;
}

function sorted(entries) {
  return [...entries].sort((a, b) => a.seq - b.seq);
}

// A new change of an item: based on the last change of that item still waiting from
// the same tab (`page`), or that this tab put on its screen when it loaded (`shown`,
// client ids: a change made before a reload), if there is one, else on the revision
// the tab last knew from the server. Not on another tab's waiting change that this
// screen never showed: the two meet as a conflict, as changes from two devices do.
function chain(entries, change, knownRevision, shown = new Set()) {
  let last = null;
  for (const entry of sorted(entries)) {
    const samePage =
      !entry.page || !change.page || entry.page === change.page || shown.has(entry.client_id);
    if (
      itemOf(entry) === itemOf(change) &&
      samePage &&
      (entry.state === "queued" || entry.state === "conflict")
    ) {
      last = entry;
    }
  }
  if (last) return { base_revision: null, after: last.client_id };
  return { base_revision: knownRevision, after: null };
}

// The next change to send for `user`, or null. Changes go oldest first; a change waits
// behind an earlier change of the same item that is still queued or in conflict, and
// another person's changes are never sent (they wait for that person to sign in).
function next(entries, user) {
  const blocked = new Set();
  const byClient = new Map(entries.map((entry) => [entry.client_id, entry]));
  for (const entry of sorted(entries)) {
    if (!isWellFormed(entry)) continue;
    const item = itemOf(entry);
    if (entry.state === "conflict") blocked.add(item);
    if (entry.state !== "queued" || entry.user !== user || blocked.has(item)) continue;
    const before = entry.after === null ? null : byClient.get(entry.after);
    if (before && (before.state === "queued" || before.state === "conflict")) {
      blocked.add(item);
      continue;
    }
    // An entry whose predecessor is gone without handing on its revision (a broken
    // chain) is returned too: the sender sets it aside rather than send it unchecked.
    return entry;
  }
  return null;
}

// What kind of answer the server gave to a change.
//   ack: stored (or already stored: a replay, or the same value)
//   conflict: changed elsewhere since the change's base revision
//   refused: the server will not take it, whatever is resent (closed review, bad value)
//   broken: no such review or item, or this change's id was used for another change
//   signin: no valid session; wait for the person to sign in again
//   wrong-user: signed in as someone else than who made the change
//   retry: the network or the server failed; try the same change again later
function classify(status, problem) {
  const code = problem && typeof problem.code === "string" ? problem.code : "";
  if (status >= 200 && status < 300) return "ack";
  if (status === 401) return "signin";
  if (status === 409 && code.startsWith("err_stale_")) return "conflict";
  if (status === 409 && code === "err_outbox_other_user") return "wrong-user";
  if (status === 403 && code === "csrf_failed") return "signin";
  if (status === 404 || (status === 409 && code === "err_client_id_reused")) return "broken";
  if (status === 400 || status === 403 || status === 409 || status === 413 || status === 422) {
    return "refused";
  }
  return "retry"; // 0 (no answer), 408, 429, 5xx
}

// What an answer does to the queue: the entries to delete (by seq) and to write back.
function settle(entries, entry, outcome) {
  const remove = [];
  const put = [];
  const successors = entries.filter((other) => other.after === entry.client_id);
  if (outcome.kind === "ack") {
    remove.push(entry.seq);
    for (const other of successors) {
      put.push({ ...other, base_revision: outcome.revision, after: null });
    }
  } else if (outcome.kind === "conflict") {
    put.push({ ...entry, state: "conflict", problem: outcome.problem });
  } else {
    // Refused or broken: it was not applied, so what came after it on the same item
    // rests on what it rested on. A refused change stays (shown with its value until
    // the reviewer dismisses it); a broken one leaves the queue (the sender sets it aside).
    if (outcome.kind === "broken") remove.push(entry.seq);
    else put.push({ ...entry, state: outcome.kind, problem: outcome.problem });
    for (const other of successors) {
      put.push({ ...other, base_revision: entry.base_revision, after: entry.after });
    }
  }
  return { remove, put };
}

// The reviewer keeps their own value over the one stored elsewhere: the change is sent
// again, now based on the stored revision, so it knowingly replaces it.
function keepMine(entry) {
  const current = entry.problem && entry.problem.current;
  const revision = current && Number.isInteger(current.revision) ? current.revision : null;
  return { ...entry, state: "queued", base_revision: revision, after: null, problem: null };
}

// The reviewer takes the stored value: their change and the later ones of the same item
// (made on top of it) are withdrawn. Returns the seqs to delete.
function useStored(entries, entry) {
  return sorted(entries)
    .filter(
      (other) =>
        other.seq >= entry.seq &&
        itemOf(other) === itemOf(entry) &&
        (other.state === "queued" || other.state === "conflict"),
    )
    .map((other) => other.seq);
}

// How many changes wait, and whose: what the banner says.
function summary(entries, user) {
  const result = { mine: 0, others: {}, conflicts: 0, refused: 0, broken: 0 };
  for (const entry of entries) {
    if (!isWellFormed(entry) || entry.state === "broken") {
      result.broken += 1;
    } else if (entry.user !== user) {
      result.others[entry.user] = (result.others[entry.user] || 0) + 1;
    } else if (entry.state === "queued") {
      result.mine += 1;
    } else if (entry.state === "conflict") {
      result.conflicts += 1;
    } else {
      result.refused += 1;
    }
  }
  return result;
}

// The latest waiting change of each item of one review (or round), for showing on its form.
function latestByItem(entries, user, ownerId, mode) {
  const latest = new Map();
  for (const entry of sorted(entries)) {
    if (!isWellFormed(entry) || entry.user !== user) continue;
    if (ownerOf(entry) !== ownerId || entry.mode !== mode) continue;
    latest.set(entry.item_key, entry);
  }
  return latest;
}

// What a consensus change still lacks before the review can be finalised, said at once
// rather than at finalising: a rationale where the consensus departs from what the
// reviewers agreed on (or they disagreed), a recommendation for a score at or below the
// scale's threshold. `rules` = { agreed, agreedScore, threshold } from the item's form.
function missing(body, rules) {
  const found = [];
  const score = body.score !== null && body.score !== undefined ? body.score : body.kept_score;
  const hasScore = score !== null && score !== undefined;
  const settled = hasScore || (body.not_rated_reason !== null && body.not_rated_reason !== undefined);
  if (!settled) return found;
  const differs = !rules.agreed || !hasScore || score !== rules.agreedScore;
  if (differs && !String(body.rationale || "").trim()) found.push("rationale");
  if (hasScore && score <= rules.threshold && !String(body.recommendation || "").trim()) {
    found.push("recommendation");
  }
  return found;
}

// A form's fields (name, value pairs) as the rating API's body, following the same rules
// as the page's own form route: "not rated" excludes a score and its inputs; a figure,
// ticks or consultants' ratings are what the score is worked out from; the score itself
// goes along only for anchored and banded items (a target's, like a checklist's, is
// worked out from its counts). `item` = { kind, perConsultant }.
// Returns { body } or { error: "figure" } for a figure that is not a number.
const FIGURE = /^-?[0-9]{1,9}(\.[0-9]{1,6})?$/;

function bodyOf(fields, item, mode) {
  const all = (name) => fields.filter(([key]) => key === name).map(([, value]) => String(value));
  const one = (name) => (all(name)[0] || "").trim();
  if (isRoundMode(mode)) return { body: roundBodyOf(all, one, item, mode) };
  const notRated = one("not_rated") === "1";
  const body = {
    score: null,
    not_rated_reason: null,
    note: all("note")[0] || "",
    evidence: all("evidence"),
    inputs: null,
  };
  if (mode === "consensus") {
    body.rationale = all("rationale")[0] || "";
    body.recommendation = all("recommendation")[0] || "";
  }
  if (notRated) {
    body.not_rated_reason = all("not_rated_reason")[0] || "";
    // "Not rated" needs its reason: nothing is sent until one is written (sent without
    // it, the server would refuse it while the reviewer was still about to type).
    if (!body.not_rated_reason.trim()) return { pending: "reason" };
    return { body };
  }
  const raw = one("score");
  if (raw && !["1", "2", "3", "4", "5"].includes(raw)) return { error: "score" };
  const score = raw ? Number(raw) : null;
  if (mode === "consensus") {
    body.score = score;
    // An average (2.5 from per-consultant items) has no level button: the form carries
    // it, so that writing a rationale does not erase it.
    const kept = Number(one("current_score").replace(",", "."));
    if (score === null && one("current_score") && kept >= 1 && kept <= 5) body.kept_score = kept;
    return { body };
  }
  let inputs = null;
  if (item.perConsultant) {
    const entries = [];
    const field = item.kind === "banded" ? "consultant_figure" : "consultant_score";
    for (const value of all(field)) {
      const text = value.trim().replace(",", ".");
      if (!text) continue;
      if (!FIGURE.test(text)) return { error: "figure" };
      entries.push(item.kind === "banded" ? { figure: Number(text) } : { score: Number(text) });
    }
    if (entries.length) inputs = { consultants: entries };
  } else if (item.kind === "banded") {
    const text = one("figure").replace(",", ".");
    if (text && !FIGURE.test(text)) return { error: "figure" };
    if (text) inputs = { figure: Number(text) };
  } else if (item.kind === "checklist") {
    const ticked = all("ticked");
    if (ticked.length || one("none_present") === "1") inputs = { ticked };
  } else if (item.kind === "target") {
    // How many met the target of how many, or else the share that did (per cent).
    const met = one("met");
    const cases = one("cases");
    const share = one("share").replace(",", ".");
    if (met || cases) {
      if (!/^[0-9]{1,9}$/.test(met) || !/^[0-9]{1,9}$/.test(cases)) return { error: "figure" };
      inputs = { met: Number(met), cases: Number(cases) };
    } else if (share) {
      if (!FIGURE.test(share)) return { error: "figure" };
      inputs = { share: Number(share) };
    }
  }
  body.inputs = inputs;
  body.score = inputs === null || item.kind === "banded" ? score : null;
  return { body };
}

// A round's field group as its API's body. A figure goes as typed: the server reads it
// in the page's language, with its unit, and says what is wrong with it.
function roundBodyOf(all, one, item, mode) {
  if (mode === "documents") return { documents: all("document"), note: all("note")[0] || "" };
  if (mode === "figure") {
    const note = all("note")[0] || "";
    if (item.perConsultant) {
      const typed = all("consultant").map((value) => value.trim()).filter(Boolean);
      return { value: null, consultants: typed.length ? typed : null, note };
    }
    return { value: one("value") || null, consultants: null, note };
  }
  const level = one("level");
  return {
    level: /^[1-5]$/.test(level) ? Number(level) : null,
    description: all("description")[0] || "",
    evidence_date: one("evidence_date") || null,
    evidence_document: all("evidence_document")[0] || "",
  };
}

// Two bodies say the same thing (a change that changes nothing is not queued).
function sameBody(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// The file a reviewer can download as a last resort, and an administrator import.
function exportFile(entries, user, now) {
  return {
    format: "ips-fidelity-outbox",
    version: 1,
    exported_at: now,
    user,
    entries: sorted(entries).map((entry) => ({
      client_id: entry.client_id,
      user: entry.user,
      ...(isRoundMode(entry.mode)
        ? { round_id: entry.round_id, language: entry.language || null }
        : { review_id: entry.review_id }),
      item_key: entry.item_key,
      mode: entry.mode,
      base_revision: entry.base_revision,
      after: entry.after,
      created_at: entry.created_at,
      state: entry.state,
      problem: entry.problem || null,
      body: entry.body,
    })),
  };
}

// A random UUID (version 4) for a change. crypto.randomUUID exists only on https and
// localhost; the app may be reached over plain http on a local network, where
// getRandomValues still works.
function newClientId() {
  const crypto = globalThis.crypto;
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export {
  newClientId,
  isRoundMode,
  ownerOf,
  itemOf,
  isWellFormed,
  urlOf,
  payloadOf,
  chain,
  next,
  classify,
  settle,
  keepMine,
  useStored,
  summary,
  latestByItem,
  bodyOf,
  missing,
  sameBody,
  exportFile,
};
