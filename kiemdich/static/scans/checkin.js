// The poster check-in: when the visitor allows it, the phone's position goes with the form,
// so that a check-in sent from far away (a photo of the poster) can be flagged for review.
// Without it the check-in works the same.
(function () {
  "use strict";
  var form = document.querySelector(".checkin-form");
  if (!form || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.querySelector("input[name=latitude]").value = pos.coords.latitude.toFixed(6);
    form.querySelector("input[name=longitude]").value = pos.coords.longitude.toFixed(6);
    document.getElementById("location-note").hidden = false;
  }, function () {}, { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
})();
