// IPS Fidelity's own browser code: small, no inline handlers (the CSP forbids them).
//
// After htmx swaps a region, keyboard and screen-reader users must not lose their place:
// the control they used may have been replaced. A swapped region can name, with
// data-focus-after-swap, a selector inside it that should take focus afterwards.
document.addEventListener("htmx:afterSettle", (event) => {
  const region = event.target; // the settled new content, not the (replaced) requester
  if (!(region instanceof Element)) return;
  const selector = region.getAttribute("data-focus-after-swap");
  const target = selector ? region.querySelector(selector) : null;
  if (target instanceof HTMLElement) target.focus();
});

// A page that comes back with an error (or a one-time notice) moves focus to it, so a
// screen reader reads it and a keyboard user starts from it.
document.addEventListener("DOMContentLoaded", () => {
  const target = document.querySelector("[data-focus-on-load]");
  if (target instanceof HTMLElement) target.focus();
});

// Forms whose action cannot be undone ask first: <form data-confirm="question">.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

// A copy button for a value shown once: <button data-copy="#selector" data-copied="…">.
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!(button instanceof HTMLButtonElement)) return;
  const source = document.querySelector(button.getAttribute("data-copy") || "");
  if (!source || !navigator.clipboard) return;
  await navigator.clipboard.writeText(source.textContent.trim());
  button.textContent = button.getAttribute("data-copied") || button.textContent;
});

// ---------------------------------------------------------------------------------------
// Saving as one types (the consensus screen's summary; the items' ratings go through the
// outbox, outbox.js). A form marked data-autosave is sent by htmx on every change. This
// code gives each change its own id (OutboxCore.newClientId; a resent change is stored
// once), skips sending when nothing changed, and makes the state of every save visible:
// saving, saved (the server's answer), or not saved with a button to try again. It never
// leaves a failure silent.

const NOT_CONTENT = new Set(["client_id", "base_revision", "csrf_token"]);

// What the form says, as one comparable string (the fields that make up the rating).
function snapshot(form) {
  const parts = [];
  for (const [name, value] of new FormData(form)) {
    if (!NOT_CONTENT.has(name)) parts.push(`${name}=${value}`);
  }
  return parts.join("&");
}

function autosaveForm(element) {
  return element instanceof Element ? element.closest("form[data-autosave]") : null;
}

// The item's live region (role="status") stays in place; what it says is replaced, by
// htmx with the server's answer (innerHTML) or here while saving and after a failure.
function regionOf(form) {
  return form.querySelector(".save-state-region");
}

function showState(form, kind, text, withRetry) {
  const region = regionOf(form);
  if (!region) return;
  const state = document.createElement("div");
  state.className = `save-state save-state-${kind}`;
  const line = document.createElement("p");
  if (kind === "failed") line.setAttribute("role", "alert");
  const mark = document.createElement("span");
  mark.setAttribute("aria-hidden", "true");
  mark.textContent = kind === "failed" ? "✗ " : "… ";
  line.append(mark, text);
  state.append(line);
  if (withRetry) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "button secondary";
    retry.dataset.retrySave = "";
    retry.textContent = form.dataset.retry || "Retry";
    state.append(retry);
  }
  region.replaceChildren(state);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-autosave]")) {
    form.dataset.sent = snapshot(form);
  }
});

document.addEventListener("htmx:configRequest", (event) => {
  const form = autosaveForm(event.target);
  if (!form) return;
  const now = snapshot(form);
  if (now === form.dataset.sent && !form.dataset.force) {
    event.preventDefault(); // nothing changed since the last answer: send nothing
    return;
  }
  // Sending again what failed to arrive reuses its id: if it did arrive after all, the
  // server answers with the stored change instead of seeing a second one.
  const resend = now === form.dataset.pending && form.dataset.clientId && !form.dataset.force;
  if (!resend) form.dataset.clientId = window.OutboxCore.newClientId();
  delete form.dataset.force;
  form.dataset.pending = now;
  event.detail.parameters.client_id = form.dataset.clientId;
});

document.addEventListener("htmx:beforeRequest", (event) => {
  const form = autosaveForm(event.target);
  if (form) showState(form, "saving", form.dataset.saving || "Saving …", false);
});

