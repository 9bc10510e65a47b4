// Keyboard navigation through the exception queue: j/k move, Enter opens, x selects.
// Everything here is a shortcut for links and checkboxes that work without it.
(function () {
  "use strict";
  var table = document.getElementById("queue");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  var current = -1;

  function select(index) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = index;
    rows[current].classList.add("current");
    var link = rows[current].querySelector("a.row-link");
    if (link) { link.focus(); }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (target && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) { return; }
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if (event.key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    } else if (event.key === "Enter" && current >= 0 && target === document.body) {
      window.location.href = rows[current].getAttribute("data-href");
    }
  });

  rows.forEach(function (row, index) {
    var link = row.querySelector("a.row-link");
    if (link) { link.addEventListener("focus", function () { if (current !== index) { select(index); } }); }
  });
})();
