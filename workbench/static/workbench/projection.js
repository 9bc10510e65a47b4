// Draws an item's projected availability from the numbers the page carries in a json_script block (no
// inline script): stock after each date as a step line, the safety stock as a dashed line, demands,
// firm receipts and planned receipts as marks on their dates. Chart.js's "before" steps keep the previous
// value up to a date and change on it: stock holds until the date a receipt or demand moves it.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  document.querySelectorAll("canvas[data-projection]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.projection);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    if (!spec.labels) { return; }
    var marks = function (label, data, colour, style) {
      return { type: "line", label: label, data: data, showLine: false, pointStyle: style, pointRadius: 7,
               pointHoverRadius: 9, backgroundColor: colour, borderColor: colour };
    };
    new Chart(canvas, {
      data: {
        labels: spec.labels,
        datasets: [
          { type: "line", label: "Projected stock (" + spec.uom + ")", data: spec.projected, stepped: "before",
            borderColor: "#1f5f8b", backgroundColor: "#1f5f8b", borderWidth: 2, pointRadius: 2 },
          { type: "line", label: "Safety stock", data: spec.safety, stepped: "before", borderDash: [6, 4],
            borderColor: "#c0712b", backgroundColor: "#c0712b", borderWidth: 1, pointRadius: 0 },
          marks("Demand", spec.demand, "#b3261e", "triangle"),
          marks("PO and ASN receipts", spec.receipts, "#3b8b4b", "rect"),
          marks("Planned receipts", spec.planned, "#8b3b6e", "rectRot")
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { title: { display: true, text: spec.uom } } }
      }
    });
  });
})();
