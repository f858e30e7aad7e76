// What every part of the outbox shares about this page: who is signed in, this tab's id,
// the waiting changes it put on its forms, whether it is a kept copy, and the status the
// banner shows (written by the parts that learn it, read by view.js).
// Read once from the page as it loads; it never changes the page, stores or sends anything.

import * as core from "../outbox-core.js";

export const me = document.body ? document.body.dataset.user || "" : "";

// This tab. Two tabs are two screens a reviewer looks at: a change made in one rests on
// what that tab showed, so a change the other tab made meanwhile is a conflict to
// settle, as from another device, never overwritten unseen.
export const pageId = core.newClientId();

// Waiting changes made before this page loaded (in a tab since reloaded, or another
// tab) whose values it put on its forms: seen here, so a change here rests on them.
export const shownHere = new Set();

export const isMine = (entry) =>
  !entry.page || entry.page === pageId || shownHere.has(entry.client_id);

export const fromDevice = document.documentElement.dataset.pageSource === "device";

export const status = {
  online: navigator.onLine,
  signinNeeded: false,
  wrongUser: false,
  persistRefused: false,
  noStorage: !("indexedDB" in window),
  summary: core.summary([], me),
  aside: 0,

};
