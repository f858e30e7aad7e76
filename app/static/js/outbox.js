// The tablet's outbox: every change a reviewer makes on a scoring or consensus screen is
// written to IndexedDB first and sent from there, so that no tap is lost to a dropped
// connection, a closed browser or an expired session. The rules (what goes next, what an
// answer does) are in outbox-core.js; this file keeps the entries, sends them, and shows
// where each one is.
//
//   record  a form's change -> an entry in the "outbox" store (then try to send)
//   pump    oldest first, through the rating API (PUT, idempotent by client_id), one at a
//           time across every tab (a Web Lock); on load, on reconnect, every 30 s, and
//           after each new change
//   show    the banner (#connection) and each item's own state: saved on the server, only
//           on this device, changed elsewhere (choose), or refused (with its value)
//
// Stores: "outbox" (the entries), "aside" (entries that could not be read or sent, kept
// for the file and reported), "known" (each item's last value the server acknowledged,
// so a kept copy of a page, older than that, shows it).
(function () {
  "use strict";

  const core = window.OutboxCore;
  const DB_NAME = "ips-fidelity";
  const DB_VERSION = 1;
  const LOCK = "ips-fidelity-outbox";
  const PERIOD = 30000;
  const TIMEOUT = 15000;

  const stringsElement = document.getElementById("outbox-strings");
  const strings = stringsElement ? JSON.parse(stringsElement.textContent) : {};
  const me = document.body ? document.body.dataset.user || "" : "";
  // This tab. Two tabs are two screens a reviewer looks at: a change made in one rests on
  // what that tab showed, so a change the other tab made meanwhile is a conflict to
  // settle, as from another device, never overwritten unseen.
  const pageId = core.newClientId();
  // Waiting changes made before this page loaded (in a tab since reloaded, or another
  // tab) whose values it put on its forms: seen here, so a change here rests on them.
  const shownHere = new Set();
  const isMine = (entry) => !entry.page || entry.page === pageId || shownHere.has(entry.client_id);
  const zone = (document.body && document.body.dataset.timezone) || undefined;
  const fromDevice = document.documentElement.dataset.pageSource === "device";

  const status = {
    online: navigator.onLine,
    signinNeeded: false,
    wrongUser: false,
    persistRefused: false,
    noStorage: !("indexedDB" in window),
    summary: core.summary([], me),
    aside: 0,
  };

  // IndexedDB --------------------------------------------------------------------------

  let database = null;
  function open() {
    if (!database) {
      database = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          outbox.createIndex("client_id", "client_id", { unique: false });
          db.createObjectStore("aside", { autoIncrement: true });
          db.createObjectStore("known", { keyPath: "key" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error("IndexedDB is blocked by another tab"));
      });
    }
    return database;
  }

  // One transaction over `stores`; `work` gets the stores and returns a request or value.
  async function transact(stores, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      const handles = stores.map((name) => tx.objectStore(name));
      let result;
      const value = work(...handles);
      if (value instanceof IDBRequest) value.onsuccess = () => (result = value.result);
      else result = value;
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    });
  }

  const readAll = (store) => transact([store], "readonly", (s) => s.getAll());
  const readOne = (store, key) => transact([store], "readonly", (s) => s.get(key));

  // Read the queue and change it in one transaction, so that a change recorded while an
  // answer is being settled (in this tab or another) is never missed: IndexedDB runs
  // read-write transactions over the same stores one after the other. `plan` gets the
  // entries (and the `known` record named by `knownAt`, if any) and returns the seqs to
  // delete and the entries, set-asides and known values to write.
  async function update(plan, knownAt) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(["outbox", "aside", "known"], "readwrite");
      const outbox = tx.objectStore("outbox");
      // Requests in a transaction are answered in the order they were made.
      const saved = knownAt ? tx.objectStore("known").get(knownAt) : null;
      const request = outbox.getAll();
      request.onsuccess = () => {
        const { remove = [], put = [], aside = [], known = [] } = plan(
          request.result,
          saved ? saved.result : undefined,
        );
        for (const seq of remove) outbox.delete(seq);
        for (const entry of put) outbox.put(entry);
        for (const item of aside) tx.objectStore("aside").add(item);
        for (const item of known) tx.objectStore("known").put(item);
      };
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    });
  }

  function knownKey(user, reviewId, mode, itemKey) {
    return `${user}|${reviewId}|${mode}|${itemKey}`;
  }

  // Forms --------------------------------------------------------------------------------

  function formsOnPage() {
    return Array.from(document.querySelectorAll("form[data-outbox]"));
  }

  function formFor(entry) {
    if (entry.user !== me) return null;
    return (
      formsOnPage().find(
        (form) =>
          Number(form.dataset.review) === entry.review_id &&
          form.dataset.mode === entry.mode &&
          form.dataset.item === entry.item_key,
      ) || null
    );
  }

  function bodyOf(form) {
    const item = { kind: form.dataset.kind, perConsultant: form.dataset.perConsultant === "1" };
    return core.bodyOf(Array.from(new FormData(form)), item, form.dataset.mode);
  }

  function revisionInput(form) {
    return form.querySelector('input[name="base_revision"]');
  }

  // The revision of the item as this page last knew it from the server.
  function revisionOnPage(form) {
    const input = revisionInput(form);
    const value = input ? Number(input.value) : 0;
    return Number.isInteger(value) && value >= 0 ? value : 0;
  }

  function setRevision(form, revision) {
    const input = revisionInput(form);
    if (input && Number.isInteger(revision)) input.value = String(revision);
  }

  function number(value) {
    const text = String(value);
    return document.documentElement.lang === "da" ? text.replace(".", ",") : text;
  }

  // Put a change's values back on its form (a kept page is older than the change).
  function fill(form, body) {
    const set = (selector, checked) => {
      for (const input of form.querySelectorAll(selector)) input.checked = checked(input);
    };
    const text = (name, value) => {
      const field = form.querySelector(`[name="${name}"]`);
      if (field && field.type !== "hidden") field.value = value || "";
    };
    const notRated = body.not_rated_reason !== null && body.not_rated_reason !== undefined;
    set('input[name="score"]', (input) => Number(input.value) === body.score);
    set('input[name="not_rated"]', () => notRated);
    text("not_rated_reason", notRated ? body.not_rated_reason : "");
    text("note", body.note);
    text("rationale", body.rationale);
    text("recommendation", body.recommendation);
    const evidence = new Set(body.evidence || []);
    set('input[type="checkbox"][name="evidence"]', (input) => evidence.has(input.value));
    const inputs = body.inputs || {};
    const figure = form.querySelector('input[name="figure"]');
    if (figure) figure.value = inputs.figure === undefined ? "" : number(inputs.figure);
    if (form.querySelector('input[name="ticked"]')) {
      const ticked = new Set(inputs.ticked || []);
      set('input[name="ticked"]', (input) => ticked.has(input.value));
      set('input[name="none_present"]', () => Array.isArray(inputs.ticked) && !inputs.ticked.length);
    }
    const consultants = inputs.consultants || [];
    const rows = () => form.querySelectorAll(".consultant-row input, .consultant-row select");
    const add = form.querySelector("[data-add-consultant]");
    while (add && rows().length < consultants.length) add.click();
    rows().forEach((field, index) => {
      const entry = consultants[index] || {};
      const value = field.name === "consultant_figure" ? entry.figure : entry.score;
      field.value = value === undefined ? "" : field.tagName === "SELECT" ? String(value) : number(value);
    });
  }

  // What a change says, in words: "Score 4", "Ikke vurderet: …", with its note.
  function describe(body) {
    let text;
    if (body.not_rated_reason !== null && body.not_rated_reason !== undefined) {
      text = strings.not_rated + (body.not_rated_reason ? `: ${body.not_rated_reason}` : "");
    } else if (body.score !== null && body.score !== undefined) {
      text = `${strings.score} ${number(body.score)}`;
    } else if (body.inputs && body.inputs.figure !== undefined) {
      text = `${strings.figure} ${number(body.inputs.figure)}`;
    } else if (body.inputs && Array.isArray(body.inputs.ticked)) {
      text = `${body.inputs.ticked.length} ✓`;
    } else if (body.kept_score) {
      text = `${strings.score} ${number(body.kept_score)}`;
    } else {
      text = strings.not_scored_value;
    }
    const note = body.note || body.rationale || "";
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
    if (kind === "saved" || kind === "device") lines = [...lines, ...stillMissing(form, bodyOf(form).body)];
    const state = document.createElement("div");
    state.className = `save-state save-state-${kind}`;
    lines.forEach((line) => {
      const paragraph = document.createElement("p");
      if (line.icon) {
        const icon = document.createElement("span");
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = `${line.icon} `;
        paragraph.append(icon);
      }
      paragraph.append(line.text);
      state.append(paragraph);
    });
    if (buttons.length) {
      const row = document.createElement("p");
      row.className = "actions";
      for (const [label, attribute, value] of buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button secondary";
        button.setAttribute(attribute, value);
        button.textContent = label;
        row.append(button);
      }
      state.append(row);
    }
    region.replaceChildren(state);
    form.dataset.state = kind;
  }

  function showDevice(form, body) {
    show(form, "device", [{ icon: "◷", text: `${strings.saved_on_device} · ${describe(body)}` }]);
    markIndex(form.dataset.item);
  }

  // Whether the reviewer is typing in the form (a text change not yet recorded).
  function editing(form) {
    const now = bodyOf(form).body;
    return Boolean(now && form.lastBody && !core.sameBody(now, form.lastBody));
  }

  // The items of this page with changes still waiting, marked again in a new panel.
  async function markWaiting() {
    const entries = await readAll("outbox");
    for (const form of formsOnPage()) {
      const latest = core.latestByItem(entries, me, Number(form.dataset.review), form.dataset.mode);
      if (latest.has(form.dataset.item)) markIndex(form.dataset.item);
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

  function showSaved(form, answer) {
    let text = `${strings.saved_at.replace("{time}", localTime(answer.updated_at))} · ${describe(answer)}`;
    if (answer.suggested_score !== null && answer.suggested_score !== undefined) {
      text += ` · ${strings.figure_suggests.replace("{score}", number(answer.suggested_score))}`;
    }
    show(form, "saved", [{ icon: "✓", text }]);
    suggest(form, answer.suggested_score);
  }

  function showProblem(form, entry) {
    const problem = entry.problem || {};
    const message = problem.message || problem.detail || "";
    if (entry.state === "conflict") {
      const current = problem.current || {};
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
    } else {
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
      const result = bodyOf(form);
      if (result.body) form.lastBody = result.body;
    }
  }

  // Recording a change ---------------------------------------------------------------------

  let recording = Promise.resolve();
  let inFlight = 0;

  // The form is read now, at the tap: a later tap queued behind this one must not be
  // taken for it.
  const tapped = new WeakSet(); // forms changed by the reviewer since this page opened

  // `pageOnly`: a tap made before this script ran rests on the page's own revision (the
  // device may know a newer one the page does not show; then it is a conflict to settle).
  function record(form, pageOnly = false) {
    tapped.add(form);
    const result = bodyOf(form);
    if (result.pending) {
      // "Not rated" without its reason yet: say what is needed, send nothing.
      show(form, "pending", [{ icon: "✎", text: strings.not_rated_needs_reason }]);
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
        show(form, "refused", [{ icon: "✗", text: `${strings.not_saved}: ${error.message || error}` }]);
      })
      .finally(() => {
        inFlight -= 1;
      });
    return recording;
  }

  async function recordNow(form, result, pageOnly) {
    if (result.error) {
      const number = form.querySelector(".item-number");
      const message = strings.err_figure.replace("{number}", number ? number.textContent.replace(".", "") : "");
      show(form, "refused", [{ icon: "✗", text: `${strings.not_saved}: ${message}` }]);
      return;
    }
    const reviewId = Number(form.dataset.review);
    const change = {
      user: me,
      review_id: reviewId,
      mode: form.dataset.mode,
      item_key: form.dataset.item,
      page: pageId,
    };
    const clientId = core.newClientId();
    const pageRevision = revisionOnPage(form);
    let conflict = null;
    await update((entries, saved) => {
      // The revision the server last acknowledged for this tab's own change is read in
      // this same transaction: an answer settled a moment ago has written it, and removed
      // its change, at once. Another tab's newer revision is not taken: that tab's value
      // was not on this screen when this change was made.
      const newer = !pageOnly && saved && saved.revision > pageRevision && saved.page === pageId;
      const revision = newer ? saved.revision : pageRevision;
      const base = core.chain(entries, change, revision, shownHere);
      conflict = entries.find(
        (other) => other.state === "conflict" && core.itemOf(other) === core.itemOf(change),
      ) || null;
      const entry = {
        client_id: clientId,
        ...change,
        body: result.body,
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
    }, knownKey(me, reviewId, change.mode, change.item_key));
    // While the item is in conflict the choice stays on screen, now with the newest value
    // as the reviewer's own (keeping it sends every change made since, in order).
    if (conflict) showProblem(form, { ...conflict, body: result.body });
    else showDevice(form, result.body);
    refresh();
    pump();
  }

  const typing = new WeakMap();

  document.addEventListener("change", (event) => {
    const form = event.target instanceof Element ? event.target.closest("form[data-outbox]") : null;
    if (!form) return;
    clearTimeout(typing.get(form));
    record(form);
  });

  // Typing in a text field is recorded after a second's pause (and at once when it loses
  // focus, by the change event above).
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLTextAreaElement)) return;
    const form = field.closest("form[data-outbox]");
    if (!form) return;
    clearTimeout(typing.get(form));
    typing.set(
      form,
      setTimeout(() => record(form), 1000),
    );
  });

  // Sending ----------------------------------------------------------------------------------

  let pumping = false;
  let again = false;
  let delay = 5000;
  let retryTimer = null;
  const sentItems = new Set();

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) return navigator.locks.request(LOCK, work);
    return work();
  }

  async function pump() {
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

  async function setAsideDamaged(entries) {
    if (entries.every((entry) => core.isWellFormed(entry))) return entries;
    await update((fresh) => {
      const damaged = fresh.filter((entry) => !core.isWellFormed(entry));
      return {
        remove: damaged.map((entry) => entry.seq),
        aside: damaged.map((entry) => ({
          entry,
          problem: { code: "damaged", message: "not a change this app can send" },
          set_aside_at: new Date().toISOString(),
        })),
      };
    });
    return readAll("outbox");
  }

  async function sendWaiting() {
    let entries = await setAsideDamaged(await readAll("outbox"));
    if (!entries.some((entry) => entry.state === "queued")) return;
    if (!navigator.onLine) {
      status.online = false;
      return;
    }
    let asked = !whoAnswer; // whether this pass asked the server itself
    let signedIn = await whoIsSignedIn();
    if (!signedIn) return;
    const user = signedIn.username;
    status.wrongUser = user !== me && entries.some((entry) => entry.user === me);
    for (;;) {
      const entry = core.next(entries, user);
      if (!entry) break;
      if (entry.after !== null) {
        // Its predecessor vanished without handing on its revision: set it aside rather
        // than send it unchecked.
        await update(() => ({
          remove: [entry.seq],
          aside: [{ entry, problem: { code: "chain", message: "broken chain" }, set_aside_at: new Date().toISOString() }],
        }));
        entries = await readAll("outbox");
        continue;
      }
      const answer = await ask(core.urlOf(entry), {
        method: "PUT",
        headers: {
          "Content-Type": "application/json",
          "X-CSRF-Token": signedIn.csrf_token || "",
          "X-Outbox-User": encodeURIComponent(entry.user),
        },
        body: JSON.stringify(core.payloadOf(entry)),
      });
      const kind = core.classify(answer.status, answer.body);
      if (kind === "retry") {
        status.online = navigator.onLine;
        later();
        return;
      }
      if (kind === "signin" && !asked && answer.status === 403) {
        // A token remembered from before may have gone with its session: ask once more.
        whoAnswer = null;
        asked = true;
        signedIn = await whoIsSignedIn();
        if (!signedIn) return;
        if (signedIn.username !== user) {
          status.wrongUser = true; // someone else signed in, in another tab
          return;
        }
        continue;
      }
      if (kind === "signin" && answer.status === 403) {
        // Refused again with a token the server has just handed out: not a question of
        // signing in. Try again later, with a fresh token.
        whoAnswer = null;
        later();
        return;
      }
      if (kind === "signin" || kind === "wrong-user") {
        whoAnswer = null; // ask again next time: the session ended or changed hands
        status.signinNeeded = kind === "signin";
        status.wrongUser = kind === "wrong-user";
        // Signed out or expired: the pages kept for offline use go (they hold the team's
        // scores and notes). The changes stay, for this person to send after signing in.
        if (kind === "signin") forgetPages(null);
        return;
      }
      delay = 5000;
      await settle(entry, kind, answer);
      entries = await readAll("outbox");
    }
  }

  // Who is signed in, and their CSRF token: asked once, and again after the server said
  // the session ended or belongs to someone else (a kept page's token may be stale).
  let whoAnswer = null;
  async function whoIsSignedIn() {
    if (whoAnswer) return whoAnswer;
    const who = await ask("/api/v1/me", { method: "GET" });
    if (who.status === 401) {
      status.signinNeeded = true;
      forgetPages(null); // see sendWaiting: a session that ended takes the kept pages along
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

  async function settle(entry, kind, answer) {
    const problem = answer.body
      ? {
          status: answer.status,
          code: answer.body.code || null,
          message: answer.body.message || answer.body.detail || "",
          current: answer.body.current || null,
        }
      : { status: answer.status, code: null, message: String(answer.status), current: null };
    const outcome =
      kind === "ack" ? { kind, revision: answer.body.revision } : { kind, problem };
    let change = { remove: [], put: [] };
    const aside = [];
    const known = [];
    if (kind === "broken") {
      aside.push({ entry, problem, set_aside_at: new Date().toISOString() });
    }
    if (kind === "ack") {
      known.push({
        key: knownKey(entry.user, entry.review_id, entry.mode, entry.item_key),
        revision: answer.body.revision,
        body: entry.body,
        saved_at: answer.body.updated_at,
        page: entry.page || null,
      });
    }
    // Whether a later change of the item waits (then the item keeps saying so).
    let newer = false;
    await update((fresh) => {
      newer = fresh.some(
        (other) => core.itemOf(other) === core.itemOf(entry) && other.seq > entry.seq,
      );
      change = core.settle(fresh, entry, outcome);
      return { ...change, aside, known };
    });
    const settled = { entry, kind, answer: answer.body, problem, newer };
    draw(settled);
    if (channel) channel.postMessage(settled); // the other tabs of this browser draw it too
  }

  // What an answer means for the item on this page, if it is here.
  function draw({ entry, kind, answer, problem, newer }) {
    const form = formFor(entry);
    if (!form) return;
    if (kind === "ack") {
      sentItems.add(entry.item_key);
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
      showSaved(form, answer);
    } else if (kind === "conflict") {
      // The newest value of the item is what keeping one's own would send last.
      const body = newer ? bodyOf(form).body || entry.body : entry.body;
      showProblem(form, { ...entry, state: "conflict", problem, body });
    } else {
      showProblem(form, { ...entry, state: "refused", problem });
    }
  }

  // One tab sends for all (the Web Lock); every tab of the same browser shows the answers.
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("ips-fidelity-outbox") : null;
  if (channel) {
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

  function later() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(pump, delay);
    delay = Math.min(delay * 2, 60000);
  }

  // The panels around the items (progress, open points, finalising) after changes arrived.
  let panelsTimer = null;
  // The server renders them (the same macros as the page); each element of the answer
  // replaces the element of the same id. A failure leaves them for the next time.
  function refreshPanels() {
    const container = document.querySelector("[data-panels]");
    if (!container || !sentItems.size) return;
    clearTimeout(panelsTimer);
    panelsTimer = setTimeout(async () => {
      const items = Array.from(sentItems);
      sentItems.clear();
      const url = `${container.dataset.panels}?items=${encodeURIComponent(items.join(","))}`;
      try {
        const response = await fetch(url, {
          headers: { "HX-Request": "true" },
          credentials: "same-origin",
          cache: "no-store",
          redirect: "error",
        });
        if (!response.ok) throw new Error(String(response.status));
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        for (const element of Array.from(template.content.children)) {
          const current = element.id ? document.getElementById(element.id) : null;
          if (!current) continue;
          element.removeAttribute("hx-swap-oob");
          current.replaceWith(element);
        }
        render();
        markWaiting();
      } catch (error) {
        items.forEach((key) => sentItems.add(key));
      }
    }, 300);
  }

  // The reviewer's choices -------------------------------------------------------------------

  document.addEventListener("click", async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const keep = target.closest("[data-outbox-keep]");
    const stored = target.closest("[data-outbox-stored]");
    const dismiss = target.closest("[data-outbox-dismiss]");
    const send = target.closest("[data-outbox-send]");
    const download = target.closest("[data-outbox-download]");
    if (send) {
      delay = 5000;
      pump();
      return;
    }
    if (download) {
      await downloadFile();
      return;
    }
    const button = keep || stored || dismiss;
    if (!button) return;
    const seq = Number(button.getAttribute(keep ? "data-outbox-keep" : stored ? "data-outbox-stored" : "data-outbox-dismiss"));
    const entry = await readOne("outbox", seq);
    const form = entry ? formFor(entry) : null;
    if (!entry) return;
    if (keep) {
      // Mine stands: sent again, knowingly replacing the value stored elsewhere.
      await update(() => ({ put: [core.keepMine(entry)] }));
      if (form) showDevice(form, bodyOf(form).body || entry.body);
      pump();
    } else if (stored) {
      const current = (entry.problem && entry.problem.current) || null;
      await update((entries) => ({
        remove: core.useStored(entries, entry),
        known: current
          ? [{
              key: knownKey(entry.user, entry.review_id, entry.mode, entry.item_key),
              revision: current.revision,
              body: current,
              saved_at: current.updated_at || null,
            }]
          : [],
      }));
      if (form && current) {
        fill(form, current);
        setRevision(form, current.revision);
        const result = bodyOf(form);
        if (result.body) form.lastBody = result.body;
        show(form, "saved", [{ icon: "✓", text: `${strings.stored_value} · ${describe(current)}` }]);
      }
    } else {
      // A refusal seen and let go. The page then shows what the server holds.
      await update(() => ({ remove: [entry.seq] }));
      if (form && navigator.onLine) {
        window.location.reload();
        return;
      }
      if (form) form.querySelector(".save-state-region").replaceChildren();
    }
    // The buttons are gone with the state they were in: the item's heading takes focus.
    if (form && !button.isConnected) {
      const card = form.closest(".item-card");
      if (card) card.focus({ preventScroll: true });
    }
    refresh();
  });

  // A set-aside change is this person's, or no one's (too damaged to say whose).
  function ownAside(item) {
    const entry = item && item.entry;
    return !entry || typeof entry !== "object" || typeof entry.user !== "string" || entry.user === me;
  }

  async function downloadFile() {
    // Only the signed-in person's own changes: another person's stay theirs to send.
    const entries = (await readAll("outbox")).filter((entry) => entry && entry.user === me);
    const aside = (await readAll("aside")).filter(ownAside);
    const file = core.exportFile(entries, me, new Date().toISOString());
    file.set_aside = aside;
    const blob = new Blob([JSON.stringify(file, null, 2)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
    link.download = `ips-fidelity-outbox-${me || "device"}-${stamp}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // The banner --------------------------------------------------------------------------------

  async function refresh() {
    if (status.noStorage) {
      render();
      return;
    }
    try {
      const entries = await readAll("outbox");
      status.summary = core.summary(entries, me);
      status.aside = (await readAll("aside")).filter(ownAside).length;
    } catch (error) {
      status.noStorage = true;
    }
    render();
  }

  function line(text, icon) {
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

  function render() {
    const banner = document.getElementById("connection");
    if (!banner) return;
    const s = status.summary;
    const others = Object.entries(s.others);
    const scoring = formsOnPage().length > 0 || document.getElementById("kept-pages");
    const waiting = s.mine + s.conflicts + s.refused;
    const anything = waiting || others.length || s.broken || status.aside;
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
    if (status.signinNeeded && waiting) {
      const paragraph = line(`${strings.offline_signin} `, "⚠");
      const link = document.createElement("a");
      link.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
      link.textContent = strings.offline_signin_link;
      paragraph.append(link);
      lines.push(paragraph);
    }
    if (status.wrongUser && s.mine) lines.push(line(plural("offline_other_user", s.mine, me), "⚠"));
    for (const [user, count] of others) {
      lines.push(line(plural("offline_other_user", count, user), "⚠"));
    }
    if (s.conflicts) lines.push(line(plural("offline_conflicts", s.conflicts), "⚠"));
    if (s.refused) lines.push(line(plural("offline_refused", s.refused), "✗"));
    if (s.broken + status.aside) lines.push(line(plural("offline_broken", s.broken + status.aside), "⚠"));
    if (status.persistRefused && scoring) lines.push(line(strings.offline_persist_refused, "ⓘ"));
    const buttons = document.createElement("p");
    buttons.className = "actions";
    const button = (label, attribute) => {
      const element = document.createElement("button");
      element.type = "button";
      element.className = "button secondary";
      element.setAttribute(attribute, "");
      element.textContent = label;
      buttons.append(element);
    };
    if (s.mine && status.online && !status.signinNeeded) {
      button(strings.offline_send_now, "data-outbox-send");
    }
    if (me && (waiting || status.aside)) button(strings.offline_download, "data-outbox-download");
    if (buttons.childElementCount) lines.push(buttons);
    const show = Boolean(scoring || anything || !status.online || fromDevice);
    banner.hidden = !show;
    banner.classList.toggle("is-offline", !status.online);
    banner.classList.toggle("has-waiting", Boolean(waiting));
    notePanel(waiting);
    const before = Array.from(banner.children, (child) => child.textContent).join("\n");
    const after = lines.map((child) => child.textContent).join("\n");
    if (before !== after) {
      // A button that had focus is found again in the new banner (or the banner takes it).
      const focused = banner.contains(document.activeElement) ? document.activeElement : null;
      banner.replaceChildren(...lines);
      if (focused) {
        const again = focused.dataset.outboxSend !== undefined
          ? banner.querySelector("[data-outbox-send]")
          : banner.querySelector("[data-outbox-download]");
        (again || banner).focus();
      }
    }
    announce(s);
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

  // A text with a number in it: the catalogue's form for one, or for any other number.
  function plural(key, count, user) {
    const text = strings[key][count === 1 ? 0 : 1];
    return text.replace("{count}", String(count)).replaceAll("{user}", user || "");
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

  window.addEventListener("online", () => {
    status.online = true;
    delay = 5000;
    render();
    pump();
  });
  window.addEventListener("offline", () => {
    status.online = false;
    render();
  });

  // Signing out with changes not sent: ask first. The changes stay on the device (bound to
  // this user, who sends them by signing in again); the kept pages are dropped.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-logout")) return;
    const s = status.summary;
    const waiting = s.mine + s.conflicts + s.refused;
    if (waiting && !window.confirm(plural("logout_unsent", waiting))) {
      event.preventDefault();
      return;
    }
    forgetPages(null);
    // What the server acknowledged is kept only to put it back on a kept page, and those
    // go now: so does this person's copy of their acknowledged values and notes.
    if (!me || status.noStorage) return;
    event.preventDefault();
    const done = () => form.submit();
    transact(["known"], "readwrite", (known) => {
      const mine = IDBKeyRange.bound(`${me}|`, `${me}|\uffff`);
      return known.delete(mine);
    }).then(done, done);
  });

  // `except`: a page of the person now signed in, kept just now, stays.
  function forgetPages(except) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget", except: except || null });
    }
  }

  window.addEventListener("beforeunload", (event) => {
    if (inFlight > 0) event.preventDefault(); // a change is being written to the device
  });

  // Starting up --------------------------------------------------------------------------------

  // Each form as the reviewer last left it: the value the server last acknowledged if the
  // page is older than it, then the latest change still waiting on this device.
  async function restore() {
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
    const knownByKey = new Map(known.map((item) => [item.key, item]));
    // What is put back on a form: only on one the reviewer has not touched meanwhile.
    const untouched = (form) => !early.has(form) && !tapped.has(form) && !editing(form);
    const putBack = (form, body) => {
      fill(form, body);
      const result = bodyOf(form);
      if (result.body) form.lastBody = result.body;
    };
    const stale = [];
    for (const form of forms) {
      const key = knownKey(me, Number(form.dataset.review), form.dataset.mode, form.dataset.item);
      const saved = knownByKey.get(key);
      if (saved && saved.revision > revisionOnPage(form) && untouched(form)) {
        putBack(form, saved.body);
        setRevision(form, saved.revision);
        show(form, "saved", [{ icon: "✓", text: `${strings.saved_at.replace("{time}", localTime(saved.saved_at))} · ${describe(saved.body)}` }]);
      } else if (saved && saved.revision <= revisionOnPage(form)) {
        stale.push(key); // the page knows as much or more: forget it
      }
    }
    for (const form of forms) {
      const latest = core.latestByItem(entries, me, Number(form.dataset.review), form.dataset.mode);
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
    if (stale.length) {
      await transact(["known"], "readwrite", (store) => stale.forEach((key) => store.delete(key)));
    }
    early.forEach((form) => record(form, true));
  }

  // Whether a form's fields differ from what the server rendered into them.
  function changedSinceRendered(form) {
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

  async function askToPersist() {
    if (!formsOnPage().length || !navigator.storage || !navigator.storage.persist) return;
    try {
      const kept = (await navigator.storage.persisted()) || (await navigator.storage.persist());
      status.persistRefused = !kept;
      document.documentElement.dataset.storagePersisted = kept ? "yes" : "no";
    } catch (error) {
      status.persistRefused = true;
    }
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker
      .register("/sw.js", { scope: "/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        // A page opened before the worker looked after this tab is kept now.
        if (formsOnPage().length && registration.active && !fromDevice) {
          registration.active.postMessage({ type: "keep", path: location.pathname });
        }
        document.documentElement.dataset.worker = "ready";
      })
      .catch((error) => console.warn("outbox: no service worker", error));
  }

  // Another person signed in on this tablet: the pages kept for the one before go.
  function noticeUser() {
    if (!me) return;
    try {
      const last = localStorage.getItem("ips-fidelity-user");
      if (last && last !== me) forgetPages(fromDevice ? null : location.pathname);
      localStorage.setItem("ips-fidelity-user", me);
    } catch (error) {
      // Storage refused (private mode): nothing kept to forget either.
    }
  }

  async function listKeptPages() {
    const list = document.getElementById("kept-pages");
    if (!list || !window.caches) return;
    const cache = await caches.open("ips-pages");
    const requests = await cache.keys();
    for (const request of requests) {
      const response = await cache.match(request);
      const html = response ? await response.text() : "";
      const title = new DOMParser().parseFromString(html, "text/html").title || request.url;
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = new URL(request.url).pathname;
      link.textContent = title;
      item.append(link);
      list.append(item);
    }
    const none = document.getElementById("kept-none");
    if (none) none.hidden = requests.length > 0;
  }

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
})();
