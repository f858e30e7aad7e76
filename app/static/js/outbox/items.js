// Each item's state on this page, in its live region: saved on the server, only on this
// device, changed elsewhere (the reviewer chooses), or refused (with its value), drawn
// from what the recorder and the sender hand over; the item's mark in the progress panel;
// the panels around the items after changes arrived. It reads the outbox's copy but never
// changes it, and never sends a change.

import * as core from "../outbox-core.js";
import {
  bodyOf,
  editing,
  fill,
  formFor,
  formsOnPage,
  number,
  ownerOfForm,
  remember,
  setRevision,
} from "./forms.js";
import { isMine, me } from "./state.js";
import { readAll } from "./store.js";
import { button, line, plural, render, strings } from "./view.js";

const zone = (document.body && document.body.dataset.timezone) || undefined;

// What a change says, in words: "Score 4", "Ikke vurderet: …", "Trin 3", with its note.
function describe(body) {
  let text;
  if ("level" in body) {
    text = body.level ? `${strings.impl_step} ${body.level}` : strings.impl_not_answered;
  } else if ("documents" in body) {
    text = plural("round_documents_chosen", (body.documents || []).length);
  } else if ("consultants" in body && (body.consultants || body.value !== null)) {
    // A figure as typed stays as typed ("1.234" is a thousand in Danish); one the server
    // stored is a number, written the page's way.
    const values = body.consultants || [body.value];
    const written = values.map((value) => (typeof value === "number" ? number(value) : value));
    text = `${strings.figure} ${written.join("; ")}`;
  } else if ("consultants" in body) {
    text = strings.impl_not_answered;
  } else if (body.not_rated_reason !== null && body.not_rated_reason !== undefined) {
    text = strings.not_rated + (body.not_rated_reason ? `: ${body.not_rated_reason}` : "");
  } else if (body.score !== null && body.score !== undefined) {
    text = `${strings.score} ${number(body.score)}`;
  } else if (body.inputs && body.inputs.figure !== undefined) {
    text = `${strings.figure} ${number(body.inputs.figure)}`;
  } else if (body.inputs && Array.isArray(body.inputs.ticked)) {
    text = `${body.inputs.ticked.length} ✓`;
  } else if (body.inputs && body.inputs.cases !== undefined) {
    text = `${body.inputs.met}/${body.inputs.cases}`;
  } else if (body.inputs && body.inputs.share !== undefined) {
    text = `${number(body.inputs.share)} %`;
  } else if (body.kept_score) {
    text = `${strings.score} ${number(body.kept_score)}`;
  } else {
    text = strings.not_scored_value;
  }
  const note = body.note || body.rationale || body.description || "";
  if (note) text += ` · ${strings.note}: ${note.length > 80 ? `${note.slice(0, 79)}…` : note}`;
  return text;
}

function localTime(iso) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return "";
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(moment);
  const part = (type) => (parts.find((p) => p.type === type) || {}).value || "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}

// "Saved 2026-11-24 10:00 · Score 4" (or "Saved · …" when the time is not known).
function savedAt(time, body) {
  const when = time ? strings.saved_at.replace("{time}", localTime(time)) : strings.saved_plain;
  return `${when} · ${describe(body)}`;
}

// What a consensus item still needs before the review can be finalised, from the rules
// its form carries: said with its saved state, at once, online or not.
function stillMissing(form, body) {
  if (form.dataset.mode !== "consensus" || !body) return [];
  const rules = {
    agreed: form.dataset.agreed === "1",
    agreedScore: form.dataset.agreedScore ? Number(form.dataset.agreedScore) : null,
    threshold: Number(form.dataset.threshold || 0),
  };
  return core.missing(body, rules).map((what) => ({
    icon: "!",
    text:
      what === "rationale"
        ? strings.consensus_needs_rationale
        : strings.consensus_needs_recommendation,
  }));
}

