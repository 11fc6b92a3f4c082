/* The inspection form: only the part of the chosen subject shown (all of them without
   script), the fine bracket of the chosen Decree 117 article shown before submitting —
   the individual's bracket for a person, twice it for a venue or an establishment — and a
   live camera that reads the venue's poster (scans/qrscan.js, the kiosk's reader): the code
   goes into the form and the search shows the venue's name. */
(function () {
  "use strict";
  var form = document.getElementById("inspection-form");
  if (!form) return;
  var hint = document.getElementById("fine-bracket");
  var violation = form.querySelector("select[name=violation]");
  var fine = form.querySelector("input[name=fine]");

  function subject() {
    var checked = form.querySelector("input[name=subject]:checked");
    return checked ? checked.value : "venue";
  }

  function money(amount) {
    return String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " đ";
  }

  function showParts() {
    var current = subject();
    document.querySelectorAll("[data-subject-part]").forEach(function (el) {
      el.hidden = el.getAttribute("data-subject-part") !== current;
    });
  }

  function showBracket() {
    var option = violation && violation.selectedOptions[0];
    if (!option || !option.dataset.fineMin) { hint.hidden = true; return; }
    var low = Number(option.dataset.fineMin), high = Number(option.dataset.fineMax);
    var person = subject() === "person";
    if (!person) high = 2 * high;
    var text = hint.getAttribute(person ? "data-person" : "data-organisation");
    hint.textContent = text.replace("%(min)s", money(low)).replace("%(max)s", money(high));
    hint.hidden = false;
    if (fine) { fine.min = low; fine.max = high; }
  }

  form.querySelectorAll("input[name=subject]").forEach(function (radio) {
    radio.addEventListener("change", function () { showParts(); showBracket(); });
  });
  if (violation) violation.addEventListener("change", showBracket);
  showParts();
  showBracket();

  var scan = document.getElementById("live-scan");
  var cameraButton = document.getElementById("camera-btn");
  if (scan && window.KDQrScanner && window.KDQrScanner.kind) {
    var video = document.getElementById("camera");
    var said = document.getElementById("camera-read");
    var venueCode = form.querySelector("input[name=venue_code]");
    var search = document.getElementById("venue-q");
    var stop = null;
    cameraButton.hidden = false;
    scan.dataset.camera = window.KDQrScanner.kind;
    var close = function () {
      if (stop) stop();
      stop = null;
      cameraButton.setAttribute("aria-pressed", "false");
    };
    cameraButton.addEventListener("click", function () {
      if (stop) { close(); return; }
      window.KDQrScanner.open(video, {
        jsqrUrl: scan.dataset.jsqrUrl,
        onCode: function (code) {
          close();
          venueCode.value = code;
          var venueRadio = form.querySelector("input[name=subject][value=venue]");
          if (venueRadio && !venueRadio.checked) { venueRadio.checked = true; showParts(); showBracket(); }
          said.textContent = said.dataset.text.replace("%(code)s", code);
          said.hidden = false;
          // The poster's URL names its venue: the search lists it by name to confirm.
          search.value = code;
          search.dispatchEvent(new Event("search", { bubbles: true }));
        },
      }).then(function (stopper) {
        stop = stopper;
        cameraButton.setAttribute("aria-pressed", "true");
      }).catch(function () {
        said.textContent = cameraButton.dataset.refused || "";
        said.hidden = !said.textContent;
      });
    });
  }
})();
