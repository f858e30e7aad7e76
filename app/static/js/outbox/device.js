// What this browser keeps for offline use besides the entries: the service worker (sw.js)
// and the scoring pages it keeps (listed on the offline page; forgotten on signing out,
// when a session ends, or when another person signs in), and the request that the
// browser not clear the device's copy. It never reads or writes the entries.

import { formsOnPage } from "./forms.js";
import { fromDevice, me, status } from "./state.js";

// `except`: a page of the person now signed in, kept just now, stays.
export function forgetPages(except) {
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: "forget", except: except || null });
  }
}

export function registerWorker() {
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
export function noticeUser() {
  if (!me) return;
  try {
    const last = localStorage.getItem("ips-fidelity-user");
    if (last && last !== me) forgetPages(fromDevice ? null : location.pathname);
    localStorage.setItem("ips-fidelity-user", me);
  } catch (error) {
    // Storage refused (private mode): nothing kept to forget either.
  }
}

// The offline page's list of the scoring pages kept on this device.
export async function listKeptPages() {
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

export async function askToPersist() {
  if (!formsOnPage().length || !navigator.storage || !navigator.storage.persist) return;
  try {
    const kept = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    status.persistRefused = !kept;
    document.documentElement.dataset.storagePersisted = kept ? "yes" : "no";
  } catch (error) {
    status.persistRefused = true;
  }
}