// An item's state, in its live region: words and an icon that repeats them.
function show(form, kind, lines, buttons = []) {
  const region = form.querySelector(".save-state-region");
  if (!region) return;
  const all =
    kind === "saved" || kind === "device"
      ? [...lines, ...stillMissing(form, bodyOf(form).body)]
      : lines;
  const state = document.createElement("div");
  state.className = `save-state save-state-${kind}`;
  state.append(...all.map((one) => line(one.text, one.icon)));
  if (buttons.length) {
    const row = document.createElement("p");
    row.className = "actions";
    row.append(...buttons.map(([label, attribute, value]) => button(label, attribute, value)));
    state.append(row);
  }
  region.replaceChildren(state);
  form.dataset.state = kind;
}

export function showDevice(form, body) {
  show(form, "device", [{ icon: "◷", text: `${strings.saved_on_device} · ${describe(body)}` }]);
  markIndex(form.dataset.item);
}

// "Not rated" without its reason yet: what is needed (nothing is sent).
export function showPending(form) {
  show(form, "pending", [{ icon: "✎", text: strings.not_rated_needs_reason }]);
}

export function showNotSaved(form, message) {
  show(form, "refused", [{ icon: "✗", text: `${strings.not_saved}: ${message}` }]);
}

// A figure that is not a number: refused here, before anything is recorded.
export function showFigureError(form) {
  const heading = form.querySelector(".item-number");
  const itemNumber = heading ? heading.textContent.replace(".", "") : "";
  showNotSaved(form, strings.err_figure.replace("{number}", itemNumber));
}

// The value the server acknowledged, put back on a page older than it.
export function showKnown(form, saved) {
  show(form, "saved", [{ icon: "✓", text: savedAt(saved.saved_at, saved.body) }]);
}

// The value stored elsewhere, taken by the reviewer over their own.
export function showStored(form, current) {
  show(form, "saved", [{ icon: "✓", text: `${strings.stored_value} · ${describe(current)}` }]);
}

export function clearState(form) {
  form.querySelector(".save-state-region").replaceChildren();
}

// The buttons are gone with the state they were in: the item's heading takes focus.
export function focusItem(form) {
  const card = form.closest(".item-card") || form; // a round's figure or its documents
  card.focus({ preventScroll: true });
}

// `answer`: the server's answer; a rating's holds the value saved, a round's only its
// revision and time (`body`, the change sent, says what was saved).
function showSaved(form, answer, body) {
  let text = savedAt(answer.updated_at, core.isRoundMode(form.dataset.mode) ? body : answer);
  if (answer.suggested_score !== null && answer.suggested_score !== undefined) {
    text += ` · ${strings.figure_suggests.replace("{score}", number(answer.suggested_score))}`;
  }
  show(form, "saved", [{ icon: "✓", text }]);
  suggest(form, answer.suggested_score);
}

export function showProblem(form, entry) {
  const problem = entry.problem || {};
  const message = problem.message || problem.detail || "";
  if (entry.state === "conflict") showConflict(form, entry, problem.current || {}, message);
  else showRefused(form, entry, message);
}

function showConflict(form, entry, current, message) {
  show(
    form,
    "conflict",
    [
      { icon: "⚠", text: message },
      { text: `${strings.stored_value}: ${describe(current)}` },
      { text: `${strings.your_value}: ${describe(entry.body)}` },
    ],
    [
      [strings.keep_mine, "data-outbox-keep", String(entry.seq)],
      [strings.use_stored, "data-outbox-stored", String(entry.seq)],
    ],
  );
}

function showRefused(form, entry, message) {
  show(
    form,
    "refused",
    [
      { icon: "✗", text: `${strings.not_saved}: ${message}` },
      { text: `${strings.your_value}: ${describe(entry.body)}` },
    ],
    [[strings.dismiss, "data-outbox-dismiss", String(entry.seq)]],
  );
}

