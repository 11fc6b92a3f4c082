/* Every page: makes sideways-scrolling regions (wide tables on a phone) reachable by keyboard,
   registers the portal's service worker, and forgets the offline copies on logout. */
"use strict";
(function () {
  function focusableScrollers(root) {
    root.querySelectorAll(".table-wrap, [data-scroll]").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
      }
    });
  }
  focusableScrollers(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    focusableScrollers(event.target.parentElement || document);
  });

  if ("serviceWorker" in navigator && !location.pathname.startsWith("/scan/")) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }
  const logout = document.querySelector("form[data-logout]");
  if (logout && "caches" in window) {
    logout.addEventListener("submit", function () {
      caches.keys().then(function (keys) {
        keys.forEach(function (key) { caches.delete(key); });
      });
    });
  }
})();
