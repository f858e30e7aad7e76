// The tablet's outbox: every change a reviewer makes on a scoring or consensus screen, and
// a team (or its ambassadors) on a measurement round's team part or assessment, is
// written to IndexedDB first and sent from there, so that no tap is lost to a dropped
// connection, a closed browser or an expired session. This module only starts it and
// wires the page's events to its parts (ES modules, loaded as <script type="module">):
//
//   outbox-core.js      the rules: what goes next, what an answer does (plain functions)
//   outbox/store.js     the device's copy in IndexedDB: entries, set-aside ones, known values
//   outbox/state.js     what the parts share: who, this tab, the status the banner shows
//   outbox/forms.js     reading a form as a change, and putting a value back on it
//   outbox/recorder.js  record: a form's change -> an entry (then try to send); restore
//   outbox/sender.js    pump: oldest first, through the rating or round API (PUT,
//                       idempotent by client_id), one at a time across every tab (a Web
//                       Lock); on load, on reconnect, every 30 s, after each new change
//   outbox/items.js     show: each item's own state: saved on the server, only on this
//                       device, changed elsewhere (choose), or refused (with its value)
//   outbox/view.js      show: the banner (#connection), its news; the strings, plural
//   outbox/choices.js   the person's buttons: keep mine, take the stored, dismiss, send
//                       now, download; signing out with changes not sent; submitting a
//                       round's part only once its changes have arrived
//   outbox/device.js    the service worker, the pages it keeps, persistent storage
//
// Every one of them is in the service worker's shell (app/web/offline.py), so that a
// tablet offline has them all. It holds no logic of its own beyond the order of startup.

import * as core from "./outbox-core.js";
import { onClick, onSubmit } from "./outbox/choices.js";
import { askToPersist, listKeptPages, noticeUser, registerWorker } from "./outbox/device.js";
import { onChange, onInput, restore, writing } from "./outbox/recorder.js";
import { listenToOtherTabs, pump, sendNow } from "./outbox/sender.js";
import { status } from "./outbox/state.js";
import { refresh, render } from "./outbox/view.js";

const PERIOD = 30000;

// app.js, a classic script, names the changes it sends through htmx with the same ids.
window.OutboxCore = core;

document.addEventListener("change", onChange);
document.addEventListener("input", onInput);
document.addEventListener("click", onClick);
document.addEventListener("submit", onSubmit);
listenToOtherTabs();

window.addEventListener("online", () => {
  status.online = true;
  render();
  sendNow();
});
window.addEventListener("offline", () => {
  status.online = false;
  render();
});

window.addEventListener("beforeunload", (event) => {
  if (writing()) event.preventDefault(); // a change is being written to the device
});

document.addEventListener("DOMContentLoaded", async () => {
  registerWorker();
  noticeUser();
  listKeptPages().catch(() => {});
  try {
    await restore();
  } catch (error) {
    status.noStorage = true;
  }
  await askToPersist();
  await refresh();
  document.documentElement.dataset.outbox = "ready";
  pump();
  setInterval(pump, PERIOD);
});
