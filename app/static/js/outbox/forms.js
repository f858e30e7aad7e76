// The outbox's forms of this page (form[data-outbox]: a scoring screen's items, a
// round's field groups) as the outbox reads and fills them: which form is an entry's,
// what a form says (as the API's body), the revision it rests on, and putting a value
// back on it. It draws no state (view.js does), never stores and never sends.

import * as core from "../outbox-core.js";
import { me } from "./state.js";

export function formsOnPage() {
  return Array.from(document.querySelectorAll("form[data-outbox]"));
}

// The review or round a form changes.
export function ownerOfForm(form) {
  return Number(core.isRoundMode(form.dataset.mode) ? form.dataset.round : form.dataset.review);
}

// Where a change of `form` is recorded: whose, which form, and (for a round's figure)
// the language it was typed in.
export function changeOf(form, page) {
  const change = { user: me, mode: form.dataset.mode, item_key: form.dataset.item, page };
  if (!core.isRoundMode(change.mode)) return { ...change, review_id: ownerOfForm(form) };
  return { ...change, round_id: ownerOfForm(form), language: document.documentElement.lang };
}

export function formFor(entry) {
  if (entry.user !== me) return null;
  return (
    formsOnPage().find(
      (form) =>
        ownerOfForm(form) === core.ownerOf(entry) &&
        form.dataset.mode === entry.mode &&
        form.dataset.item === entry.item_key,
    ) || null
  );
}

export function bodyOf(form) {
  const item = { kind: form.dataset.kind, perConsultant: form.dataset.perConsultant === "1" };
  return core.bodyOf(Array.from(new FormData(form)), item, form.dataset.mode);
}

// What the form says now is what was last recorded of it (nothing to record until it
// changes again).
export function remember(form) {
  const result = bodyOf(form);
  if (result.body) form.lastBody = result.body;
}

// Whether the reviewer is typing in the form (a text change not yet recorded).
export function editing(form) {
  const now = bodyOf(form).body;
  return Boolean(now && form.lastBody && !core.sameBody(now, form.lastBody));
}

function revisionInput(form) {
  return form.querySelector('input[name="base_revision"]');
}

// The revision of the item as this page last knew it from the server.
export function revisionOnPage(form) {
  const input = revisionInput(form);
  const value = input ? Number(input.value) : 0;
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

export function setRevision(form, revision) {
  const input = revisionInput(form);
  if (input && Number.isInteger(revision)) input.value = String(revision);
}

// A number as the page's language writes it.
export function number(value) {
  const text = String(value);
  return document.documentElement.lang === "da" ? text.replace(".", ",") : text;
}

// Put a change's values back on its form (a kept page is older than the change).
export function fill(form, body) {
  if (core.isRoundMode(form.dataset.mode)) {
    fillRound(form, body);
    return;
  }
  const notRated = body.not_rated_reason !== null && body.not_rated_reason !== undefined;
  check(form, 'input[name="score"]', (input) => Number(input.value) === body.score);
  check(form, 'input[name="not_rated"]', () => notRated);
  write(form, "not_rated_reason", notRated ? body.not_rated_reason : "");
  write(form, "note", body.note);
  write(form, "rationale", body.rationale);
  write(form, "recommendation", body.recommendation);
  const evidence = new Set(body.evidence || []);
  check(form, 'input[type="checkbox"][name="evidence"]', (input) => evidence.has(input.value));
  const inputs = body.inputs || {};
  fillInputs(form, inputs);
  fillConsultants(form, inputs.consultants || []);
}

// Put a value back on its form, and take it as what the form last recorded.
export function putBack(form, body) {
  fill(form, body);
  remember(form);
}

function check(form, selector, checked) {
  for (const input of form.querySelectorAll(selector)) input.checked = checked(input);
}

function write(form, name, value) {
  const field = form.querySelector(`[name="${name}"]`);
  if (field && field.type !== "hidden") field.value = value || "";
}

// What a score is worked out from: a figure, the ticks of a checklist, a target's counts.
function fillInputs(form, inputs) {
  const figure = form.querySelector('input[name="figure"]');
  if (figure) figure.value = inputs.figure === undefined ? "" : number(inputs.figure);
  if (form.querySelector('input[name="ticked"]')) {
    const ticked = new Set(inputs.ticked || []);
    check(form, 'input[name="ticked"]', (input) => ticked.has(input.value));
    check(form, 'input[name="none_present"]', () => Array.isArray(inputs.ticked) && !inputs.ticked.length);
  }
  // A target item: how many met it of how many, or the share.
  for (const name of ["met", "cases"]) {
    const field = form.querySelector(`input[name="${name}"]`);
    if (field) field.value = inputs[name] === undefined ? "" : String(inputs[name]);
  }
  const share = form.querySelector('input[name="share"]');
  if (share) share.value = inputs.share === undefined ? "" : number(inputs.share);
}

// The consultants' rows, added until there are as many as the change holds.
function fillConsultants(form, consultants) {
  const rows = () => form.querySelectorAll(".consultant-row input, .consultant-row select");
  const add = form.querySelector("[data-add-consultant]");
  while (add && rows().length < consultants.length) add.click();
  rows().forEach((field, index) => {
    const entry = consultants[index];
    let value = entry;
    if (entry !== null && typeof entry === "object") {
      value = field.name === "consultant_figure" ? entry.figure : entry.score;
    }
    field.value =
      value === undefined || value === null
        ? ""
        : field.tagName === "SELECT" || typeof value === "string"
          ? String(value)
          : number(value);
  });
}

// A round's field group: a point's step, what exists and its evidence; a figure (as
// typed, or a number the server stored); the documents chosen. The body may be a change
// made here or the value stored elsewhere (the API's names either way).
function fillRound(form, body) {
  const shown = (value) =>
    value === null || value === undefined ? "" : typeof value === "number" ? number(value) : String(value);
  if (form.dataset.mode === "documents") {
    const chosen = new Set(body.documents || []);
    check(form, 'input[name="document"]', (input) => chosen.has(input.value));
  } else if (form.dataset.mode === "figure") {
    const value = form.querySelector('input[name="value"]');
    if (value) value.value = shown(body.value);
    if (form.querySelector('input[name="consultant"]')) fillConsultants(form, body.consultants || []);
  } else {
    const level = body.level === null || body.level === undefined ? "" : String(body.level);
    check(form, 'input[name="level"]', (input) => input.value === level);
    write(form, "description", body.description);
    write(form, "evidence_date", body.evidence_date);
    write(form, "evidence_document", body.evidence_document);
  }
  write(form, "note", body.note);
}

// Whether a form's fields differ from what the server rendered into them.
export function changedSinceRendered(form) {
  return Array.from(form.elements).some((field) => {
    if (field instanceof HTMLInputElement) {
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked !== field.defaultChecked;
      }
      return field.type !== "hidden" && field.value !== field.defaultValue;
    }
    if (field instanceof HTMLTextAreaElement) return field.value !== field.defaultValue;
    if (field instanceof HTMLSelectElement) {
      // With no option marked selected, a select shows its first.
      const rendered = Array.from(field.options).findIndex((option) => option.defaultSelected);
      return field.selectedIndex !== Math.max(rendered, 0);
    }
    return false;
  });
}
