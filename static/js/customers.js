/* The customer list: tick every row of the page, show the inputs of the chosen bulk action, confirm a delete. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var checkPage = document.getElementById("check-page");
    var ticks = Array.prototype.slice.call(document.querySelectorAll("input.customer-tick"));
    if (checkPage) {
      checkPage.addEventListener("change", function () {
        ticks.forEach(function (tick) { tick.checked = checkPage.checked; });
      });
      ticks.forEach(function (tick) {
        tick.addEventListener("change", function () {
          var ticked = ticks.filter(function (t) { return t.checked; }).length;
          checkPage.checked = ticked === ticks.length;
          checkPage.indeterminate = ticked > 0 && ticked < ticks.length;
        });
      });
    }

    var form = document.getElementById("bulk-form");
    if (!form) { return; }
    var action = form.querySelector("select[name=action]");
    var options = Array.prototype.slice.call(form.querySelectorAll("[data-bulk-action]"));
    function showOptions() {
      options.forEach(function (option) {
        option.classList.toggle("d-none", option.getAttribute("data-bulk-action") !== action.value);
      });
    }
    action.addEventListener("change", showOptions);
    showOptions();
    form.addEventListener("submit", function (event) {
      if (action.value === "delete" && !window.confirm(form.getAttribute("data-delete-confirm"))) {
        event.preventDefault();
      }
    });
  });
}());
