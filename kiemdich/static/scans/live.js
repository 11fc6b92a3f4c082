/* Live page: entries and exits arrive through Server-Sent Events; the counts and the list of
   people inside follow them. Text only (textContent): nothing from an event becomes markup. */
(function () {
  "use strict";
  const root = document.getElementById("live");
  if (!root) return;
  const text = document.getElementById("live-text").dataset;
  const status = document.getElementById("live-status");
  const events = document.getElementById("events");
  const inside = document.getElementById("inside");
  const counts = {
    inside: document.getElementById("count-inside"),
    in: document.getElementById("count-in"),
    out: document.getElementById("count-out"),
  };
  const format = new Intl.NumberFormat("vi-VN");

  function bump(el, by) {
    const value = parseInt(el.textContent.replace(/\D/g, ""), 10) || 0;
    el.textContent = format.format(Math.max(0, value + by));
  }

  function time(iso) {
    const d = new Date(iso);
    // The venue's zone, not the browser's: the page's other times are in it too.
    return d.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", second: "2-digit",
                                           hour12: false, timeZone: root.dataset.tz });
  }

  function item(parts) {
    const li = document.createElement("li");
    parts.forEach(function (part) {
      const span = document.createElement(part.tag || "span");
      span.textContent = part.text;
      if (part.className) span.className = part.className;
      li.appendChild(span);
      li.appendChild(document.createTextNode(" "));
    });
    return li;
  }

  // Who came in today without a declaration, or with symptoms, stands out in the list.
  const DECLARATIONS = { symptoms: ["symptoms", "badge badge-bad"],
                         not_declared: ["notDeclared", "badge badge-warn"] };

  function onScan(event) {
    const data = JSON.parse(event.data);
    const person = data.person || {};
    const li = item([
      { text: data.direction === "in" ? text.in : text.out,
        className: "badge " + (data.direction === "in" ? "badge-ok" : "badge-warn") },
      { text: person.display_name || "" },
      { text: person.phone || "", className: "muted" },
      { text: time(data.at), className: "muted", tag: "time" },
    ].concat(DECLARATIONS[data.declaration] ? [{ text: text[DECLARATIONS[data.declaration][0]],
                                                   className: DECLARATIONS[data.declaration][1] }]
      : []));
    li.className = "event event-" + data.direction + " event-new";
    if (data.declaration) li.dataset.declaration = data.declaration;
    li.dataset.scan = data.scan_id;
    events.insertBefore(li, events.firstChild);
    while (events.children.length > 100) events.removeChild(events.lastChild);

    // Matched by the visit's token: a masked person carries no identifier.
    const existing = inside.querySelector('[data-visitor="' + String(data.visitor) + '"]');
    if (data.visit === "opened") {
      bump(counts.in, 1);
      if (!existing) {
        const row = item([{ text: person.display_name || "" },
                          { text: person.phone || "", className: "muted" },
                          { text: time(data.at), className: "muted", tag: "time" }]);
        row.dataset.visitor = data.visitor;
        inside.insertBefore(row, inside.firstChild);
        bump(counts.inside, 1);
      }
    } else if (data.visit === "closed" || data.visit === "exit_only") {
      bump(counts.out, 1);
      if (existing) {
        existing.remove();
        bump(counts.inside, -1);
      }
    }
  }

  const source = new EventSource(root.dataset.streamUrl);
  source.addEventListener("scan", onScan);
  // "ready" comes once the server listens for this venue: from then on nothing is missed.
  source.addEventListener("ready", function () {
    status.textContent = text.connected;
    status.className = "badge badge-ok";
    root.dataset.connected = "1";
  });
  function lost() {
    status.textContent = text.lost;
    status.className = "badge badge-bad";
    delete root.dataset.connected;
  }
  source.addEventListener("error", lost);
  // The server lost its own subscription (Redis restarting): it says "ready" again once back.
  source.addEventListener("lost", lost);
  // This account or reader may no longer watch this venue: the server has ended the stream.
  source.addEventListener("revoked", function () {
    source.close();
    lost();
  });
})();
