// avbench leaderboard: sort any column (numbers as numbers, empty cells last) and filter rows.
// A classic script with no imports and no network: it works from file://.
(function () {
  "use strict";

  function cellValue(row, key) {
    var cell = row.querySelector('td[data-key="' + key + '"]');
    if (!cell) { return ""; }
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }

  function compare(a, b, numeric) {
    if (a === "" && b === "") { return 0; }
    if (a === "") { return 1; }
    if (b === "") { return -1; }
    if (numeric) { return parseFloat(a) - parseFloat(b); }
    return a.localeCompare(b, undefined, {numeric: true, sensitivity: "base"});
  }

  function sortTable(table, th) {
    var key = th.getAttribute("data-key");
    var numeric = th.getAttribute("data-type") === "number";
    // numbers start high-to-low (best first), text a-to-z; a second click reverses
    var current = th.getAttribute("aria-sort");
    var descending = current ? current === "ascending" : numeric;
    table.querySelectorAll("th[aria-sort]").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, index) {
      return {row: row, value: cellValue(row, key), index: index};
    });
    rows.sort(function (x, y) {
      if (x.value === "" || y.value === "") { return compare(x.value, y.value, numeric) || x.index - y.index; }
      var order = compare(x.value, y.value, numeric);
      return (descending ? -order : order) || x.index - y.index;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
  }

  function applyFilters() {
    var selects = document.querySelectorAll("select[data-filter]");
    var wanted = [];
    selects.forEach(function (select) {
      if (select.value !== "") { wanted.push([select.getAttribute("data-filter"), select.value]); }
    });
    var shown = 0;
    document.querySelectorAll("section.group").forEach(function (section) {
      var visible = 0;
      // the table's rows and the rows that did not run (listed, collapsed, under the table)
      section.querySelectorAll("tbody tr, .not-run li[data-experiment]").forEach(function (row) {
        var match = wanted.every(function (pair) { return row.getAttribute("data-" + pair[0]) === pair[1]; });
        row.hidden = !match;
        if (match) { visible += 1; }
      });
      section.hidden = visible === 0;
      shown += visible;
    });
    var count = document.getElementById("shown-count");
    if (count) { count.textContent = shown + (shown === 1 ? " row" : " rows"); }
    var nothing = document.getElementById("nothing-shown");
    if (nothing) { nothing.hidden = shown !== 0; }
  }

  document.querySelectorAll("table.board").forEach(function (table) {
    table.querySelectorAll("thead th[data-key]").forEach(function (th) {
      var button = th.querySelector("button");
      (button || th).addEventListener("click", function () { sortTable(table, th); });
    });
  });
  document.querySelectorAll("select[data-filter]").forEach(function (select) {
    select.addEventListener("change", applyFilters);
  });
  var form = document.getElementById("filters");
  if (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    applyFilters();
  }
}());
