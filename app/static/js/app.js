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
