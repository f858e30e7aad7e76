// The person's choices about what waits: on a conflict, keep their own value or take
// the stored one; let a refusal go; from the banner, send now or download the file of
// their changes; signing out with changes not sent, whether to go on; and submitting a
// round's part (or confirming its assessment) only once its changes have arrived. It changes
// entries only through the store's update and outbox-core.js's rules, and draws only
// through items.js and view.js.

import * as core from "../outbox-core.js";
import { forgetPages } from "./device.js";
import { bodyOf, formFor, putBack, setRevision } from "./forms.js";
import { clearState, focusItem, showDevice, showStored } from "./items.js";
import { written } from "./recorder.js";
import { pump, sendNow } from "./sender.js";
import { me, status } from "./state.js";
import { forgetKnown, knownKey, readAll, readOne, readOwnAside, update } from "./store.js";
import { confirmSignOut, refresh, strings } from "./view.js";

// An item's buttons, in the order they are looked for.
const CHOICES = [
  ["keep", "data-outbox-keep"],
  ["stored", "data-outbox-stored"],
  ["dismiss", "data-outbox-dismiss"],
];

export async function onClick(event) {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("[data-outbox-send]")) {
    sendNow();
    return;
  }
  if (target.closest("[data-outbox-download]")) {
    await downloadFile();
    return;
  }
  const choice = choiceOf(target);
  if (!choice) return;
  const entry = await readOne("outbox", choice.seq);
  const form = entry ? formFor(entry) : null;
  if (!entry) return;
  if (choice.name === "keep") await keepMine(entry, form);
  else if (choice.name === "stored") await useStored(entry, form);
  else if (await dismiss(entry, form)) return;
  if (form && !choice.button.isConnected) focusItem(form);
  refresh();
}

function choiceOf(target) {
  for (const [name, attribute] of CHOICES) {
    const button = target.closest(`[${attribute}]`);
    if (button) return { name, button, seq: Number(button.getAttribute(attribute)) };
  }
  return null;
}

// Mine stands: sent again, knowingly replacing the value stored elsewhere.
async function keepMine(entry, form) {
  await update(() => ({ put: [core.keepMine(entry)] }));
  if (form) showDevice(form, bodyOf(form).body || entry.body);
  pump();
}

// The stored value stands: this change and those made on top of it are withdrawn.
async function useStored(entry, form) {
  const current = (entry.problem && entry.problem.current) || null;
  await update((entries) => ({
    remove: core.useStored(entries, entry),
    known: current
      ? [{
          key: knownKey(entry.user, core.ownerOf(entry), entry.mode, entry.item_key),
          revision: current.revision,
          body: current,
          saved_at: current.updated_at || null,
        }]
      : [],
  }));
  if (form && current) {
    putBack(form, current);
    setRevision(form, current.revision);
    showStored(form, current);
  }
}

// A refusal seen and let go. The page then shows what the server holds: whether it is
// being reloaded for that.
async function dismiss(entry, form) {
  await update(() => ({ remove: [entry.seq] }));
  if (form && navigator.onLine) {
    window.location.reload();
    return true;
  }
  if (form) clearState(form);
  return false;
}

async function downloadFile() {
  // Only the signed-in person's own changes: another person's stay theirs to send.
  const entries = (await readAll("outbox")).filter((entry) => entry && entry.user === me);
  const aside = await readOwnAside(me);
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

// A round's part is submitted (or its assessment confirmed) only with no change of it
// left on the device, whoever made it (a consultant on the leader's tablet too): it would
// then stand without them, and they would be refused when they arrived. The device is
// asked first (a change being written counts too); with something waiting, or the device
// not answering, the form says why, nothing is sent, and the outbox tries to send at once.
// A browser without IndexedDB keeps nothing to wait for.
async function guardRound(form) {
  const round = Number(form.dataset.outboxGuard);
  let waiting = false;
  if ("indexedDB" in window) {
    await written();
    try {
      const entries = await readAll("outbox");
      waiting = entries.some(
        (entry) => entry && core.isRoundMode(entry.mode) && entry.round_id === round,
      );
    } catch (error) {
      waiting = true; // not known: never submitted past a change that may be there
    }
  }
  if (!waiting) {
    form.submit(); // no submit event: this check is not asked again
    return;
  }
  const message = form.querySelector(".outbox-guard");
  if (message) {
    message.textContent = strings[form.dataset.outboxGuardMessage] || "";
    message.hidden = false;
  }
  sendNow();
}

// Signing out with changes not sent: ask first. The changes stay on the device (bound to
// this user, who sends them by signing in again); the kept pages are dropped.
export function onSubmit(event) {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.outboxGuard) {
    event.preventDefault();
    guardRound(form);
    return;
  }
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-logout")) return;
  const s = status.summary;
  const waiting = s.mine + s.conflicts + s.refused;
  if (waiting && !confirmSignOut(waiting)) {
    event.preventDefault();
    return;
  }
  forgetPages(null);
  // What the server acknowledged is kept only to put it back on a kept page, and those
  // go now: so does this person's copy of their acknowledged values and notes.
  if (!me || status.noStorage) return;
  event.preventDefault();
  const done = () => form.submit();
  forgetKnown(me).then(done, done);
}