// A banded item's figure suggests a level: shown on the buttons when the reviewer has
// chosen none (the next change sends it along; nothing new is stored by it).
function suggest(form, suggested) {
  form.dataset.suggested = suggested === null || suggested === undefined ? "" : String(suggested);
  const figure = form.querySelector('input[name="figure"]');
  if (!form.dataset.suggested || !figure || !figure.value.trim()) return;
  if (form.querySelector('input[name="score"]:checked, input[name="not_rated"]:checked')) return;
  const match = form.querySelector(`input[name="score"][value="${form.dataset.suggested}"]`);
  if (match) {
    match.checked = true;
    remember(form);
  }
}

// The item's number in the progress panel says so too (until the panel comes back from
// the server after sending).
function markIndex(itemKey) {
  const link = document.querySelector(`#progress a[data-item-link="${CSS.escape(itemKey)}"]`);
  if (!link || link.classList.contains("on-device")) return;
  link.classList.add("on-device");
  const icon = link.querySelector("[aria-hidden]");
  if (icon) icon.textContent = "◷";
  const spoken = link.querySelector(".visually-hidden");
  if (spoken) spoken.textContent = ` ${strings.on_device_short}`;
}

// The items of this page with changes still waiting, marked again in a new panel.
async function markWaiting() {
  const entries = await readAll("outbox");
  for (const form of formsOnPage()) {
    const latest = core.latestByItem(entries, me, ownerOfForm(form), form.dataset.mode);
    if (latest.has(form.dataset.item)) markIndex(form.dataset.item);
  }
}

// The items the server acknowledged since the panels were last refreshed.
const sentItems = new Set();

// What an answer means for the item on this page, if it is here.
export function draw({ entry, kind, answer, problem, newer }) {
  const form = formFor(entry);
  if (!form) return;
  if (kind === "ack") {
    sentItems.add(entry.item_key);
    drawSaved(form, entry, answer, newer);
  } else if (kind === "conflict") {
    // The newest value of the item is what keeping one's own would send last.
    const body = newer ? bodyOf(form).body || entry.body : entry.body;
    showProblem(form, { ...entry, state: "conflict", problem, body });
  } else {
    showProblem(form, { ...entry, state: "refused", problem });
  }
}

function drawSaved(form, entry, answer, newer) {
  const mine = isMine(entry);
  if (newer) {
    if (mine) setRevision(form, answer.revision);
    return;
  }
  // Made in another tab, the stored value may not be what this form shows. If this
  // tab has not changed the item meanwhile, the value is put on the form (so the
  // next change here rests on it, seen). If it has, the form keeps its own revision:
  // its change then meets the other tab's as a conflict to settle.
  const shown = bodyOf(form).body;
  if (!mine && shown && !core.sameBody(shown, entry.body)) {
    if (editing(form)) return;
    fill(form, entry.body);
    form.lastBody = bodyOf(form).body;
  }
  setRevision(form, answer.revision);
  showSaved(form, answer, entry.body);
}

// The panels around the items (progress, open points, finalising) after changes arrived.
// The server renders them (the same macros as the page); each element of the answer
// replaces the element of the same id. A failure leaves them for the next time.
let panelsTimer = null;
export function refreshPanels() {
  const container = document.querySelector("[data-panels]");
  if (!container || !sentItems.size) return;
  clearTimeout(panelsTimer);
  panelsTimer = setTimeout(async () => {
    const items = Array.from(sentItems);
    sentItems.clear();
    const url = `${container.dataset.panels}?items=${encodeURIComponent(items.join(","))}`;
    try {
      swapPanels(await fetchPanels(url));
      render();
      markWaiting();
    } catch (error) {
      items.forEach((key) => sentItems.add(key));
    }
  }, 300);
}

async function fetchPanels(url) {
  const response = await fetch(url, {
    headers: { "HX-Request": "true" },
    credentials: "same-origin",
    cache: "no-store",
    redirect: "error",
  });
  if (!response.ok) throw new Error(String(response.status));
  return response.text();
}

function swapPanels(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  for (const element of Array.from(template.content.children)) {
    const current = element.id ? document.getElementById(element.id) : null;
    if (!current) continue;
    element.removeAttribute("hx-swap-oob");
    current.replaceWith(element);
  }
}
