// cargo perf report: sorts the summary table by the clicked column (numbers by their raw
// value in data-num), and marks the page ready once wired (the browser test looks for it).
(function () {
  "use strict";
  var table = document.getElementById("summary");
  if (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var key = function (row) {
          var cell = row.cells[col];
          var raw = cell.getAttribute("data-num");
          if (raw === null) return cell.textContent.trim().toLowerCase();
          return raw === "" ? Infinity : Number(raw);
        };
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var c = typeof x === "number" && typeof y === "number"
            ? (x === y ? 0 : x < y ? -1 : 1)
            : String(x).localeCompare(String(y));
          return dir === "ascending" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.documentElement.setAttribute("data-ready", "1");
})();
