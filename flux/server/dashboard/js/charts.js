// Charts as plain SVG: runs ended per minute (stacked bars) and executions per state.

import { h, svg } from "./dom.js";
import { clock, number } from "./format.js";

/** buckets: [{minute, completed, failed, cancelled}], oldest first. */
export function throughputChart(buckets) {
  const width = Math.max(buckets.length, 1) * 10;
  const height = 100;
  const peak = Math.max(1, ...buckets.map((b) => b.completed + b.failed + b.cancelled));
  const chart = svg("svg", {
    class: "chart", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none",
    role: "img", "aria-label": "Runs ended per minute",
  });
  for (const y of [0.25, 0.5, 0.75]) {
    chart.append(svg("line", { class: "grid-line", x1: 0, x2: width, y1: height * y, y2: height * y, "vector-effect": "non-scaling-stroke" }));
  }
  buckets.forEach((bucket, i) => {
    let top = height;
    const group = svg("g", {}, svg("title", {}, `${clock(bucket.minute)}: ${bucket.completed} completed, ${bucket.failed} failed, ${bucket.cancelled} cancelled`));
    for (const part of ["completed", "failed", "cancelled"]) {
      const value = bucket[part];
      if (!value) continue;
      const barHeight = (value / peak) * (height - 4);
      top -= barHeight;
      group.append(svg("rect", { class: `bar-${part}`, x: i * 10 + 1, y: top, width: 8, height: barHeight }));
    }
    // an invisible full-height target, so the tooltip also works on empty minutes
    group.append(svg("rect", { x: i * 10, y: 0, width: 10, height, fill: "transparent" }));
    chart.append(group);
  });
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return h("div", {},
    chart,
    h("div", { className: "chart-axis" },
      h("span", {}, first ? clock(first.minute) : ""),
      h("span", {}, buckets.some((b) => b.completed + b.failed + b.cancelled) ? `peak ${number(peak)} / min` : "none ended"),
      h("span", {}, last ? clock(last.minute) : ""),
    ),
    h("div", { className: "legend" },
      h("span", {}, h("span", { className: "dot st-COMPLETED" }), "completed"),
      h("span", {}, h("span", { className: "dot st-FAILED" }), "failed"),
      h("span", {}, h("span", { className: "dot st-CANCELLED" }), "cancelled"),
    ),
  );
}

/** counts: {STATE: n}; each row links to the execution list filtered by that state. */
export function stateBars(counts, order) {
  const peak = Math.max(1, ...Object.values(counts));
  return h("div", { className: "state-bars" },
    order.map((state) => {
      const count = counts[state] || 0;
      return h("a", { className: `state-bar st-${state}`, href: `#/executions?state=${state}`, title: `${state}: ${count}` },
        h("span", {}, state.toLowerCase()),
        h("span", { className: "track" }, h("span", { className: "fill", style: { width: `${(count / peak) * 100}%`, display: count ? "block" : "none" } })),
        h("span", { className: "count" }, number(count)),
      );
    }),
  );
}
