// Sending: the waiting entries go to the rating API (PUT, idempotent by client_id),
// oldest first, one at a time across every tab (a Web Lock); an entry waits behind the
// earlier change of its item it is chained on (outbox-core.js's rules). A failed delivery
// is retried with a growing delay; each answer (saved, conflict, refused, broken) is
// settled in the store and handed to items.js here and, through a BroadcastChannel, in
// the other tabs. It never reads or fills a form and builds no page elements itself.

import * as core from "../outbox-core.js";
import { forgetPages } from "./device.js";
import { draw, refreshPanels } from "./items.js";
import { me, status } from "./state.js";
import { asideOf, knownKey, readAll, update } from "./store.js";
import { refresh } from "./view.js";

const LOCK = "ips-fidelity-outbox";
const TIMEOUT = 15000;
const FIRST_DELAY = 5000;

let pumping = false;
let again = false;
let delay = FIRST_DELAY;
let retryTimer = null;

function withLock(work) {
  if (navigator.locks && navigator.locks.request) return navigator.locks.request(LOCK, work);
  return work();
}

// Send what waits (on load, on reconnect, every 30 s, after each new change); a call
// while sending makes the running pass go round once more.
export async function pump() {
  if (status.noStorage) return;
  if (pumping) {
    again = true;
    return;
  }
  pumping = true;
  try {
    do {
      again = false;
      await withLock(sendWaiting);
    } while (again);
  } catch (error) {
    console.warn("outbox: sending stopped", error);
  } finally {
    pumping = false;
    await refresh();
    refreshPanels();
  }
}

// Now, not after the delay a failure has grown to (back online, or the reviewer asked).
export function sendNow() {
  delay = FIRST_DELAY;
  pump();
}

function later() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(pump, delay);
  delay = Math.min(delay * 2, 60000);
}

async function setAsideDamaged(entries) {
  if (entries.every((entry) => core.isWellFormed(entry))) return entries;
  await update((fresh) => {
    const damaged = fresh.filter((entry) => !core.isWellFormed(entry));
    return {
      remove: damaged.map((entry) => entry.seq),
      aside: damaged.map((entry) =>
        asideOf(entry, { code: "damaged", message: "not a change this app can send" }),
      ),
    };
  });
  return readAll("outbox");
}

async function sendWaiting() {
  const entries = await setAsideDamaged(await readAll("outbox"));
  if (!entries.some((entry) => entry.state === "queued")) return;
  if (!navigator.onLine) {
    status.online = false;
    return;
  }
  // `asked`: whether this pass asked the server itself who is signed in.
  const pass = { entries, asked: !whoAnswer };
  pass.signedIn = await whoIsSignedIn();
  if (!pass.signedIn) return;
  const user = pass.signedIn.username;
  status.wrongUser = user !== me && entries.some((entry) => entry.user === me);
  while (await sendNext(pass, user));
}

// Sends the next entry `user` may send, if any; whether to go on.
async function sendNext(pass, user) {
  const entry = core.next(pass.entries, user);
  if (!entry) return false;
  if (entry.after !== null) {
    // Its predecessor vanished without handing on its revision: set it aside rather
    // than send it unchecked.
    await update(() => ({
      remove: [entry.seq],
      aside: [asideOf(entry, { code: "chain", message: "broken chain" })],
    }));
    pass.entries = await readAll("outbox");
    return true;
  }
  const answer = await put(entry, pass.signedIn);
  const kind = core.classify(answer.status, answer.body);
  if (kind === "retry" || kind === "signin" || kind === "wrong-user") {
    return notDelivered(pass, user, kind, answer);
  }
  delay = FIRST_DELAY;
  await settle(entry, kind, answer);
  pass.entries = await readAll("outbox");
  return true;
}

function put(entry, signedIn) {
  return ask(core.urlOf(entry), {
    method: "PUT",
    headers: {
      "Content-Type": "application/json",
      "X-CSRF-Token": signedIn.csrf_token || "",
      "X-Outbox-User": encodeURIComponent(entry.user),
    },
    body: JSON.stringify(core.payloadOf(entry)),
  });
}

