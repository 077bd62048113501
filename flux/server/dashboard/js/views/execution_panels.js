// The panels of a run's page (graph, timeline, events, logs, input and output), each built
// from the run's data as `execution.js` loaded it.

import { h } from "../dom.js";
import { bytes, dateTime, duration, elapsed, json, parseTime, shortId } from "../format.js";
import { callTree, dagGraph } from "../graph.js";
import { attemptNodes, attemptRows, dagNodes, dagRows, pausePoint, runSpan, stepRows } from "../runs.js";
import { timeline } from "../timeline.js";
import { ago, badge, empty, jsonBlock, kindBadge, lasting } from "../ui.js";

const EVENT_LIMIT = 1000;

export function graphPanel(data, selection) {
  const { view, kind, dag, job, steps } = data;
  if (kind === "dag" && dag) {
    return h("div", { className: "stack" },
      dagGraph(dagNodes(dag), { onSelect: selection.set, selected: selection.id }),
      selection.id ? nodeDetails(dag.nodes.find((n) => n.id === selection.id), data) : h("p", { className: "muted small" }, "Select a node for its attempts, logs and output."),
    );
  }
  if (kind === "job" && job) {
    return h("div", { className: "stack" },
      job.attempts.length ? dagGraph(attemptNodes(job), {}) : h("p", { className: "muted" }, "No attempt has started yet."),
      attemptsTable(job.attempts),
    );
  }
  const step = selection.id ? steps.get(selection.id) : null;
  return h("div", { className: "stack" },
    callTree(view.workflow_name, view.state, steps, { onSelect: selection.set }),
    step ? stepDetails(step) : null,
  );
}

function stepDetails(step) {
  return h("div", { className: "card", dataset: { stepDetails: step.id } },
    h("h3", {}, `${step.name} `, h("span", { className: "muted mono" }, step.id), " ", badge(step.state)),
    h("dl", { className: "props" },
      h("dt", {}, "Started"), h("dd", {}, dateTime(step.start)),
      h("dt", {}, "Took"), h("dd", {}, lasting(step.start, step.end)),
      step.attempts.length ? [h("dt", {}, "Attempts"), h("dd", {}, step.attempts.map((a) => `${a.label}: ${a.state.toLowerCase()}`).join(" · "))] : null,
    ),
    h("h3", {}, "Arguments"), jsonBlock(step.input),
    step.error !== undefined ? [h("h3", {}, "Error"), jsonBlock(step.error)] : [h("h3", {}, "Result"), jsonBlock(step.value)],
  );
}

function nodeDetails(node, data) {
  if (!node) return null;
  return h("div", { className: "card", dataset: { nodeDetails: node.id } },
    h("h3", {}, `${node.jobName || node.id} `, h("span", { className: "muted mono" }, node.id), " ", badge(node.state)),
    h("dl", { className: "props" },
      h("dt", {}, "Runtime"), h("dd", {}, node.runtime),
      h("dt", {}, "Depends on"), h("dd", {}, node.dependencies.length ? node.dependencies.join(", ") : "—"),
      h("dt", {}, "Exit code"), h("dd", {}, node.exitCode ?? "—"),
      h("dt", {}, "Took"), h("dd", {}, node.startedAt ? lasting(node.startedAt, node.finishedAt) : "—"),
    ),
    attemptsTable(node.attempts),
    h("h3", {}, "Logs"), data.logPane(`node:${node.id}`, node.logs, node.state === "RUNNING"),
    h("h3", {}, "Output"), jsonBlock(node.output),
  );
}

