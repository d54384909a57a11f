/* Duplicate check (查重) while the user types.

   Opt in on a form:
     <form ... data-duplicate-check="{{ url_for('customers.duplicates_json', exclude=customer.id) }}">
       <input name="name"> <input name="phone"> <input name="email"> <input name="credit_code">
       <div id="duplicate-hints" class="d-none"></div>
     </form>
   When one of those inputs changes (debounced), the URL is called with their values and the matches are
   shown in #duplicate-hints. An input with another name joins with data-duplicate-field="phone" (etc.).
   No inline script or style: the page includes this file from its scripts block. */
(function () {
  "use strict";
  var FIELDS = ["name", "phone", "email", "credit_code"];
  var DELAY_MS = 400;

  function inputFor(form, name) {
    return form.querySelector('[data-duplicate-field="' + name + '"]') || form.elements.namedItem(name);
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function clear(box) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.classList.add("d-none");
    box.classList.remove("alert-warning", "alert-danger");
  }

  function render(box, data) {
    clear(box);
    var matches = data.matches || [];
    if (!matches.length) { return; }
    var messages = data.messages || {};
    var blocking = matches.some(function (m) { return m.blocking; });
    box.classList.remove("d-none");
    box.classList.add("alert", "duplicate-hints", blocking ? "alert-danger" : "alert-warning");
    var title = element("div", "duplicate-hints-title");
    title.appendChild(element("i", "bi bi-exclamation-triangle"));
    title.appendChild(document.createTextNode(" " + (messages.title || "")));
    box.appendChild(title);
    var list = element("ul", "list-unstyled mb-0");
    matches.forEach(function (match) {
      var item = element("li", "duplicate-hint");
      if (match.url) {
        var link = element("a", "duplicate-hint-name", match.name);
        link.href = match.url;
        link.target = "_blank";
        link.rel = "noopener";
        item.appendChild(link);
      } else {
        var name = element("span", "duplicate-hint-name", match.name);
        if (messages.hidden) { name.title = messages.hidden; }
        item.appendChild(name);
      }
      item.appendChild(element("span", "duplicate-hint-owner", " · " + match.owner));
      var labels = match.field_labels || match.fields || [];
      if (labels.length) {
        item.appendChild(element("span", "duplicate-hint-fields small",
          " · " + (messages.matched_on || "") + " " + labels.join(", ")));
      }
      if (match.blocking) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(element("span", "badge text-bg-danger", messages.blocking || ""));
      }
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function watch(form) {
    var box = form.querySelector("#duplicate-hints") || document.getElementById("duplicate-hints");
    if (!box) { return; }
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    var timer = null;
    var sequence = 0;
    var lastUrl = "";

    function check() {
      var url = new URL(form.getAttribute("data-duplicate-check"), window.location.href);
      var any = false;
      FIELDS.forEach(function (name) {
        var input = inputFor(form, name);
        var value = input && typeof input.value === "string" ? input.value.trim() : "";
        if (value) {
          url.searchParams.set(name, value);
          any = true;
        } else {
          url.searchParams.delete(name);
        }
      });
      if (!any) {
        lastUrl = "";
        sequence += 1;
        clear(box);
        return;
      }
      if (url.toString() === lastUrl) { return; }
      lastUrl = url.toString();
      var mine = ++sequence;
      fetch(lastUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && mine === sequence) { render(box, data); }
        })
        .catch(function () { /* the check only helps; saving still checks on the server */ });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, DELAY_MS);
    }

    FIELDS.forEach(function (name) {
      var input = inputFor(form, name);
      if (input && input.addEventListener) {
        input.addEventListener("input", later);
        input.addEventListener("change", later);
      }
    });
    check();  // a form shown again with values (an error, or editing) is checked at once
  }

  function start() {
    document.querySelectorAll("form[data-duplicate-check]").forEach(watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
