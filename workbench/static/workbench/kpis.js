// Draws each KPI chart from the numbers the page carries in a json_script block (no inline script).
// Counts go on the left axis as bars; rates (%) and durations (h) on the right axis as lines.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var colours = ["#1f5f8b", "#c0712b", "#3b8b4b", "#8b3b6e", "#6b6b6b"];
  // A category label on lines of at most this many characters, broken between words, so the labels of
  // neighbouring bars never overlap and never need rotating.
  var LINE = 14;
  function wrap(label, fits) {
    var lines = [];
    var measured = Boolean(fits);
    fits = fits || function (line) { return line.length <= LINE; };
    [].concat(label).join(" ").split(" ").forEach(function (word) {
      var last = lines.length - 1;
      if (last >= 0 && fits(lines[last] + " " + word)) { lines[last] += " " + word; return; }
      // As drawn, a word alone wider than its category is broken with a hyphen where it has to be.
      while (measured && word.length > 3 && !fits(word)) {
        var cut = word.length - 1;
        while (cut > 2 && !fits(word.slice(0, cut) + "-")) { cut -= 1; }
        lines.push(word.slice(0, cut) + "-");
        word = word.slice(cut);
      }
      lines.push(word);
    });
    return lines.length > 1 ? lines : lines[0];
  }
  // As drawn, a label's lines are also no wider than its category: with many categories in a narrow
  // chart ("Inventory sync", "BOM release") they wrap further, and never need rotating either.
  function tick(value) {
    var scale = this;
    var room = scale.width / Math.max(1, scale.getLabels().length) - 6;
    var ctx = scale.ctx;
    ctx.save();
    ctx.font = Chart.helpers.toFont(scale.options.ticks.font).string;
    var label = wrap(scale.getLabelForValue(value), function (line) {
      return (line.length <= LINE || line.indexOf(" ") < 0) && ctx.measureText(line).width <= room;
    });
    ctx.restore();
    return label;
  }
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
        // One period or one category is a single bar: it keeps a bar's width instead of filling the chart.
        maxBarThickness: 48,
        // A series of one point is a dot: large enough to see, even on the axis at zero.
        pointRadius: 4,
        pointHoverRadius: 6,
        spanGaps: true
      };
    });
    var units = spec.datasets.map(function (set) { return set.unit; });
    new Chart(canvas, {
      data: { labels: spec.labels.map(function (label) { return wrap(label); }), datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: false, callback: tick } },
          y: { display: units.indexOf("count") >= 0, beginAtZero: true, position: "left", ticks: { precision: 0 }, title: { display: true, text: "count" } },
          rate: { display: units.indexOf("percent") >= 0, beginAtZero: true, max: 100, position: "right", title: { display: true, text: "%" }, grid: { drawOnChartArea: false } },
          hours: { display: units.indexOf("hours") >= 0, beginAtZero: true, suggestedMax: 1, position: "right", title: { display: true, text: "hours" }, grid: { drawOnChartArea: false } }
        }
      }
    });
  });
})();
