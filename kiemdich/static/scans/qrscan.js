/* The live camera's QR reader, shared by the kiosk and the inspection form: the browser's
   BarcodeDetector when it has one, else jsQR from our own static files (Safari on iPhone,
   Firefox), loaded the first time a camera is opened.

   KDQrScanner.kind → "native" | "jsqr" | "" (no camera API at all: a photo instead).
   KDQrScanner.open(video, {jsqrUrl, onCode}) → a promise of a stop() function; onCode(text)
   is called once per code put in front of the camera (the same code again after 4 s). */
"use strict";
(function () {
  if (window.KDQrScanner) return;
  let jsQRLoading = null;
  function loadJsQR(url) {
    jsQRLoading = jsQRLoading || new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.src = url;
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
    return jsQRLoading;
  }
  // One decoder: a function from the video to the text of a code in the frame, or "".
  async function decoder(video, jsqrUrl) {
    if ("BarcodeDetector" in window) {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return async function () {
        const found = await detector.detect(video);
        return found.length ? found[0].rawValue : "";
      };
    }
    const jsQR = await loadJsQR(jsqrUrl);
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async function () {
      if (!video.videoWidth) return "";
      // A cheap phone decodes a 640-pixel frame in time; the code is as readable.
      const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
      return found ? found.data : "";
    };
  }
  const available = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  async function open(video, options) {
    const read = await decoder(video, options.jsqrUrl);
    let stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    let last = { code: "", at: 0 };
    const tick = async function () {
      if (!stream) return;
      try {
        const code = await read();
        const now = Date.now();
        // The same code in front of the camera is one scan, not one per frame.
        if (code && (code !== last.code || now - last.at > 4000)) {
          last = { code: code, at: now };
          options.onCode(code);
        }
      } catch (e) { /* a frame that cannot be read */ }
      setTimeout(tick, 300);
    };
    tick();
    return function stop() {
      if (!stream) return;
      stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.hidden = true;
    };
  }
  window.KDQrScanner = {
    kind: available ? ("BarcodeDetector" in window ? "native" : "jsqr") : "",
    open: open,
  };
})();
