// What the reviewer reads of the outbox as a whole, in the page's language: the banner
// (#connection: online or not, what waits, what needs them, its buttons), its spoken news
// (#connection-news), the progress panel's note, and the question before signing out.
// The translated strings and the one plural chooser live here. Each item's own state is
// items.js's. It reads the outbox's copy but never changes it, and never sends.

import * as core from "../outbox-core.js";
import { formsOnPage } from "./forms.js";
import { fromDevice, me, status } from "./state.js";
import { readAll, readOwnAside } from "./store.js";

const stringsElement = document.getElementById("outbox-strings");
export const strings = stringsElement ? JSON.parse(stringsElement.textContent) : {};

// A text with a number in it: the catalogue's form for one, or for any other number.
export function plural(key, count, user) {
  const text = strings[key][count === 1 ? 0 : 1];
  return text.replace("{count}", String(count)).replaceAll("{user}", user || "");
}

// A paragraph of words after an icon that repeats them (the icon is not read out).
export function line(text, icon) {
  const paragraph = document.createElement("p");
  if (icon) {
    const mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = `${icon} `;
    paragraph.append(mark);
  }
  paragraph.append(text);
  return paragraph;
}

export function button(label, attribute, value = "") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "button secondary";
  element.setAttribute(attribute, value);
  element.textContent = label;
  return element;
}

// The banner again, after reading how many changes wait and whose.
export async function refresh() {
  if (status.noStorage) {
    render();
    return;
  }
  try {
    const entries = await readAll("outbox");
    status.summary = core.summary(entries, me);
    status.aside = (await readOwnAside(me)).length;
  } catch (error) {
    status.noStorage = true;
  }
  render();
}

export function render() {
  const banner = document.getElementById("connection");
  if (!banner) return;
  const s = status.summary;
  const scoring = formsOnPage().length > 0 || document.getElementById("kept-pages");
  const waiting = s.mine + s.conflicts + s.refused;
  const anything = waiting || Object.keys(s.others).length || s.broken || status.aside;
  const lines = [...stateLines(s, scoring, anything), ...problemLines(s, scoring, waiting)];
  const buttons = bannerButtons(s, waiting);
  if (buttons.childElementCount) lines.push(buttons);
  const shown = Boolean(scoring || anything || !status.online || fromDevice);
  banner.hidden = !shown;
  banner.classList.toggle("is-offline", !status.online);
  banner.classList.toggle("has-waiting", Boolean(waiting));
  notePanel(waiting);
  replaceBanner(banner, lines);
  announce(s);
}

// Online or not, a kept copy, no storage, and what waits to be sent (or that all is sent).
function stateLines(s, scoring, anything) {
  const lines = [];
  lines.push(
    status.online
      ? line(strings.offline_online, "●")
      : line(strings.offline_offline, "○"),
  );
  if (fromDevice) lines.push(line(strings.offline_cached_page, "ⓘ"));
  if (status.noStorage) lines.push(line(strings.offline_no_storage, "⚠"));
  if (s.mine) {
    lines.push(line(plural("offline_pending", s.mine), "◷"));
  } else if (status.online && !anything && scoring) {
    lines.push(line(strings.offline_all_sent, "✓"));
  }
  return lines;
}

// What needs the reviewer: signing in, changes of someone else, conflicts, refusals.
function problemLines(s, scoring, waiting) {
  const lines = [];
  if (status.signinNeeded && waiting) lines.push(signinLine());
  if (status.wrongUser && s.mine) lines.push(line(plural("offline_other_user", s.mine, me), "⚠"));
  for (const [user, count] of Object.entries(s.others)) {
    lines.push(line(plural("offline_other_user", count, user), "⚠"));
  }
  if (s.conflicts) lines.push(line(plural("offline_conflicts", s.conflicts), "⚠"));
  if (s.refused) lines.push(line(plural("offline_refused", s.refused), "✗"));
  if (s.broken + status.aside) lines.push(line(plural("offline_broken", s.broken + status.aside), "⚠"));
  if (status.persistRefused && scoring) lines.push(line(strings.offline_persist_refused, "ⓘ"));
  return lines;
}

function signinLine() {
  const paragraph = line(`${strings.offline_signin} `, "⚠");
  const link = document.createElement("a");
  link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
  link.textContent = strings.offline_signin_link;
  paragraph.append(link);
  return paragraph;
}

function bannerButtons(s, waiting) {
  const buttons = document.createElement("p");
  buttons.className = "actions";
  if (s.mine && status.online && !status.signinNeeded) {
    buttons.append(button(strings.offline_send_now, "data-outbox-send"));
  }
  if (me && (waiting || status.aside)) {
    buttons.append(button(strings.offline_download, "data-outbox-download"));
  }
  return buttons;
}

// Only when what it says changed; a button that had focus is found again in the new
// banner (or the banner takes it).
function replaceBanner(banner, lines) {
  const before = Array.from(banner.children, (child) => child.textContent).join("\n");
  const after = lines.map((child) => child.textContent).join("\n");
  if (before === after) return;
  const focused = banner.contains(document.activeElement) ? document.activeElement : null;
  banner.replaceChildren(...lines);
  if (focused) {
    const again = focused.dataset.outboxSend !== undefined
      ? banner.querySelector("[data-outbox-send]")
      : banner.querySelector("[data-outbox-download]");
    (again || banner).focus();
  }
}

// The banner is not a live region (it changes with every tap); this one says only what
// changed in kind: offline or online, sign in again, a conflict to settle, all sent.
let lastNews = null;
let lastWaiting = 0;
function announce(s) {
  const news = document.getElementById("connection-news");
  if (!news) return;
  const waiting = s.mine + s.conflicts;
  let text = status.online ? strings.offline_online : strings.offline_offline;
  if (status.signinNeeded && waiting) text = strings.offline_signin;
  else if (s.conflicts) text = plural("offline_conflicts", s.conflicts);
  else if (status.online && lastWaiting && !waiting) text = strings.offline_all_sent;
  else if (status.online && lastNews === strings.offline_all_sent) text = lastNews;
  lastWaiting = waiting;
  if (lastNews === null) {
    lastNews = text; // nothing to announce when the page opens
    return;
  }
  if (text !== lastNews) news.textContent = text;
  lastNews = text;
}

// The progress panel stays in view while the reviewer scrolls (the banner does not): it
// says too whether the tablet is offline and how many changes wait. Not a live region:
// the banner already announces the same.
function notePanel(waiting) {
  const panel = document.getElementById("progress");
  if (!panel) return;
  let note = panel.querySelector(".progress-outbox");
  const parts = [];
  if (!status.online) parts.push(strings.offline_short);
  if (status.summary.mine) {
    parts.push(plural("offline_pending", status.summary.mine));
  } else if (waiting) {
    parts.push(strings.offline_see_items);
  }
  if (!parts.length) {
    if (note) note.remove();
    return;
  }
  if (!note) {
    note = document.createElement("p");
    note.className = "progress-outbox";
    panel.querySelector(".progress-count").after(note);
  }
  const icon = document.createElement("span");
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = status.online ? "◷ " : "○ ";
  note.replaceChildren(icon, parts.join(" · "));
}

// Signing out with `waiting` changes not sent: whether the reviewer goes on.
export function confirmSignOut(waiting) {
  return window.confirm(plural("logout_unsent", waiting));
}
