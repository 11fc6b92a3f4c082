/* The area picker (kiemdich/areas/picker.py): the box above the select narrows its options by
   name as one types, accents and case ignored ("tan phong" finds "Phường Tân Phong"); an
   option's parents stay shown above it. Loaded once however many pickers a page has. */
"use strict";
(function () {
  if (window.kdAreaPicker) return;
  window.kdAreaPicker = true;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  function level(option) {
    const match = option.text.match(/^\u00a0*/);
    return match ? match[0].length / 2 : 0;
  }

  function wire(root) {
    if (root.dataset.wired) return;
    root.dataset.wired = "1";
    const box = root.querySelector("[data-area-filter]");
    const select = root.querySelector("select");
    if (!box || !select) return;
    const all = Array.from(select.options).map(function (o) {
      return { option: o, key: fold(o.text), level: level(o), blank: o.value === "" };
    });
    box.hidden = false;
    box.addEventListener("input", function () {
      const words = fold(box.value).split(" ").filter(Boolean);
      const matches = function (item) {
        return words.every(function (w) { return item.key.indexOf(w) >= 0; });
      };
      const keep = new Set();
      const parents = [];
      let first = null;
      all.forEach(function (item) {
        parents.length = item.level;
        if (item.blank || matches(item)) {
          keep.add(item);
          parents.forEach(function (p) { keep.add(p); });
          if (!item.blank && !first) first = item;
        }
        parents[item.level] = item;
      });
      const chosen = select.value;
      // Options are removed, not hidden: Safari shows hidden options in a select.
      select.replaceChildren.apply(select, all.filter(function (i) { return keep.has(i); })
        .map(function (i) { return i.option; }));
      // What one typed is chosen: the first area it names, unless the choice still matches.
      const still = all.find(function (i) { return i.option.value === chosen; });
      if (words.length && first && !(still && !still.blank && matches(still))) {
        select.value = first.option.value;
      } else if (keep.has(still)) {
        select.value = chosen;
      }
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function wireAll(scope) {
    (scope || document).querySelectorAll("[data-area-picker]").forEach(wire);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wireAll(); });
  } else {
    wireAll();
  }
  document.addEventListener("htmx:afterSwap", function (e) { wireAll(e.target); });
})();