// An answer that leaves the change waiting: try again later, or once more with a fresh
// token, or stop until the person who made it signs in. Whether to go on.
async function notDelivered(pass, user, kind, answer) {
  if (kind === "retry") {
    status.online = navigator.onLine;
    later();
    return false;
  }
  if (kind === "signin" && answer.status === 403) return freshToken(pass, user);
  whoAnswer = null; // ask again next time: the session ended or changed hands
  status.signinNeeded = kind === "signin";
  status.wrongUser = kind === "wrong-user";
  // Signed out or expired: the pages kept for offline use go (they hold the team's
  // scores and notes). The changes stay, for this person to send after signing in.
  if (kind === "signin") forgetPages(null);
  return false;
}

// The CSRF token was refused. One remembered from before may have gone with its session:
// ask once more. Refused again with a token the server has just handed out, it is not a
// question of signing in: try again later, with a fresh token.
async function freshToken(pass, user) {
  whoAnswer = null;
  if (pass.asked) {
    later();
    return false;
  }
  pass.asked = true;
  pass.signedIn = await whoIsSignedIn();
  if (!pass.signedIn) return false;
  if (pass.signedIn.username !== user) {
    status.wrongUser = true; // someone else signed in, in another tab
    return false;
  }
  return true;
}

// Who is signed in, and their CSRF token: asked once, and again after the server said
// the session ended or belongs to someone else (a kept page's token may be stale).
let whoAnswer = null;
async function whoIsSignedIn() {
  if (whoAnswer) return whoAnswer;
  const who = await ask("/api/v1/me", { method: "GET" });
  if (who.status === 401) {
    status.signinNeeded = true;
    forgetPages(null); // see notDelivered: a session that ended takes the kept pages along
    return null;
  }
  if (who.status !== 200 || !who.body) {
    later();
    return null;
  }
  status.online = true;
  status.signinNeeded = false;
  whoAnswer = who.body;
  return whoAnswer;
}

function problemOf(answer) {
  if (!answer.body) {
    return { status: answer.status, code: null, message: String(answer.status), current: null };
  }
  return {
    status: answer.status,
    code: answer.body.code || null,
    message: answer.body.message || answer.body.detail || "",
    current: answer.body.current || null,
  };
}

// What an answer does: the queue changed (core.settle), a broken change set aside, an
// acknowledged value kept; then drawn here and in the other tabs.
async function settle(entry, kind, answer) {
  const problem = problemOf(answer);
  const outcome = kind === "ack" ? { kind, revision: answer.body.revision } : { kind, problem };
  const aside = kind === "broken" ? [asideOf(entry, problem)] : [];
  const known = kind === "ack" ? [acknowledged(entry, answer.body)] : [];
  // Whether a later change of the item waits (then the item keeps saying so).
  let newer = false;
  await update((fresh) => {
    newer = fresh.some(
      (other) => core.itemOf(other) === core.itemOf(entry) && other.seq > entry.seq,
    );
    return { ...core.settle(fresh, entry, outcome), aside, known };
  });
  const settled = { entry, kind, answer: answer.body, problem, newer };
  draw(settled);
  if (channel) channel.postMessage(settled); // the other tabs of this browser draw it too
}

function acknowledged(entry, answer) {
  return {
    key: knownKey(entry.user, core.ownerOf(entry), entry.mode, entry.item_key),
    revision: answer.revision,
    body: entry.body,
    saved_at: answer.updated_at,
    page: entry.page || null,
  };
}

// One tab sends for all (the Web Lock); every tab of the same browser shows the answers.
const channel = "BroadcastChannel" in window ? new BroadcastChannel("ips-fidelity-outbox") : null;

export function listenToOtherTabs() {
  if (!channel) return;
  channel.onmessage = (event) => {
    draw(event.data);
    refresh();
    refreshPanels();
  };
}

// One request, answered as {status, body}: status 0 when no answer came.
async function ask(url, options) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT);
  try {
    const response = await fetch(url, {
      ...options,
      headers: { Accept: "application/json", ...(options.headers || {}) },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      signal: controller.signal,
    });
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: null };
  } finally {
    clearTimeout(timer);
  }
}
