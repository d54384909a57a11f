/* Activity statistics: the date fields are only asked for when the period is a date range. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var period = document.querySelector("select[data-activity-period]");
    if (!period) { return; }
    function toggle() {
      var custom = period.value === "custom";
      document.querySelectorAll(".activity-range").forEach(function (el) {
        el.classList.toggle("d-none", !custom);
      });
    }
    period.addEventListener("change", toggle);
    toggle();
  });
}());
