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
