// Draws each KPI chart from the numbers the page carries in a json_script block (no inline script).
// Counts go on the left axis as bars; rates (%) and durations (h) on the right axis as lines.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var colours = ["#1f5f8b", "#c0712b", "#3b8b4b", "#8b3b6e", "#6b6b6b"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (set, index) {
      var count = set.unit === "count";
      return {
        type: count ? "bar" : "line",
        label: set.label + (count ? "" : set.unit === "percent" ? " (%)" : " (h)"),
        data: set.data,
        yAxisID: count ? "y" : (set.unit === "percent" ? "rate" : "hours"),
        backgroundColor: colours[index % colours.length],
        borderColor: colours[index % colours.length],
        spanGaps: true
      };
    });
    var units = spec.datasets.map(function (set) { return set.unit; });
    new Chart(canvas, {
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { display: units.indexOf("count") >= 0, beginAtZero: true, position: "left", ticks: { precision: 0 }, title: { display: true, text: "count" } },
          rate: { display: units.indexOf("percent") >= 0, beginAtZero: true, max: 100, position: "right", title: { display: true, text: "%" }, grid: { drawOnChartArea: false } },
          hours: { display: units.indexOf("hours") >= 0, beginAtZero: true, position: "right", title: { display: true, text: "hours" }, grid: { drawOnChartArea: false } }
        }
      }
    });
  });
})();
