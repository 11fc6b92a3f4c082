/* Keeps the scanning page usable without network: the page and its static files are served
   from a cache when the network is gone (the scans themselves wait in the page's queue).
   Served from /scan/sw.js so that it may control /scan/ pages. */
"use strict";
const CACHE = "kd-scan-v1";

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
    // Network first: a fresh page when online, the last one seen when not.
    event.respondWith(fetch(request).then(function (response) {
      return remember(request, response);
    }).catch(function () {
      // The copy the page stored itself was fetched with other headers than a navigation.
      return caches.match(request, { ignoreVary: true, ignoreSearch: true });
    }));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then(function (cached) {
      const fresh = fetch(request).then(function (response) { return remember(request, response); });
      return cached || fresh;
    }));
  }
});
