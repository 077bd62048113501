// A Gantt chart of a run: one row per step (or node, or attempt), a bar from its start to
// its end, attempts and backoff waits drawn inside it. Rows still running grow until now.

import { h } from "./dom.js";
import { duration, parseTime } from "./format.js";

const ROW_LIMIT = 800;

/** rows: [{id, label, title, start, end, state, segments: [{start, end, state, title, wait}]}] */
export function timeline(rows, { start, end } = {}) {
  const now = Date.now();
  const shown = rows.filter((r) => parseTime(r.start) !== null).slice(0, ROW_LIMIT);
  if (!shown.length) return h("p", { className: "muted" }, "Nothing has started yet.");
  const t0 = Math.min(parseTime(start) ?? Infinity, ...shown.map((r) => parseTime(r.start)));
  const t1 = Math.max(parseTime(end) ?? 0, ...shown.map((r) => parseTime(r.end) ?? now), t0 + 1);
  const span = t1 - t0;
  const place = (el, a, b) => {
    const left = ((a - t0) / span) * 100;
    el.style.left = `${left}%`;
    el.style.width = `${Math.max(((b - a) / span) * 100, 0.2)}%`;
    return el;
  };
  const grid = h("div", { className: "timeline", role: "table", "aria-label": "Timeline" });
  const axis = h("div", { className: "tl-axis" });
  for (let i = 0; i <= 4; i += 1) {
    const label = h("span", {}, i === 0 ? "0" : `+${duration((span * i) / 4)}`);
    label.style.left = `${i * 25}%`;
    axis.append(label);
  }
  grid.append(h("div", { className: "tl-label muted" }, "step"), axis);
  for (const row of shown) {
    const a = parseTime(row.start);
    const b = parseTime(row.end) ?? now;
    const running = parseTime(row.end) === null;
    const track = h("div", { className: "tl-track", role: "cell" });
    const bar = place(h("div", {
      className: `bar st-${row.state}${running ? " running" : ""}`,
      title: `${row.title || row.label}\n${row.state} · ${duration(b - a)}${running ? " so far" : ""}`,
    }), a, b);
    if (row.segments?.length) {
      // The row's bar stays as a faint outline; attempts and waits are drawn on top.
      bar.style.opacity = "0.25";
      track.append(bar);
      for (const s of row.segments) {
        const sa = parseTime(s.start);
        if (sa === null) continue;
        const sb = parseTime(s.end) ?? now;
        track.append(place(h("div", {
          className: `bar st-${s.state}${s.wait ? " wait" : ""}${parseTime(s.end) === null ? " running" : ""}`,
          title: `${s.title || ""}\n${s.state} · ${duration(sb - sa)}`,
        }), sa, sb));
      }
    } else {
      track.append(bar);
    }
    grid.append(h("div", { className: "tl-label", title: row.title || row.label, role: "rowheader" }, row.label), track);
  }
  const more = rows.length - shown.length;
  return h("div", {}, grid, more > 0 ? h("p", { className: "muted small" }, `${more} more rows not drawn.`) : null);
}
