/* The quote line editor: find a product through /products/lookup and fill the first empty row with it.
   Without JavaScript the same rows are filled by hand (a product id or a free line). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var search = document.getElementById("product-search");
    if (!search) { return; }
    var box = document.getElementById("product-search-box");
    var results = document.getElementById("product-results");
    var noRow = document.getElementById("product-no-row");
    var priceList = document.getElementById("price_list_id");
    var timer = null;
    box.hidden = false;

    function emptyRow() {
      var rows = document.querySelectorAll("#quote-lines .quote-line-row");
      for (var i = 0; i < rows.length; i += 1) {
        var product = rows[i].querySelector('[data-field="product_id"]');
        var description = rows[i].querySelector('[data-field="description"]');
        if (!product.value && !description.value) { return rows[i]; }
      }
      return null;
    }

    function fill(item) {
      var row = emptyRow();
      noRow.hidden = row !== null;
      if (!row) { return; }
      var values = {product_id: item.id, description: item.name, specification: item.specification,
        unit: item.unit, quantity: "1", unit_price: item.price, tax_rate: item.tax_rate};
      Object.keys(values).forEach(function (name) {
        row.querySelector('[data-field="' + name + '"]').value = values[name];
      });
      results.textContent = "";
      search.value = "";
    }

    function show(items) {
      results.textContent = "";
      items.forEach(function (item) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "list-group-item list-group-item-action product-result";
        button.setAttribute("data-product-id", item.id);
        button.textContent = item.code + " · " + item.name + (item.specification ? " · " + item.specification : "") +
          " · ¥" + item.price;
        button.addEventListener("click", function () { fill(item); });
        results.appendChild(button);
      });
    }

    function lookup() {
      var url = new URL(search.getAttribute("data-lookup-url"), window.location.href);
      url.searchParams.set("q", search.value.trim());
      if (priceList && priceList.value) { url.searchParams.set("price_list_id", priceList.value); }
      fetch(url.toString(), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {items: []}; })
        .then(function (data) { show(data.items || []); })
        .catch(function () { show([]); });
    }

    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, 250);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); lookup(); }
    });
  });
}());
