// Sorting and filtering for report tables. Plain JavaScript, no network, and the tables read fine without it.
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-sort");
    return v !== null ? v : cell.textContent.trim();
  }

  function compare(a, b) {
    var na = parseFloat(a), nb = parseFloat(b);
    var aNum = a !== "" && !isNaN(na) && isFinite(a), bNum = b !== "" && !isNaN(nb) && isFinite(b);
    if (aNum && bNum) return na - nb;
    if (aNum !== bNum) return aNum ? -1 : 1; // numbers before text and blanks
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function makeSortable(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    Array.prototype.forEach.call(head.cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.cells, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function setupFilter(bar) {
    var id = bar.getAttribute("data-filter-for");
    // Tables are looked up on every change: a fleet report adds cluster matrices as the reader opens them.
    function tables() {
      var one = document.getElementById(id);
      return one && one.tagName === "TABLE"
        ? [one]
        : Array.prototype.slice.call(document.querySelectorAll('table[data-group="' + id + '"]'));
    }
    if (!tables().length && !document.querySelector("[data-matrix-detail]")) return;
    var text = bar.querySelector("[data-filter-text]");
    var boxes = Array.prototype.slice.call(bar.querySelectorAll("[data-filter-status]"));
    var count = bar.querySelector("[data-filter-count]");
    function apply() {
      var q = text.value.trim().toLowerCase();
      var wanted = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      var shown = 0, total = 0;
      tables().forEach(function (table) {
        Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
          total += 1;
          var hay = (row.textContent + " " + (row.getAttribute("data-cluster") || "")).toLowerCase();
          var statuses = (row.getAttribute("data-statuses") || "").split(" ");
          var ok = (!q || hay.indexOf(q) !== -1) &&
            (!wanted.length || wanted.some(function (s) { return statuses.indexOf(s) !== -1; }));
          row.hidden = !ok;
          if (ok) shown += 1;
        });
      });
      count.textContent = shown + " of " + total + " rows shown";
    }
    text.addEventListener("input", apply);
    boxes.forEach(function (b) { b.addEventListener("change", apply); });
    bar.hidden = false;
    appliers.push(apply);
    apply();
  }

  var appliers = [];
  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll(".filters[data-filter-for]").forEach(setupFilter);
  // For _matrix_script.js: make a table it drew sortable, and apply the current filters to it.
  window.k8sevalReport = {
    sortable: function (table) { if (table) makeSortable(table); },
    refilter: function () { appliers.forEach(function (apply) { apply(); }); }
  };
})();
