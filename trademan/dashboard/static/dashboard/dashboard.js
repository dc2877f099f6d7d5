// Draws each chart of the page with uPlot: executable price to sell and to buy against the
// target, fills as points. Data comes from the page itself (json_script "dash-charts").
(function () {
  "use strict";
  function draw(chart, labels) {
    var el = document.getElementById("plot-" + chart.id);
    if (!el || !chart.t.length) return;
    // fills sit on their own series, aligned on the union of times
    var times = chart.t.slice();
    chart.fills.forEach(function (f) { times.push(f[0]); });
    times = Array.from(new Set(times)).sort(function (a, b) { return a - b; });
    function align(ts, values) {
      var byTime = new Map();
      ts.forEach(function (t, i) { byTime.set(t, values[i]); });
      return times.map(function (t) { return byTime.has(t) ? byTime.get(t) : null; });
    }
    var fillTimes = chart.fills.map(function (f) { return f[0]; });
    var fillPrices = chart.fills.map(function (f) { return f[1]; });
    var data = [
      times,
      align(chart.t, chart.sell),
      align(chart.t, chart.buy),
      align(chart.t, chart.target),
      align(fillTimes, fillPrices),
    ];
    var opts = {
      width: Math.max(320, el.clientWidth || 800),
      height: 300,
      series: [
        {},
        { label: labels.sell, stroke: "#1f77b4", spanGaps: true },
        { label: labels.buy, stroke: "#ff7f0e", spanGaps: true },
        { label: labels.target, stroke: "#2ca02c", dash: [6, 4], spanGaps: true },
        { label: labels.fills, stroke: "#d62728", width: 0, points: { show: true, size: 9, fill: "#d62728" } },
      ],
      axes: [{}, { size: 70 }],
      // times shown in Moscow time, like everywhere in Trademan
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Europe/Moscow"); },
    };
    var plot = new uPlot(opts, data, el);
    el.dataset.drawn = String(data[0].length);
    window.addEventListener("resize", function () {
      plot.setSize({ width: Math.max(320, el.clientWidth), height: 300 });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("dash-charts");
    if (!node || typeof uPlot === "undefined") return;
    var labels = JSON.parse(document.getElementById("dash-labels").textContent);
    JSON.parse(node.textContent).forEach(function (chart) { draw(chart, labels); });
  });
})();
