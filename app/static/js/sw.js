// IPS Fidelity's service worker: what lets a reviewer open a review's scoring screen, and
// score on it, with the network off, also after the browser was closed and opened again;
// and a team fill in its part of the year's measurement (and the ambassadors their
// assessment) the same way.
//
// It keeps two things in the browser's Cache Storage:
//   - the app shell (stylesheet, scripts, icon and the page shown when nothing else can
//     be): fetched when the worker is installed, replaced when a new version is;
//   - the scoring screens of the reviews this person has opened, and the measurement
//     rounds' team part and assessment screens, each as last fetched.
// Pages and the app's own files are fetched from the network first, so that online the
// reviewer always sees what the server holds; the kept copy is used only when the network
// fails. The API is never answered from a cache: the outbox (outbox.js) handles its
// answers itself. A kept page is marked so that the page can say it is a copy.
//
// The server fills in VERSION (a digest of this file and the shell's files) and SHELL.
const VERSION = "dev";
const SHELL = [];
const SHELL_CACHE = `ips-shell-${VERSION}`;
const PAGES_CACHE = "ips-pages";
const OFFLINE_PAGE = "/offline";
// The pages kept for use offline: a review's scoring and consensus screens, a round's
// team part and assessment.
const KEPT_PAGE = /^\/(reviews\/\d+\/(score|consensus)|rounds\/\d+\/(team|assessment))$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("ips-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request, url));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request));
  }
});

// A page: from the network, keeping a copy of a scoring screen; without a network, the
// kept copy, or else the offline page.
async function page(request, url) {
  try {
    const response = await fetch(request);
    if (KEPT_PAGE.test(url.pathname)) {
      // A page the server no longer shows this browser (sent to sign in: the session
      // ended; or refused) is not kept for offline use any longer either.
      if (isWhole(response)) await keep(url.pathname, response.clone());
      else if (response.type === "opaqueredirect" || response.redirected || response.status < 500) {
        await (await caches.open(PAGES_CACHE)).delete(url.pathname);
      }
    }
    return response;
  } catch (error) {
    const kept = await (await caches.open(PAGES_CACHE)).match(url.pathname);
    if (kept) return marked(kept);
    const offline = await caches.match(OFFLINE_PAGE);
    if (offline) return offline;
    throw error;
  }
}

// A plain successful answer of this site (not a redirect to the sign-in page, not an error).
function isWhole(response) {
  return response.ok && response.type === "basic" && !response.redirected;
}

async function keep(path, response) {
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(path, response);
}

// The kept copy says it is one: the page's script tells the reviewer.
async function marked(response) {
  const text = await response.text();
  const headers = new Headers(response.headers);
  return new Response(text.replace('data-page-source="network"', 'data-page-source="device"'), {
    status: response.status,
    headers,
  });
}

async function asset(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    throw error;
  }
}

// Messages from the pages:
//   {type: "keep", path}: keep this scoring screen (opened before the worker took over);
//   {type: "forget", except}: drop the kept pages (someone signed out, or another person
//   signed in), but for `except`, the page the new person has just opened.
self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "keep" && typeof message.path === "string") {
    event.waitUntil(keepFresh(message.path));
  } else if (message.type === "forget") {
    event.waitUntil(forget(typeof message.except === "string" ? message.except : null));
  }
});

async function forget(except) {
  const cache = await caches.open(PAGES_CACHE);
  for (const request of await cache.keys()) {
    if (new URL(request.url).pathname !== except) await cache.delete(request);
  }
}

async function keepFresh(path) {
  const url = new URL(path, self.location.origin);
  if (url.origin !== self.location.origin || !KEPT_PAGE.test(url.pathname)) return;
  try {
    const response = await fetch(url.pathname, { credentials: "same-origin" });
    if (isWhole(response)) await keep(url.pathname, response);
  } catch (error) {
    // Offline: the page will be kept the next time it is opened online.
  }
}
