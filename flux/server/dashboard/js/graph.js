// Drawing a run's structure: a DAG as layered boxes and arrows (SVG), and the call tree of a
// Python run as a nested list (a parallel of thousands of steps stays readable as a list).

import { h, svg } from "./dom.js";
import { duration, elapsed } from "./format.js";
import { dot } from "./ui.js";

const NODE_W = 170;
const NODE_H = 46;
const GAP_X = 56;
const GAP_Y = 16;
const PAD = 16;

/** Columns by longest path from a root, so every arrow points right. */
function layers(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map();
  const visiting = new Set();
  const depthOf = (node) => {
    if (depth.has(node.id)) return depth.get(node.id);
    if (visiting.has(node.id)) return 0; // a cycle cannot be stored; stay safe anyway
    visiting.add(node.id);
    let d = 0;
    for (const dep of node.deps) {
      const parent = byId.get(dep);
      if (parent) d = Math.max(d, depthOf(parent) + 1);
    }
    visiting.delete(node.id);
    depth.set(node.id, d);
    return d;
  };
  const columns = [];
  for (const node of nodes) {
    const d = depthOf(node);
    (columns[d] ||= []).push(node);
  }
  return columns.map((column) => column || []);
}

/** Order each column by the mean row of its dependencies, which uncrosses most arrows. */
function order(columns) {
  const row = new Map();
  columns[0]?.forEach((node, i) => row.set(node.id, i));
  for (let c = 1; c < columns.length; c += 1) {
    const key = (node) => {
      const rows = node.deps.filter((d) => row.has(d)).map((d) => row.get(d));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
    };
    columns[c].sort((a, b) => key(a) - key(b));
    columns[c].forEach((node, i) => row.set(node.id, i));
  }
  return columns;
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * nodes: [{id, label, sub, state, deps, start, end}]. `onSelect(id)` when a node is
 * clicked (or chosen with the keyboard); `selected` is marked.
 */
export function dagGraph(nodes, { onSelect, selected } = {}) {
  const columns = order(layers(nodes));
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * GAP_X;
  const height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y;
  const at = new Map();
  columns.forEach((column, c) => {
    const offset = ((tallest - column.length) * (NODE_H + GAP_Y)) / 2;
    column.forEach((node, r) => {
      at.set(node.id, { x: PAD + c * (NODE_W + GAP_X), y: PAD + offset + r * (NODE_H + GAP_Y) });
    });
  });
  const graph = svg("svg", { class: "graph", width, height, viewBox: `0 0 ${width} ${height}`, role: "group", "aria-label": "Steps and their dependencies" });
  graph.append(svg("defs", {},
    svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      svg("path", { d: "M0,0 L10,5 L0,10 z", class: "edge-head", fill: "currentColor" })),
  ));
  for (const node of nodes) {
    const to = at.get(node.id);
    for (const dep of node.deps) {
      const from = at.get(dep);
      if (!from) continue;
      const x1 = from.x + NODE_W;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x - 2;
      const y2 = to.y + NODE_H / 2;
      const bend = Math.max(24, (x2 - x1) / 2);
      graph.append(svg("path", { class: "edge", d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)" }));
    }
  }
  for (const node of nodes) {
    const { x, y } = at.get(node.id);
    const took = node.start ? duration(elapsed(node.start, node.end)) : "";
    const g = svg("g", {
      class: `node st-${node.state}${node.id === selected ? " selected" : ""}`,
      transform: `translate(${x},${y})`, tabindex: 0, role: "button",
      "aria-label": `${node.label}: ${node.state}`, dataset: { node: node.id },
    },
      svg("title", {}, `${node.label} (${node.id})\n${node.state}${took ? ` · ${took}` : ""}`),
      svg("rect", { width: NODE_W, height: NODE_H, rx: 7 }),
      svg("rect", { class: "band", width: 5, height: NODE_H - 4, x: 2, y: 2, rx: 2 }),
      svg("text", { x: 14, y: 19 }, clip(node.label, 21)),
      svg("text", { x: 14, y: 36, class: "sub" }, clip(`${node.state.toLowerCase()}${took ? ` · ${took}` : ""}${node.sub ? ` · ${node.sub}` : ""}`, 27)),
    );
    if (onSelect) {
      g.addEventListener("click", () => onSelect(node.id));
      g.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          onSelect(node.id);
        }
      });
    }
    graph.append(g);
  }
  return h("div", { className: "graph-wrap" }, graph);
}

const TREE_LIMIT = 1500;

/** The call tree of a Python run: the workflow, then each step under the one that ran it. */
export function callTree(rootLabel, rootState, steps, { onSelect } = {}) {
  let shown = 0;
  const item = (step) => {
    shown += 1;
    const li = h("li", {},
      h("div", { className: "step", dataset: { step: step.id } },
        dot(step.state),
        onSelect ? h("button", { type: "button", className: "link name", onclick: () => onSelect(step.id) }, step.name) : h("span", { className: "name" }, step.name),
        h("span", { className: "meta mono" }, step.id),
        h("span", { className: "meta" }, step.state.toLowerCase()),
        step.start ? h("span", { className: "meta" }, duration(elapsed(step.start, step.end))) : null,
        step.attempts.length > 1 ? h("span", { className: "meta" }, `${step.attempts.filter((a) => a.label.startsWith("attempt")).length} attempts`) : null,
      ),
    );
    if (step.children.length) li.append(list(step.children));
    return li;
  };
  const list = (children) => {
    const ul = h("ul", {});
    for (const child of children) {
      if (shown >= TREE_LIMIT) {
        ul.append(h("li", { className: "muted" }, `… ${children.length} steps here in all; the timeline and the event log show every one`));
        break;
      }
      ul.append(item(child));
    }
    return ul;
  };
  const roots = [...steps.values()].filter((s) => !s.parent);
  return h("ul", { className: "tree" },
    h("li", {},
      h("div", { className: "step" }, dot(rootState), h("span", { className: "name" }, rootLabel), h("span", { className: "meta" }, "workflow")),
      roots.length ? list(roots) : h("p", { className: "muted" }, "No steps recorded yet."),
    ),
  );
}
