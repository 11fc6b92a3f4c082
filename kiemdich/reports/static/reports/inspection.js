/* The inspection form: only the part of the chosen subject shown (all of them without
   script), and the fine bracket of the chosen Decree 117 article shown before submitting —
   the individual's bracket for a person, twice it for a venue or an establishment. */
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
})();