export function attemptsTable(attempts) {
  if (!attempts?.length) return null;
  return h("div", { className: "table-wrap" }, h("table", { className: "attempts" },
    h("thead", {}, h("tr", {},
      h("th", {}, "#"), h("th", {}, "State"), h("th", {}, "Started"), h("th", { className: "num" }, "Took"),
      h("th", {}, "Exit"), h("th", {}, "Reason"), h("th", {}, "Limit hit"), h("th", { className: "opt" }, "Usage"), h("th", { className: "opt" }, "Sandbox"),
    )),
    h("tbody", {}, attempts.map((a) => h("tr", {},
      h("td", {}, String(a.attempt)),
      h("td", {}, badge(a.state)),
      h("td", {}, ago(a.startedAt)),
      h("td", { className: "num" }, lasting(a.startedAt, a.finishedAt)),
      h("td", {}, a.exitCode ?? (a.signal ? `signal ${a.signal}` : "—")),
      h("td", { className: "wrap-any" }, a.reason || "—"),
      h("td", {}, a.limit ? h("strong", { className: "limit-hit" }, a.limit) : "—"),
      h("td", { className: "opt small" }, usage(a.usage)),
      h("td", { className: "opt small", title: Object.entries(a.enforced || {}).map(([k, v]) => `${k}: ${v}`).join("\n") }, [a.sandbox, a.runtime].filter(Boolean).join(" · ") || "—"),
    ))),
  ));
}

function usage(u) {
  if (!u || !Object.keys(u).length) return "—";
  const parts = [];
  if (u.wall_seconds !== undefined) parts.push(`${duration(u.wall_seconds * 1000)} wall`);
  if (u.cpu_seconds !== undefined) parts.push(`${duration(u.cpu_seconds * 1000)} cpu`);
  if (u.max_memory_bytes !== undefined) parts.push(`${bytes(u.max_memory_bytes)} peak`);
  return parts.join(" · ");
}

export function timelinePanel(data) {
  const { view, kind, dag, job, steps } = data;
  const span = runSpan(view);
  let rows;
  if (kind === "dag" && dag) rows = dagRows(dag);
  else if (kind === "job" && job) rows = attemptRows(job);
  else rows = stepRows(steps);
  const total = h("p", { className: "muted small" },
    `Run ${view.state.toLowerCase()}, `, lasting(span.start, span.end), ` from ${dateTime(span.start)}.`);
  return h("div", {}, total, timeline(rows, span));
}

export function eventsPanel(data, showAll, onShowAll) {
  const events = data.view.events || [];
  if (!events.length) return empty("No events recorded.");
  const t0 = parseTime(events[0].time);
  const shown = showAll ? events : events.slice(0, EVENT_LIMIT);
  return h("div", {},
    h("div", { className: "table-wrap" }, h("table", { className: "events" },
      h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", { className: "num" }, "+"), h("th", {}, "Event"), h("th", {}, "Step"), h("th", {}, "Name"), h("th", {}, "Value"))),
      h("tbody", {}, shown.map((e) => h("tr", {},
        h("td", { className: "nowrap small" }, dateTime(e.time)),
        h("td", { className: "num small" }, duration(parseTime(e.time) - t0)),
        h("td", { className: "mono small" }, e.type),
        h("td", { className: "mono small wrap-any" }, e.source_id === data.view.execution_id ? "run" : e.source_id),
        h("td", { className: "wrap-any" }, e.name),
        h("td", { className: "wrap-any" }, valueCell(e.value)),
      ))),
    )),
    shown.length < events.length ? h("button", { type: "button", onclick: onShowAll }, `Show all ${events.length} events`) : null,
  );
}

function valueCell(value) {
  if (value === null || value === undefined) return h("span", { className: "muted" }, "—");
  const text = typeof value === "string" ? value : json(value);
  if (text.length <= 80 && !text.includes("\n")) return h("code", {}, text);
  return h("details", {}, h("summary", {}, h("code", {}, `${text.slice(0, 60).replace(/\s+/g, " ")}…`)), h("pre", { className: "json" }, text));
}

