/* Staff scanning page: keyboard-wedge readers (code + Enter, Tab or a pause), camera (BarcodeDetector or a
   photo decoded by the server), manual entry, a full-screen result with a beep, and an
   offline queue kept in localStorage and uploaded in one batch when the network is back.
   The queue holds only what the upload needs: an ID card's QR (name, birth date, address in
   clear) is kept as its ID number alone, and each item goes as soon as the server answered
   it. */
(function () {
  "use strict";
  const root = document.getElementById("kiosk");
  if (!root) return;
  const text = document.getElementById("kiosk-text").dataset;
  const input = document.getElementById("scan-input");
  const result = document.getElementById("result");
  const queueBadge = document.getElementById("queue-count");
  const queueKey = "kd-scan-queue-" + root.dataset.venue;
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  let hideTimer = null;
  let audio = null;

  function direction() {
    return root.querySelector("input[name=direction]:checked").value;
  }

  function nonce() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  // Always focused: a reader types into whatever has focus, so keep it on the input unless
  // staff are typing in the manual form (open, it has the focus back for the next person).
  function refocus() {
    const active = document.activeElement;
    if (active && active.closest && active.closest("#manual-form")) return;
    const manual = document.getElementById("manual-form");
    if (!manual.hidden) document.getElementById("manual-id").focus();
    else input.focus();
  }
  input.addEventListener("blur", function () { setTimeout(refocus, 50); });
  document.addEventListener("click", function () { setTimeout(refocus, 50); });
  refocus();

  function beep(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tones = kind === "ok" ? [[880, 0.12]] : kind === "warn" ? [[660, 0.12], [660, 0.12]]
        : [[220, 0.45]];
      let at = audio.currentTime;
      tones.forEach(function (tone) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = tone[0];
        osc.type = kind === "bad" ? "square" : "sine";
        gain.gain.setValueAtTime(0.2, at);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + tone[1]);
        at += tone[1] + 0.08;
      });
    } catch (e) { /* no audio: the colour still tells */ }
  }

  function show(kind, title, name, detail) {
    result.className = "kiosk-result result-" + kind;
    result.dataset.kind = kind;
    delete result.dataset.declaration;
    document.getElementById("result-title").textContent = title;
    document.getElementById("result-name").textContent = name || "";
    document.getElementById("result-detail").textContent = detail || "";
    result.hidden = false;
    beep(kind);
    clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { result.hidden = true; refocus(); }, 2500);
  }
  result.addEventListener("click", function () { result.hidden = true; });

  const DECLARATIONS = { declared: "ok", not_declared: "warn", symptoms: "bad" };
  function showAnswer(status, body) {
    if (status === 200 || status === 201) {
      // The screen takes the colour of today's declaration, seen from across the gate: a
      // symptomatic visitor is red whatever else is true.
      const declaration = DECLARATIONS[body.declaration] ? body.declaration : "not_declared";
      const parts = [body.direction === "in" ? text.in : text.out];
      if (body.visit === "repeat") parts.push(text.repeat);
      const title = declaration === "symptoms" ? text.symptoms
        : declaration === "declared" ? text.declared : text.notDeclared;
      // A person without a phone shows the name alone, not "name · ".
      const who = [body.person.display_name, body.person.phone].filter(Boolean).join(" · ");
      show(DECLARATIONS[declaration], title, who, parts.join(" · "));
      result.dataset.declaration = declaration;
    } else {
      const message = body && body.error ? body.error.message : text.error + " " + status;
      show("bad", text.refused, "", message);
    }
  }

  // Offline queue ------------------------------------------------------------------------
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(queueKey) || "[]"); } catch (e) { return []; }
  }
  function saveQueue(items) {
    localStorage.setItem(queueKey, JSON.stringify(items));
    queueBadge.hidden = items.length === 0;
    queueBadge.textContent = text.queue + ": " + items.length;
  }
  // A chip ID card (7 fields) or the national QR (6 fields) starts with the ID number, and
  // that is all the server needs to find or record the person; the rest stays in memory.
  const ID_CARD = /^([0-9]{9}|[0-9]{12}|[A-Z]{1,2}[0-9]{6,8})\|/i;
  function stored(item) {
    if (!item.code || !ID_CARD.test(item.code)) return item;
    const fields = item.code.split("|");
    if (fields.length !== 6 && fields.length !== 7) return item;
    return { direction: item.direction, nonce: item.nonce, scanned_at: item.scanned_at,
             id_number: fields[0].trim() };
  }
  function enqueue(item) {
    const items = loadQueue();
    items.push(stored(item));
    saveQueue(items);
  }

  // The kiosk's own sign-in ------------------------------------------------------------
  // Staff sign the phone in once for the shift: a device token kept on the phone, so the
  // kiosk scans however long the gate stays quiet (the portal session times out after
  // minutes). When the shift is over the kiosk asks for a sign-in and its scans wait in the
  // queue meanwhile; when the owner revokes it, it stops and says so.
  const kioskKey = "kd-kiosk-" + root.dataset.venue;
  const banner = document.getElementById("kiosk-state");
  let kiosk = null;
  try { kiosk = JSON.parse(localStorage.getItem(kioskKey) || "null"); } catch (e) { kiosk = null; }
  let state = kiosk && kiosk.revoked ? "revoked" : "ok";

  function setState(next) {
    state = next;
    banner.hidden = next === "ok";
    banner.className = "msg " + (next === "revoked" ? "msg-error" : "msg-warn");
    banner.dataset.state = next;
    document.getElementById("kiosk-state-text").textContent =
      next === "revoked" ? text.revoked : text.signin;
    root.classList.toggle("kiosk-stopped", next === "revoked");
    if (next !== "ok") input.blur();
  }

  function keep(value) {
    kiosk = value;
    localStorage.setItem(kioskKey, JSON.stringify(value));
  }

  // A new kiosk token from the staff member's session (the old one, if any, is revoked).
  async function enroll(force) {
    if (!force && kiosk && kiosk.token && Date.parse(kiosk.expires_at) > Date.now()) return true;
    try {
      const response = await fetch(root.dataset.kioskUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ previous_token: kiosk && kiosk.token ? kiosk.token : null }),
      });
      if (response.status === 201) {
        const body = await response.json();
        keep({ token: body.token, expires_at: body.expires_at });
        setState("ok");
        return true;
      }
      setState("signin");  // no session any more (or no longer staff here)
    } catch (e) { /* offline: the token held, if any, is tried when the network is back */ }
    return false;
  }

  // True when the kiosk itself was refused: the shift is over or the kiosk was revoked.
  function refusedKiosk(status, body) {
    if (status !== 401) return false;
    if (body && body.error && body.error.reason === "device_revoked") {
      keep({ revoked: true });
      setState("revoked");
    } else {
      setState("signin");
    }
    return true;
  }

  async function answer(response) {
    let body = {};
    try { body = await response.json(); } catch (e) { /* not JSON */ }
    return body;
  }

  function post(url, body) {
    const headers = { "Content-Type": "application/json" };
    if (kiosk && kiosk.token) headers.Authorization = "Device " + kiosk.token;
    else headers["X-CSRFToken"] = csrf;
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers,
                        body: JSON.stringify(body) });
  }

  // A request the kiosk sends; a shift that ended is renewed once from a live session.
  async function send(url, body) {
    let response = await post(url, body);
    let data = await answer(response);
    if (response.status === 401 && data.error && data.error.reason === "device_expired" &&
        await enroll(true)) {
      response = await post(url, body);
      data = await answer(response);
    }
    return { status: response.status, ok: response.ok, body: data };
  }

  let flushing = false;
  async function flush() {
    const items = loadQueue();
    if (state === "signin") await enroll(true);
    if (flushing || items.length === 0 || !navigator.onLine || state !== "ok") return;
    flushing = true;
    try {
      const batch = items.slice(0, 200);
      const response = await send(root.dataset.batchUrl, { scans: batch });
      if (refusedKiosk(response.status, response.body)) return;
      if (response.ok) {
        // An item the server answered (stored, refused or a replay) is gone from the browser
        // at once; one it could not take now is sent again at the next flush: beyond the
        // reader's rate limit (429), or a part of the server down (5xx).
        const body = response.body;
        const answered = new Set((body.results || [])
          .filter(function (r) { return r.status !== 429 && r.status < 500; })
          .map(function (r) { return batch[r.index] && batch[r.index].nonce; }));
        saveQueue(loadQueue().filter(function (i) { return !answered.has(i.nonce); }));
      }
    } catch (e) { /* still offline */ } finally {
      flushing = false;
    }
  }
  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  saveQueue(loadQueue());
  if (state === "revoked" && new URLSearchParams(location.search).has("enroll")) {
    state = "ok";  // back from a new sign-in, asked for on purpose
    kiosk = null;
  }
  if (state === "revoked") setState("revoked");
  else enroll(new URLSearchParams(location.search).has("enroll")).then(flush);
  // Offline from the first load: this visit was not served through the worker (it is not
  // installed yet), so the page puts itself and its files into the worker's cache now.
  const OFFLINE_CACHE = "kd-scan-v1";
  if ("serviceWorker" in navigator && window.caches) {
    navigator.serviceWorker.register("/scan/sw.js", { scope: "/scan/" }).catch(function () {});
    const files = [location.pathname, root.dataset.jsqrUrl];
    document.querySelectorAll("link[rel=stylesheet][href], script[src], link[rel=icon][href]")
      .forEach(function (el) { files.push(el.getAttribute("href") || el.getAttribute("src")); });
    caches.open(OFFLINE_CACHE).then(function (cache) {
      return Promise.all(files.map(function (file) {
        return fetch(file, { credentials: "same-origin" }).then(function (response) {
          // A login page met on the way is not the kiosk: keep nothing rather than that.
          if (!response.ok || response.redirected) throw new Error(file);
          return cache.put(file, response);
        });
      }));
    }).then(function () { root.dataset.offlineReady = "1"; }).catch(function () {});
  }

  async function submit(fields) {
    // The nonce and the scan time are fixed here, so a retry or a late upload is the same scan.
    const item = Object.assign({ direction: direction(), nonce: nonce(),
                                 scanned_at: new Date().toISOString() }, fields);
    if (state === "revoked") {
      show("bad", text.refused, "", text.revoked);
      return;
    }
    if (!navigator.onLine || state === "signin") {
      enqueue(item);
      show("warn", navigator.onLine ? text.held : text.queued, "", "");
      return;
    }
    try {
      const response = await send(root.dataset.scanUrl, item);
      if (refusedKiosk(response.status, response.body)) {
        // The visitor is not turned away for the kiosk's own sign-in: the scan waits.
        if (state === "revoked") show("bad", text.refused, "", text.revoked);
        else { enqueue(item); show("warn", text.held, "", ""); }
        return;
      }
      showAnswer(response.status, response.body);
    } catch (e) {
      enqueue(item);
      show("warn", text.queued, "", "");
    }
  }

  // A phone or ID number typed (or read off a card by a barcode reader) is a manual entry.
  function typedIdentity(value) {
    const compact = value.replace(/[\s.\-]/g, "");
    if (/^[0-9]{9}$|^[0-9]{12}$|^[A-Z]{1,2}[0-9]{6,8}$/i.test(compact)) {
      return { id_number: compact };
    }
    if (/^(\+?84|0)[0-9]{9,10}$/.test(compact)) return { phone: compact };
    return null;
  }

  function takeInput() {
    clearTimeout(pauseTimer);
    const code = input.value.trim();
    input.value = "";
    if (code) submit(typedIdentity(code) || { code: code });
  }
  document.getElementById("wedge-form").addEventListener("submit", function (event) {
    event.preventDefault();
    takeInput();
  });
  // Readers end a code with Enter, with Tab, or with nothing at all. Tab would move the focus
  // away, so it ends the code instead; a code that arrived as fast as a machine types (or
  // pasted at once) ends when the typing pauses. A person typing by hand is far slower than
  // MACHINE_KEY_MS a key, and still ends with Enter.
  const MACHINE_KEY_MS = 50;
  const PAUSE_MS = 300;
  const MIN_MACHINE_LENGTH = 6;
  let pauseTimer = null;
  let burst = { start: 0, last: 0, chars: 0 };
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") return;
    event.preventDefault();
    takeInput();
  });
  input.addEventListener("input", function (event) {
    const now = Date.now();
    if (now - burst.last > PAUSE_MS || !input.value) burst = { start: now, last: now, chars: 0 };
    burst.chars += event.data ? event.data.length : 1;
    burst.last = now;
    clearTimeout(pauseTimer);
    const pasted = event.inputType === "insertFromPaste";
    pauseTimer = setTimeout(function () {
      const machine = burst.chars >= MIN_MACHINE_LENGTH &&
        (burst.last - burst.start) / (burst.chars - 1) < MACHINE_KEY_MS;
      if ((machine || pasted) && input.value.trim().length >= MIN_MACHINE_LENGTH) takeInput();
    }, PAUSE_MS);
  });

  // Manual entry: a phone number or an ID number.
  const manualForm = document.getElementById("manual-form");
  document.getElementById("manual-toggle").addEventListener("click", function () {
    manualForm.hidden = !manualForm.hidden;
    if (!manualForm.hidden) document.getElementById("manual-id").focus();
  });
  manualForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const value = document.getElementById("manual-id").value.trim();
    const name = document.getElementById("manual-name").value.trim();
    if (!value) return;
    // Whatever is not a phone goes as an ID number: the server says if it is neither.
    const fields = typedIdentity(value) || { id_number: value };
    if (name) fields.full_name = name;
    // The form stays open for the next person in the queue at the desk.
    manualForm.reset();
    document.getElementById("manual-id").focus();
    submit(fields);
  });

  // Camera: the shared reader (scans/qrscan.js: BarcodeDetector, else jsQR from our own
  // static files). Without a camera at all, a photo the server decodes.
  const cameraButton = document.getElementById("camera-btn");
  const video = document.getElementById("camera");
  if (window.KDQrScanner && window.KDQrScanner.kind) {
    cameraButton.hidden = false;
    root.dataset.camera = window.KDQrScanner.kind;
    let stop = null;
    cameraButton.addEventListener("click", async function () {
      if (stop) { stop(); stop = null; return; }
      try {
        stop = await window.KDQrScanner.open(video, {
          jsqrUrl: root.dataset.jsqrUrl, onCode: function (code) { submit({ code: code }); },
        });
      } catch (e) {
        show("bad", text.error, "", "");  // no camera allowed: the photo button still works
      }
    });
  }
  // A cheap phone's camera takes 12 MP photos: a QR code reads as well from PHOTO_MAX_SIDE
  // pixels, which upload in a fraction of the time on a slow network.
  const PHOTO_MAX_SIDE = 1600;
  async function downscaled(file) {
    try {
      const image = await createImageBitmap(file);
      const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(image.width, image.height));
      if (scale === 1 && file.size < 1500000) return file;
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      image.close();
      return await new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      });
    } catch (e) {
      return file;  // a format the browser cannot draw: the server may still read it
    }
  }
  document.getElementById("photo-input").addEventListener("change", async function (event) {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("photo", await downscaled(file), "photo.jpg");
    try {
      const headers = kiosk && kiosk.token ? { Authorization: "Device " + kiosk.token }
        : { "X-CSRFToken": csrf };
      const response = await fetch(root.dataset.decodeUrl, {
        method: "POST", credentials: "same-origin", headers: headers, body: form,
      });
      const body = await answer(response);
      if (response.ok) submit({ code: body.text });
      else if (!refusedKiosk(response.status, body)) showAnswer(response.status, body);
      else show(state === "revoked" ? "bad" : "warn", text.refused, "",
                state === "revoked" ? text.revoked : text.signin);
    } catch (e) {
      show("bad", text.error, "", "");
    }
  });
})();
