/* The portal's service worker (scope "/"): the shell (stylesheet, scripts, icons) comes from
   a cache, pages from the network with the last copy of the home page and of personal QR
   pages kept for when there is no network; any other page falls back to an offline page.
   The kiosk (/scan/) has its own worker with a narrower scope, which takes precedence. */
"use strict";
const CACHE = "kd-app-v1";
const SHELL = ["/offline/", "/static/kiemdich/app.css", "/static/kiemdich/app.js",
               "/static/kiemdich/icon.svg", "/static/people/people.css", "/static/people/qr.js"];
const KEEP = /^\/$|^\/people\/\d+\/qr\/$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.startsWith("kd-app-") && key !== CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

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
  if (url.pathname.startsWith("/scan/") || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      return KEEP.test(url.pathname) && !response.redirected ? remember(request, response) : response;
    }).catch(function () {
      return caches.match(request).then(function (cached) {
        return cached || caches.match("/offline/");
      });
    }));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then(function (cached) {
      const fresh = fetch(request).then(function (response) { return remember(request, response); });
      return cached || fresh;
    }));
  }
});