function failed(event) {
  const form = autosaveForm(event.target);
  if (!form) return;
  delete form.dataset.sent; // whatever it says now has not reached the server
  form.classList.add("save-failed");
  showState(form, "failed", form.dataset.failed || "Not saved", true);
}
document.addEventListener("htmx:sendError", failed);
document.addEventListener("htmx:timeout", failed);
document.addEventListener("htmx:responseError", failed);

document.addEventListener("htmx:afterRequest", (event) => {
  const form = autosaveForm(event.target);
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  if (!form || !(event.detail.successful || status === 409 || status === 422)) return;
  form.dataset.sent = form.dataset.pending || snapshot(form);
  delete form.dataset.clientId; // answered: the next change is a new one
  form.classList.remove("save-failed");
  // A refused change (409, 422) is not on the server either: leaving the page warns.
  form.classList.toggle("save-refused", status === 409 || status === 422);
});

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const retry = target.closest("[data-retry-save]");
  if (retry) {
    const form = autosaveForm(retry);
    if (form) window.htmx.trigger(form, "change");
    return;
  }
  const useTeam = target.closest("[data-use-team-figure]");
  if (useTeam) {
    useTeamFigure(useTeam);
    return;
  }
  const add = target.closest("[data-add-consultant]");
  if (add) {
    const list = add.parentElement.querySelector(".consultant-rows");
    const last = list && list.lastElementChild;
    if (!last) return;
    const row = last.cloneNode(true);
    const number = list.children.length + 1;
    const field = row.querySelector("input, select");
    const label = row.querySelector("label");
    const id = `${field.id.replace(/-\d+$/, "")}-${number - 1}`;
    field.id = id;
    field.value = "";
    label.htmlFor = id;
    label.textContent = label.textContent.replace(/\d+/, String(number));
    list.append(row);
    field.focus();
  }
});

// "Not rated" and a level exclude each other: choosing one clears the other before htmx
// reads the form (this listener runs in the capture phase, before htmx's).
document.addEventListener(
  "change",
  (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    const form = input.closest("form[data-autosave], form[data-outbox]");
    if (!form) return;
    if (input.name === "figure") {
      // A new figure: a level that was only the old figure's suggestion goes with it.
      const chosen = form.querySelector('input[name="score"]:checked');
      if (chosen && chosen.value === form.dataset.suggested) chosen.checked = false;
    } else if (input.name === "score" && input.checked) {
      const notRated = form.querySelector('input[name="not_rated"]');
      if (notRated) notRated.checked = false;
    } else if (input.name === "not_rated" && input.checked) {
      for (const radio of form.querySelectorAll('input[name="score"]')) radio.checked = false;
    } else if (input.name === "none_present" && input.checked) {
      for (const box of form.querySelectorAll('input[name="ticked"]')) box.checked = false;
    } else if (input.name === "ticked" && input.checked) {
      const none = form.querySelector('input[name="none_present"]');
      if (none) none.checked = false;
    }
  },
  true,
);

// Leaving the page while a save is under way or has failed would lose it: ask first.
window.addEventListener("beforeunload", (event) => {
  const unsaved = document.querySelector(
    "form.save-failed, form.save-refused, form[data-autosave].htmx-request",
  );
  if (unsaved) event.preventDefault();
});

// "Use the team's figure": put the figure the team reported into the rating form, as if
// the reviewer had typed it, so it is saved (and kept on the device) like any change.
// The reviewer can still change it afterwards: that overrides the team's figure.
function useTeamFigure(button) {
  const form = button.closest("form");
  if (!form) return;
  const value = JSON.parse(button.dataset.useTeamFigure);
  const written = (number) =>
    document.documentElement.lang === "da" ? String(number).replace(".", ",") : String(number);
  let last = null;
  if (Array.isArray(value)) {
    const add = form.querySelector("[data-add-consultant]");
    const fields = () => Array.from(form.querySelectorAll('input[name="consultant_figure"]'));
    while (add && fields().length < value.length) add.click();
    fields().forEach((field, index) => {
      field.value = index < value.length ? written(value[index]) : "";
      last = field;
    });
  } else {
    last = form.querySelector('input[name="figure"]');
    if (last) last.value = written(value);
  }
  if (!last) return;
  last.dispatchEvent(new Event("input", { bubbles: true }));
  last.dispatchEvent(new Event("change", { bubbles: true }));
  last.focus();
}
