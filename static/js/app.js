/* Small behaviours declared with data- attributes, so no page needs inline script (the CSP forbids it). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // <form data-confirm="...">: ask before submitting (deletes, disabling users, ...)
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
    // <select data-autosubmit>: filters that apply as soon as they change
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) { select.form.submit(); }
      });
    });
    if (window.bootstrap) {
      document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
        new window.bootstrap.Tooltip(el);
      });
    }
  });
}());
