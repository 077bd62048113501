// One run: its header (state, timing, worker) and actions (cancel, resume with JSON input,
// re-run with the same input), then tabs: graph of its steps, timeline, event log, logs,
// input and output, subworkflow runs. Everything updates live: the page follows
// /executions/live for this run, and a job's logs stream from /jobs/{id}/logs?follow=true.

import { ApiError, get, post, request, stream } from "../api.js";
import { kindOf } from "../catalog.js";
import { h, replace } from "../dom.js";
import { dateTime, shortId } from "../format.js";
import { throttle } from "../live.js";
import { pausePoint, pythonSteps, runSpan } from "../runs.js";
import { ENDED, ago, askJson, badge, confirm, empty, errorBox, jsonBlock, kindBadge, lasting, loading, tabs, toast } from "../ui.js";
import { childrenPanel, eventsPanel, graphPanel, ioPanel, logsPanel, timelinePanel } from "./execution_panels.js";

const TABS = [
  ["graph", "Graph"],
  ["timeline", "Timeline"],
  ["events", "Events"],
  ["logs", "Logs"],
  ["io", "Input & output"],
  ["children", "Subworkflow runs"],
];

export default function execution(root, { args: [id], query, navigate }) {
  document.title = `${shortId(id)} · Flux`;
  const head = h("div", {}, loading());
  const notices = h("div", {});
  const body = h("div", {});
  root.append(head, notices, body);

  let data = null;
  let tab = query.get("tab") || "graph";
  let showAllEvents = false;
  let stopped = false;
  let shownTabs = null;
  const panes = new Map(); // log panes survive re-renders, so scrolling and selection stay
  const jobLogs = new Map();
  const selection = {
    id: query.get("node") || null,
    set: (next) => {
      selection.id = selection.id === next ? null : next;
      navigate(`/executions/${encodeURIComponent(id)}`, { tab, node: selection.id }, { replace: true });
      render();
    },
  };

  function logPane(key, text, running) {
    let pane = panes.get(key);
    if (!pane) {
      pane = h("pre", { className: "logs", dataset: { log: key }, tabindex: 0 });
      panes.set(key, pane);
    }
    const value = text || (running ? "" : "(no output)");
    if (pane.textContent !== value) {
      const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 24;
      pane.textContent = value;
      if (atBottom) pane.scrollTop = pane.scrollHeight;
    }
    pane.classList.toggle("running", Boolean(running));
    return pane;
  }

  async function load() {
    try {
      const view = await get(`/executions/${encodeURIComponent(id)}`, { detailed: true });
      const kind = await kindOf(view.workflow_name);
      const [dag, job, stepLogs, children] = await Promise.all([
        kind === "dag" ? get(`/workflows/runs/${encodeURIComponent(id)}`).then((r) => r.run) : null,
        kind === "job" ? get(`/jobs/${encodeURIComponent(id)}`).then((r) => r.job) : null,
        kind === "workflow" ? get(`/executions/${encodeURIComponent(id)}/logs`) : null,
        get("/executions/search", { parent: id, limit: 200 }).then((r) => r.executions),
      ]);
      if (stopped) return;
      data = { view, kind, dag, job, stepLogs, children, steps: pythonSteps(view.events, view.state), jobLogs, logPane };
      render();
    } catch (error) {
      if (stopped) return;
      if (error instanceof ApiError && error.status === 404 && !data) {
        replace(head, h("h1", {}, "Execution not found"));
        replace(body, empty(`No execution ${id}.`, "It may have been deleted by retention, or the link is wrong."));
        return;
      }
      replace(notices, errorBox(error));
    }
  }

  function render() {
    if (!data) return;
    const { view, kind } = data;
    replace(head, header(view, kind, data.job));
    replace(notices,
      view.state === "FAILED" && view.error ? errorBox(new Error(view.error)) : null,
      view.state === "PAUSED" ? pausedNotice(view) : null,
      view.state === "SCHEDULED" && view.pending_reason ? h("div", { className: "notice" }, `Queued: ${view.pending_reason}.`) : null,
    );
    const list = TABS.filter(([key]) => key !== "children" || data.children.length).map(([key, label]) => ({
      id: key,
      label: key === "children" ? `${label} (${data.children.length})` : label,
      render: () => panel(key),
    }));
    if (!list.some((t) => t.id === tab)) tab = "graph";
    shownTabs = tabs(list, tab, (next) => {
      if (next !== tab) {
        tab = next;
        navigate(`/executions/${encodeURIComponent(id)}`, { tab, node: selection.id }, { replace: true });
      }
    });
    replace(body, h("section", { className: "card" }, shownTabs.element));
  }

  function panel(key) {
    if (key === "graph") return graphPanel(data, selection);
    if (key === "timeline") return timelinePanel(data);
    if (key === "events") return eventsPanel(data, showAllEvents, () => { showAllEvents = true; render(); });
    if (key === "logs") return logsPanel(data);
    if (key === "io") return ioPanel(data);
    return childrenPanel(data.children);
  }

  function header(view, kind, job) {
    const span = runSpan(view);
    const ended = ENDED.has(view.state);
    return h("div", { className: "page-head" },
      h("div", {},
        h("div", { className: "muted small" }, h("a", { href: "#/executions" }, "Executions"), " / ", h("span", { className: "mono" }, view.execution_id)),
        h("h1", {}, kind === "job" && job ? `${job.name} ` : `${view.workflow_name} `, badge(view.state), " ", kindBadge(kind)),
        h("div", { className: "sub" },
          h("span", {}, "created ", dateTime(view.created_at)),
          ended
            ? h("span", {}, "took ", lasting(span.start, span.end))
            : view.state === "PAUSED"
              ? h("span", {}, "paused ", ago(view.updated_at))
              : h("span", {}, ["SCHEDULED", "CREATED"].includes(view.state) ? "waiting for " : "running for ", lasting(span.start)),
          view.worker_name ? h("span", {}, "worker ", h("a", { href: "#/workers" }, view.worker_name)) : null,
          h("span", {}, `${view.attempts} claim${view.attempts === 1 ? "" : "s"}`),
          kind === "job" && job ? h("span", {}, `${job.runtime} · ${job.attempts.length} attempt${job.attempts.length === 1 ? "" : "s"} of ${job.maxRetries + 1}`) : null,
          view.parent_execution_id ? h("span", {}, "subworkflow of ", h("a", { href: `#/executions/${encodeURIComponent(view.parent_execution_id)}` }, shortId(view.parent_execution_id))) : null,
          kind !== "job" ? h("a", { href: `#/workflows/${encodeURIComponent(view.workflow_name)}` }, "workflow source") : null,
        ),
      ),
      h("div", { className: "toolbar" },
        !ended ? h("button", { type: "button", className: "danger", dataset: { action: "cancel" }, onclick: () => cancel(view, kind) }, "Cancel") : null,
        view.state === "PAUSED" ? h("button", { type: "button", className: "primary", dataset: { action: "resume" }, onclick: () => resume(view) }, "Resume…") : null,
        retriable(view, kind) ? h("button", { type: "button", className: "primary", dataset: { action: "retry-from-failure" }, onclick: () => retryFromFailure(view) }, "Retry from failure") : null,
        h("button", { type: "button", dataset: { action: "rerun" }, onclick: () => rerun(view, kind) }, "Re-run"),
      ),
    );
  }

  function pausedNotice(view) {
    const point = pausePoint(view.events);
    return h("div", { className: "notice" },
      h("strong", {}, `Paused at ${point?.name ? `“${point.name}”` : "a pause point"}. `),
      "It waits for input: resume it to continue.",
      point?.output !== undefined && point?.output !== null ? h("details", { open: true }, h("summary", {}, "What it showed"), jsonBlock(point.output)) : null,
    );
  }

  async function cancel(view, kind) {
    if (!(await confirm("Cancel this run?", `${view.workflow_name} ${shortId(view.execution_id)} stops at its current step; finished steps stay recorded.`, "Cancel run", true))) return;
    try {
      if (kind === "job") await post(`/jobs/${encodeURIComponent(view.execution_id)}/cancel`);
      else await request("GET", `/workflows/${encodeURIComponent(view.workflow_name)}/cancel/${encodeURIComponent(view.execution_id)}`);
      toast("Cancel requested");
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function resume(view) {
    const point = pausePoint(view.events);
    const answer = await askJson("Resume the run", {
      label: "Input (JSON): what the pause point returns",
      initial: "{}",
      hint: point?.name ? `The run waits at “${point.name}”.` : null,
      action: "Resume",
    });
    if (answer === undefined) return;
    try {
      await post(`/workflows/${encodeURIComponent(view.workflow_name)}/resume/${encodeURIComponent(view.execution_id)}/async`, answer.value);
      toast("Resumed");
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  // POST /executions/{id}/rerun: a new run that reuses every finished step of this one and
  // runs again from the failed step (Python workflows and DAGs; not jobs or subworkflows).
  function retriable(view, kind) {
    return ["FAILED", "CANCELLED"].includes(view.state) && kind !== "job"
      && !view.parent_execution_id && !view.workflow_name.startsWith("flux.");
  }

  async function retryFromFailure(view) {
    try {
      const started = await post(`/executions/${encodeURIComponent(view.execution_id)}/rerun`, {});
      toast("Retrying from the failed step; finished steps are reused");
      navigate(`/executions/${encodeURIComponent(started.execution_id)}`);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function rerun(view, kind) {
    try {
      let newId;
      if (kind === "job") {
        newId = (await post("/jobs/submit", resubmission(view.input))).jobId;
      } else {
        newId = (await post(`/workflows/${encodeURIComponent(view.workflow_name)}/run/async`, view.input)).execution_id;
      }
      toast("Started a new run with the same input");
      navigate(`/executions/${encodeURIComponent(newId)}`);
    } catch (error) {
      toast(error.message, "error");
    }
  }

  const reload = throttle(load, 700);
  const watch = stream(`/executions/live?execution_id=${encodeURIComponent(id)}`, {
    onEvent: (name) => {
      if (name === "execution" || name === "output" || name === "resync") reload();
    },
  });
  let follow = null;
  load().then(() => {
    if (stopped || data?.kind !== "job") return;
    follow = stream(`/jobs/${encodeURIComponent(id)}/logs?follow=true`, {
      once: true,
      onEvent: (name, event) => {
        if (name === "log") {
          const text = (jobLogs.get(event.attempt) || "") + event.text;
          jobLogs.set(event.attempt, text);
          if (panes.has(`attempt:${event.attempt}`)) logPane(`attempt:${event.attempt}`, text, true);
          else if (tab === "logs") render();
        } else if (name === "attempt" || name === "end") {
          reload();
        }
      },
    });
  });
  return () => {
    stopped = true;
    watch.close();
    follow?.close();
    reload.cancel();
  };
}

/** A job's submission again, from its recorded input (the script, payload and limits). */
function resubmission(input) {
  const script = input?.script || {};
  const limits = script.limits || {};
  return {
    runtime: script.runtime,
    script: script.source,
    filename: script.filename,
    payload: script.payload,
    dependencies: script.dependencies,
    maxRetries: input.maxRetries,
    name: input.name,
    type: input.type,
    timeout: limits.wall_seconds,
    cpuSeconds: limits.cpu_seconds,
    maxProcesses: limits.max_processes,
    memory: limits.memory_bytes === undefined ? undefined : String(limits.memory_bytes),
    network: limits.network,
  };
}
