/* Keeps the scanning page usable without network: the page and its static files are served
   from a cache when the network is gone (the scans themselves wait in the page's queue).
   Served from /scan/sw.js so that it may control /scan/ pages. */
"use strict";
const CACHE = "kd-scan-v1";  // the kiosk page stores its own copy here too (kiosk.js)

const KIOSK = /^\/scan\/\d+\/$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function remember(request, response) {
  if (response.ok && response.type === "basic") {
    const copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/scan/")) {
    // Network first: a fresh page when online, the last one seen when not. The copy the
    // page stored itself was fetched with other headers than a navigation.
    const kept = function () {
      return caches.match(request, { ignoreVary: true, ignoreSearch: true });
    };
    event.respondWith(fetch(request).then(function (response) {
      // Sent to the login page (the portal session timed out): the kiosk signed in for its
      // shift with a token of its own, so its last copy is opened rather than the login.
      if (response.type === "opaqueredirect" && KIOSK.test(url.pathname) &&
          !url.searchParams.has("enroll")) {
        return kept().then(function (copy) { return copy || response; });
      }
      return remember(request, response);
    }).catch(kept));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then(function (cached) {
      const fresh = fetch(request).then(function (response) { return remember(request, response); });
      return cached || fresh;
    }));
  }
});