export function logsPanel(data) {
  const { kind, dag, job, stepLogs } = data;
  if (kind === "job") {
    const attempts = job?.attempts || [];
    const numbers = new Set([...attempts.map((a) => a.attempt), ...data.jobLogs.keys()]);
    if (!numbers.size) return empty("No output yet.", "The script's output appears here as it prints.");
    return h("div", { className: "stack" }, [...numbers].sort((a, b) => a - b).map((n) => {
      const attempt = attempts.find((a) => a.attempt === n);
      const running = !attempt || attempt.state === "RUNNING";
      return h("section", {},
        h("div", { className: "log-head" },
          h("strong", {}, `Attempt ${n}`),
          attempt ? badge(attempt.state) : badge("RUNNING"),
          attempt?.reason ? h("span", { className: "muted" }, attempt.reason) : null,
        ),
        data.logPane(`attempt:${n}`, data.jobLogs.get(n) ?? attempt?.logs ?? "", running),
      );
    }));
  }
  if (kind === "dag" && dag) {
    const started = dag.nodes.filter((n) => n.startedAt || n.logs);
    if (!started.length) return empty("No node has started yet.");
    return h("div", { className: "stack" }, started.map((node) => h("details", { open: node.state === "RUNNING" || node.state === "FAILED" || started.length <= 4 },
      h("summary", {}, h("strong", {}, node.jobName || node.id), " ", badge(node.state)),
      data.logPane(`node:${node.id}`, node.logs, node.state === "RUNNING"),
    )));
  }
  const steps = stepLogs?.steps || [];
  if (!steps.length) {
    return empty("No step output recorded.", "Script steps (run_script, jobs, DAG nodes) ship their output here as they run; Python tasks' own prints go to the worker's log.");
  }
  return h("div", { className: "stack" }, steps.map((s) => {
    const step = data.steps.get(s.step_id);
    return h("section", {},
      h("div", { className: "log-head" }, h("strong", {}, step?.name || "step"), h("span", { className: "mono muted" }, s.step_id), step ? badge(step.state) : null),
      data.logPane(`step:${s.step_id}`, s.text, step?.state === "RUNNING"),
    );
  }));
}

export function ioPanel(data) {
  const { view, job } = data;
  const paused = view.state === "PAUSED" ? pausePoint(view.events) : null;
  const script = data.kind === "job" ? view.input?.script : null;
  return h("div", { className: "grid grid-2" },
    h("section", {},
      h("h3", {}, script ? "Script" : "Input"),
      script ? [
        h("p", { className: "muted small" }, `${script.filename || "script"} · ${script.runtime}${script.dependencies?.length ? ` · needs ${script.dependencies.join(", ")}` : ""}`),
        h("pre", { className: "source" }, script.source.split("\n").map((line) => h("span", { className: "line" }, line))),
        h("h3", {}, "Payload"), jsonBlock(script.payload),
      ] : jsonBlock(view.input),
    ),
    h("section", {},
      paused ? [h("h3", {}, `Paused at ${paused.name || "a pause point"}`), jsonBlock(paused.output)] : null,
      h("h3", {}, view.state === "FAILED" ? "Error" : "Output"),
      view.state === "FAILED" ? h("pre", { className: "json" }, view.error || json(view.output)) : jsonBlock(job ? job.output : view.output),
    ),
  );
}

export function childrenPanel(children) {
  if (!children.length) return empty("This run started no subworkflow runs.");
  return h("div", { className: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "State"), h("th", {}, "Execution"), h("th", {}, "Workflow"), h("th", {}, "Created"), h("th", { className: "num" }, "Duration"))),
    h("tbody", {}, children.map((run) => h("tr", {},
      h("td", {}, badge(run.state)),
      h("td", {}, h("a", { className: "mono", href: `#/executions/${encodeURIComponent(run.execution_id)}` }, shortId(run.execution_id))),
      h("td", {}, run.workflow_name, " ", kindBadge(run.kind)),
      h("td", {}, ago(run.created_at)),
      h("td", { className: "num" }, duration(elapsed(run.created_at, run.updated_at))),
    ))),
  ));
}
