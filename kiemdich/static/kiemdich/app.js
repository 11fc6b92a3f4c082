/* Every page: makes sideways-scrolling regions (wide tables on a phone) reachable by keyboard,
   asks before the submit of a form with data-confirm, registers the portal's service worker,
   and forgets the offline copies on logout. */
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
  // A one-click that cannot be undone (a new QR code, a revoked card, consent withdrawn)
  // asks first: the form says what will happen in data-confirm.
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  const logout = document.querySelector("form[data-logout]");
  if (logout && "caches" in window) {
    logout.addEventListener("submit", function () {
      caches.keys().then(function (keys) {
        keys.forEach(function (key) { caches.delete(key); });
      });
    });
  }
})();
