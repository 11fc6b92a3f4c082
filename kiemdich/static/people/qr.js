// The personal QR page reloads itself when its code expires or the day changes, so a phone
// left on this page always shows a valid code and today's declaration status.
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh-at]");
  if (!box) { return; }
  var due = Date.parse(box.getAttribute("data-refresh-at"));
  if (isNaN(due)) { return; }
  function check() {
    if (Date.now() >= due && navigator.onLine !== false) { window.location.reload(); }
  }
  setInterval(check, 60 * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { check(); }
  });
})();
