// Venue form: the default stay follows the chosen type, vehicle fields show for vehicles,
// and the GPS point can be taken from the device.
(function () {
  "use strict";
  var form = document.getElementById("venue-form");
  if (!form) { return; }
  var stays = {};
  (form.dataset.stays || "").split(",").forEach(function (pair) {
    var parts = pair.split(":");
    if (parts.length === 2) { stays[parts[0]] = parts[1]; }
  });
  var vehicles = (form.dataset.vehicles || "").split(",");
  var type = form.querySelector("#id_venue_type");
  var stay = form.querySelector("#id_default_stay_minutes");
  var vehicleOnly = form.querySelector("[data-vehicle-only]");
  var placeOnly = form.querySelector("[data-place-only]");

  function sync() {
    var key = type.value;
    if (stay) { stay.placeholder = stays[key] || ""; }
    var isVehicle = vehicles.indexOf(key) !== -1;
    if (vehicleOnly) { vehicleOnly.hidden = !isVehicle; }
    if (placeOnly) { placeOnly.hidden = isVehicle; }
  }
  type.addEventListener("change", sync);
  sync();

  var locate = form.querySelector("[data-locate]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("#id_latitude").value = pos.coords.latitude.toFixed(6);
        form.querySelector("#id_longitude").value = pos.coords.longitude.toFixed(6);
      });
    });
  }
})();
