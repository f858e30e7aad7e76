// Recording: a person's change of a form becomes an entry in the store, read at the
// tap, chained on the item's earlier change still waiting (outbox-core.js's chain), and
// then handed to the sender; and, when a page opens, each form put back as the reviewer
// last left it. It never sends a request itself and draws an item's state only through
// items.js.

import * as core from "../outbox-core.js";
import {
  bodyOf,
  changedSinceRendered,
  changeOf,
  editing,
  formsOnPage,
  ownerOfForm,
  putBack,
  revisionOnPage,
  setRevision,
} from "./forms.js";
import {
  showDevice,
  showFigureError,
  showKnown,
  showNotSaved,
  showPending,
  showProblem,
} from "./items.js";
import { pump } from "./sender.js";
import { me, pageId, shownHere, status } from "./state.js";
import { dropKnown, knownKey, readAll, update } from "./store.js";
import { refresh } from "./view.js";

let recording = Promise.resolve();
let inFlight = 0;

// The form is read now, at the tap: a later tap queued behind this one must not be
// taken for it.
const tapped = new WeakSet(); // forms changed by the reviewer since this page opened

// Whether a change is being written to the device.
export function writing() {
  return inFlight > 0;
}

// When every change recorded so far is written to the device.
export function written() {
  return recording.catch(() => {});
}

// `pageOnly`: a tap made before this script ran rests on the page's own revision (the
// device may know a newer one the page does not show; then it is a conflict to settle).
export function record(form, pageOnly = false) {
  tapped.add(form);
  const result = bodyOf(form);
  if (result.pending) {
    // "Not rated" without its reason yet: say what is needed, send nothing.
    showPending(form);
    return recording;
  }
  if (!result.error) {
    // Nothing changed since the last change recorded: nothing to record.
    if (form.lastBody && core.sameBody(result.body, form.lastBody)) return recording;
    form.lastBody = result.body;
  }
  inFlight += 1;
  recording = recording
    .then(() => recordNow(form, result, pageOnly))
    .catch((error) => {
      status.noStorage = true;
      showNotSaved(form, error.message || error);
    })
    .finally(() => {
      inFlight -= 1;
    });
  return recording;
}

async function recordNow(form, result, pageOnly) {
  if (result.error) {
    showFigureError(form);
    return;
  }
  const change = changeOf(form, pageId);
  const draft = { clientId: core.newClientId(), change, body: result.body, pageOnly };
  draft.pageRevision = revisionOnPage(form);
  let conflict = null;
  await update((entries, saved) => {
    conflict = entries.find(
      (other) => other.state === "conflict" && core.itemOf(other) === core.itemOf(change),
    ) || null;
    return planOf(entries, saved, draft);
  }, knownKey(me, core.ownerOf(change), change.mode, change.item_key));
  // While the item is in conflict the choice stays on screen, now with the newest value
  // as the reviewer's own (keeping it sends every change made since, in order).
  if (conflict) showProblem(form, { ...conflict, body: result.body });
  else showDevice(form, result.body);
  refresh();
  pump();
}

// The new entry, and the refusals of its item it answers, in the transaction that read
// the queue and the item's acknowledged value (`saved`).
function planOf(entries, saved, draft) {
  // The revision the server last acknowledged for this tab's own change is read in
  // this same transaction: an answer settled a moment ago has written it, and removed
  // its change, at once. Another tab's newer revision is not taken: that tab's value
  // was not on this screen when this change was made.
  const newer =
    !draft.pageOnly && saved && saved.revision > draft.pageRevision && saved.page === pageId;
  const revision = newer ? saved.revision : draft.pageRevision;
  const base = core.chain(entries, draft.change, revision, shownHere);
  const entry = {
    client_id: draft.clientId,
    ...draft.change,
    body: draft.body,
    base_revision: base.base_revision,
    after: base.after,
    created_at: new Date().toISOString(),
    state: "queued",
    problem: null,
  };
  // A new change of the item answers a refusal of it still shown: the new value is
  // what the reviewer means now.
  const superseded = entries
    .filter((other) => other.state === "refused" && core.itemOf(other) === core.itemOf(entry))
    .map((other) => other.seq);
  return { remove: superseded, put: [entry] };
}

const typing = new WeakMap();

export function onChange(event) {
  const form = event.target instanceof Element ? event.target.closest("form[data-outbox]") : null;
  if (!form) return;
  clearTimeout(typing.get(form));
  record(form);
}

// Typing in a text field is recorded after a second's pause (and at once when it loses
// focus, by the change event): a textarea anywhere, and a round's one-line fields too
// (a figure, a note, a document's name), which a team may leave by closing the tablet.
export function onInput(event) {
  const field = event.target;
  const typed =
    field instanceof HTMLTextAreaElement ||
    (field instanceof HTMLInputElement && field.type === "text" && field.closest("form[data-round]"));
  if (!typed) return;
  const form = field.closest("form[data-outbox]");
  if (!form) return;
  clearTimeout(typing.get(form));
  typing.set(
    form,
    setTimeout(() => record(form), 1000),
  );
}

// Each form as the reviewer last left it: the value the server last acknowledged if the
// page is older than it, then the latest change still waiting on this device.
export async function restore() {
  const forms = formsOnPage();
  if (!forms.length || status.noStorage) return;
  // A tap made while the page was still loading, before this script listened, would
  // otherwise be taken for what the page came with: it is recorded now, and wins over
  // anything kept on the device for its item. Every other form starts from what the
  // page came with, at once (before waiting for IndexedDB): a tap made while this runs
  // is then a change, recorded by its own event.
  const early = new Set(forms.filter(changedSinceRendered));
  for (const form of forms) {
    if (!early.has(form) && form.lastBody === undefined) form.lastBody = bodyOf(form).body;
  }
  const entries = await readAll("outbox");
  const known = await readAll("known");
  // What is put back on a form: only on one the reviewer has not touched meanwhile.
  const untouched = (form) => !early.has(form) && !tapped.has(form) && !editing(form);
  const stale = putBackKnown(forms, known, untouched);
  putBackWaiting(forms, entries, untouched);
  if (stale.length) await dropKnown(stale);
  early.forEach((form) => record(form, true));
}

// The values the server acknowledged that this page is older than; returns the keys of
// those it knows as much or more of (to forget).
function putBackKnown(forms, known, untouched) {
  const knownByKey = new Map(known.map((item) => [item.key, item]));
  const stale = [];
  for (const form of forms) {
    const key = knownKey(me, ownerOfForm(form), form.dataset.mode, form.dataset.item);
    const saved = knownByKey.get(key);
    if (saved && saved.revision > revisionOnPage(form) && untouched(form)) {
      putBack(form, saved.body);
      setRevision(form, saved.revision);
      showKnown(form, saved);
    } else if (saved && saved.revision <= revisionOnPage(form)) {
      stale.push(key);
    }
  }
  return stale;
}

// Each item's latest change still waiting on this device, with its state.
function putBackWaiting(forms, entries, untouched) {
  for (const form of forms) {
    const latest = core.latestByItem(entries, me, ownerOfForm(form), form.dataset.mode);
    const entry = latest.get(form.dataset.item);
    if (!entry || !untouched(form)) continue;
    putBack(form, entry.body);
    shownHere.add(entry.client_id);
    const conflict = entries.find(
      (other) =>
        other.state === "conflict" && other.user === me && core.itemOf(other) === core.itemOf(entry),
    );
    if (conflict) showProblem(form, { ...conflict, body: entry.body });
    else if (entry.state === "queued") showDevice(form, entry.body);
    else showProblem(form, entry);
  }
}
