/* Public pool pages: "choose all on this page" boxes, and bulk buttons that need a checked customer. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.pool-bulk-form").forEach(function (form) {
      var boxes = form.querySelectorAll("input[type=checkbox][name=ids]");
      var all = form.querySelector("input[data-check-all]");
      var needing = form.querySelectorAll("[data-needs-selection]");
      function refresh() {
        var checked = 0;
        boxes.forEach(function (box) { if (box.checked) { checked += 1; } });
        needing.forEach(function (button) { button.disabled = checked === 0; });
        if (all) {
          all.checked = boxes.length > 0 && checked === boxes.length;
          all.indeterminate = checked > 0 && checked < boxes.length;
        }
      }
      if (all) {
        all.addEventListener("change", function () {
          boxes.forEach(function (box) { box.checked = all.checked; });
          refresh();
        });
      }
      boxes.forEach(function (box) { box.addEventListener("change", refresh); });
      refresh();
    });
  });
}());
