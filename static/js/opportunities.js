/* Opportunities: drag and drop on the kanban board, and the product lines of the opportunity form.
   Without this script the board moves cards through each card's stage form, and the form keeps its empty rows. */
(function () {
  "use strict";

  function money(value) {
    return value.toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  }

  // --- the kanban board ------------------------------------------------------------------------
  var board = document.getElementById("kanban");
  if (board) {
    var dragged = null;
    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest(".kanban-card");
      if (!card) { return; }
      dragged = card;
      card.classList.add("opacity-50");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.id);
    });
    board.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("opacity-50"); }
      board.querySelectorAll(".kanban-column").forEach(function (c) { c.classList.remove("border-primary"); });
    });
    board.addEventListener("dragover", function (event) {
      var column = event.target.closest(".kanban-column");
      if (!column || !dragged) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      column.classList.add("border-primary");
    });
    board.addEventListener("dragleave", function (event) {
      var column = event.target.closest(".kanban-column");
      if (column && !column.contains(event.relatedTarget)) { column.classList.remove("border-primary"); }
    });
    board.addEventListener("drop", function (event) {
      var column = event.target.closest(".kanban-column");
      if (!column || !dragged) { return; }
      event.preventDefault();
      var card = dragged;
      dragged = null;
      if (card.closest(".kanban-column") === column) { return; }
      var body = new FormData();
      body.append("csrf_token", board.dataset.csrf);
      body.append("stage_id", column.dataset.stageId);
      if (column.dataset.kind === "lost") {
        var reason = window.prompt(board.dataset.lostPrompt || "");
        if (!reason) { return; }
        body.append("loss_reason", reason);
      }
      fetch(card.dataset.moveUrl, {method: "POST", body: body, credentials: "same-origin",
                                   headers: {"X-Requested-With": "fetch", "Accept": "application/json"}})
        .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
        .then(function (result) {
          if (!result[0] || !result[1].ok) {
            window.alert(result[1].message || board.dataset.failed);
            return;
          }
          window.location.reload();  // the column totals and figures come from the server
        })
        .catch(function () { window.alert(board.dataset.failed); });
    });
  }

  // --- the kanban's funnel figures: fetched after the board is shown (a link to their page without script) --
  var figures = document.getElementById("pipeline-figures");
  if (figures && figures.dataset.src) {
    var body = document.getElementById("pipeline-figures-body");
    var load = function (url) {
      fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) { body.innerHTML = html; })
        .catch(function () { /* the link to the figures' page stays */ });
    };
    body.addEventListener("submit", function (event) {
      var periodForm = event.target.closest("#figures-period");
      if (!periodForm) { return; }
      event.preventDefault();
      load(periodForm.action + "?" + new URLSearchParams(new FormData(periodForm)).toString());
    });
    load(figures.dataset.src);
  }

  // --- the opportunity form's product lines ---------------------------------------------------
  var form = document.getElementById("opportunity-form");
  if (form) {
    var prices = JSON.parse(form.dataset.prices || "{}");
    var tbody = form.querySelector("#line-rows tbody");
    var number = function (input, fallback) {
      var value = parseFloat((input.value || "").replace(/,/g, ""));
      return isNaN(value) ? fallback : value;
    };
    var recompute = function () {
      var total = 0;
      tbody.querySelectorAll(".line-row").forEach(function (row) {
        var product = row.querySelector(".line-product").value;
        var description = row.querySelector(".line-description").value;
        var cell = row.querySelector(".line-amount");
        if (!product && !description) { cell.textContent = ""; return; }
        var amount = number(row.querySelector(".line-quantity"), 0) * number(row.querySelector(".line-price"), 0) *
          (100 - number(row.querySelector(".line-discount"), 0)) / 100;
        amount = Math.round(amount * 100) / 100;
        total += amount;
        cell.textContent = money(amount);
      });
      form.querySelector("#lines-total").textContent = money(total);
      var fromLines = form.querySelector("#amount_from_lines");
      if (fromLines && fromLines.checked) { form.querySelector("#amount").value = total.toFixed(2); }
    };
    tbody.addEventListener("change", function (event) {
      if (event.target.classList.contains("line-product")) {
        var price = prices[event.target.value];
        var row = event.target.closest(".line-row");
        if (price !== undefined) { row.querySelector(".line-price").value = price; }
      }
      recompute();
    });
    tbody.addEventListener("input", recompute);
    form.addEventListener("change", function (event) { if (event.target.id === "amount_from_lines") { recompute(); } });
    var add = form.querySelector("#add-line");
    add.classList.remove("d-none");
    add.addEventListener("click", function () {
      var rows = tbody.querySelectorAll(".line-row");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      var index = rows.length;
      copy.querySelectorAll("input, select").forEach(function (input) {
        input.name = input.name.replace(/lines-\d+-/, "lines-" + index + "-");
        input.id = input.id.replace(/lines-\d+-/, "lines-" + index + "-");
        if (input.tagName === "SELECT") { input.selectedIndex = 0; } else { input.value = ""; }
      });
      copy.querySelector(".line-quantity").value = "1";
      copy.querySelector(".line-discount").value = "0";
      tbody.appendChild(copy);
      recompute();
    });
    recompute();
  }
})();
