// Draws the dashboard's charts with Apache ECharts (served by Minsheng itself) from the
// numbers the page carries in #dashboard-charts[data-charts]; the same numbers are in
// the tables, so nothing is lost without JavaScript.
"use strict";
(function () {
  const holder = document.getElementById("dashboard-charts");
  if (!holder || typeof echarts === "undefined") return;
  const data = JSON.parse(holder.dataset.charts);
  const L = data.labels;
  const charts = [];
  const draw = (id, option) => {
    const el = document.getElementById(id);
    if (!el) return;
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({ animation: false }, option));
    el.dataset.drawn = "true";
    charts.push(chart);
  };

  draw("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: [L.received, L.closed] },
    grid: { left: 48, right: 16, top: 32, bottom: 56 },
    xAxis: { type: "category", data: data.days },
    yAxis: { type: "value", minInterval: 1 },
    dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
    series: [
      { name: L.received, type: "line", showSymbol: false, data: data.received },
      { name: L.closed, type: "line", showSymbol: false, data: data.closed },
    ],
  });

  // The ten largest categories, the rest together.
  const cats = data.categories.slice(0, 10).map(([name, value]) => ({ name, value }));
  const rest = data.categories.slice(10).reduce((n, [, v]) => n + v, 0);
    if (rest > 0) cats.push({ name: data.lang === "zh" ? "其余类别" : "all others", value: rest });
  draw("chart-categories", {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    series: [{ type: "pie", radius: ["35%", "70%"], data: cats, label: { formatter: "{b}\n{c}" } }],
  });

  // Townships as tiles: placed by their centres when known, else on a grid; the
  // tile's size is its appeals, its colour its satisfaction.
  const placed = data.map.every((t) => t[3]);
  const cols = Math.ceil(Math.sqrt(data.map.length || 1));
  const peak = Math.max(1, ...data.map.map((t) => t[1]));
  const tiles = data.map.map(([name, received, satisfied, centre], i) => ({
    name,
    value: placed
      ? [centre[1], centre[0], received, satisfied]
      : [i % cols, Math.floor(i / cols), received, satisfied],
  }));
    // Room around the tiles, and a colour scale over the satisfaction actually seen.
  const pad = (v) => Math.max((v.max - v.min) * 0.15, placed ? 0.01 : 0.6);
  const seen = data.map.map((t) => t[2]).filter((s) => s !== null);
  const low = seen.length ? Math.floor(Math.min(...seen)) : 0;
  const high = seen.length ? Math.max(low + 1, Math.ceil(Math.max(...seen))) : 100;
  draw("chart-map", {
    tooltip: {
      formatter: (p) =>
        `${p.name}<br>${L.received}: ${p.value[2]}<br>${L.satisfaction}: ${
          p.value[3] === null ? "—" : p.value[3].toFixed(1) + "%"
        }`,
    },
    grid: { left: 16, right: 80, top: 16, bottom: 16 },
        xAxis: { type: "value", show: false, min: (v) => v.min - pad(v), max: (v) => v.max + pad(v) },
    yAxis: { type: "value", show: false, inverse: !placed, min: (v) => v.min - pad(v), max: (v) => v.max + pad(v) },
    visualMap: {
      dimension: 3,
      min: low,
      max: high,
      right: 0,
      top: "middle",
      text: [high + "%", low + "%"],
      inRange: { color: ["#d73027", "#fee08b", "#1a9850"] },
      calculable: false,
    },
    series: [
      {
        type: "scatter",
        symbol: "roundRect",
        symbolSize: (v) => 18 + 42 * Math.sqrt(v[2] / peak),
        label: { show: true, formatter: (p) => p.name, position: "inside", fontSize: 11 },
        data: tiles,
      },
    ],
  });

  draw("chart-overdue", {
    tooltip: { trigger: "axis" },
    legend: { data: [L.overdue, L.open] },
    grid: { left: 120, right: 16, top: 32, bottom: 24 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.overdue.map((u) => u[0]) },
    series: [
      { name: L.overdue, type: "bar", stack: "n", color: "#d73027", data: data.overdue.map((u) => u[1]) },
      { name: L.open, type: "bar", stack: "n", color: "#9ecae1", data: data.overdue.map((u) => u[2] - u[1]) },
    ],
  });

  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
