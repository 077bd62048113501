// What a run's page draws, derived from what the API returns: the steps of a Python run
// (from its event log), the nodes of a DAG run, the attempts of a job; each as graph nodes
// and timeline rows of one shape.

import { parseTime } from "./format.js";

const STEP_END = {
  TASK_COMPLETED: "COMPLETED",
  TASK_FAILED: "FAILED",
  TASK_PAUSED: "PAUSED",
};

/**
 * The steps of a Python run from its events: Map id -> {id, name, parent, state, start, end,
 * attempts: [{start, end, state, label}], value, error, children: []}. Step ids are
 * positions in the call tree ("0", "0.1", "3.extract.0"): a step's parent is the longest
 * prefix that is itself a step.
 */
export function pythonSteps(events, runState) {
  const steps = new Map();
  const stepOf = (event) => {
    let step = steps.get(event.source_id);
    if (!step) {
      step = {
        id: event.source_id, name: event.name, parent: null, state: "RUNNING",
        start: event.time, end: null, attempts: [], value: undefined, error: undefined, children: [],
      };
      steps.set(event.source_id, step);
    }
    return step;
  };
  for (const event of events || []) {
    const type = event.type;
    if (!type.startsWith("TASK_")) continue;
    const step = stepOf(event);
    if (type === "TASK_STARTED") {
      step.start = step.start || event.time;
      step.input = event.value;
    } else if (STEP_END[type]) {
      step.state = STEP_END[type];
      step.end = type === "TASK_PAUSED" ? null : event.time;
      if (type === "TASK_FAILED") step.error = event.value;
      else step.value = event.value;
      if (type === "TASK_PAUSED") step.pausedAt = event.time;
    } else if (type === "TASK_RESUMED") {
      step.state = "COMPLETED";
      step.end = event.time;
      step.value = event.value;
    } else if (type === "TASK_RETRY_STARTED") {
      retryStarted(step, event);
    } else if (type === "TASK_RETRY_FAILED" || type === "TASK_RETRY_COMPLETED") {
      const open = step.attempts[step.attempts.length - 1];
      if (open && !open.end) {
        open.end = event.time;
        open.state = type === "TASK_RETRY_FAILED" ? "FAILED" : "COMPLETED";
      }
    } else if (type === "TASK_FALLBACK_STARTED" || type === "TASK_ROLLBACK_STARTED") {
      step.attempts.push({ start: event.time, end: null, state: "RUNNING", label: type.includes("FALLBACK") ? "fallback" : "rollback" });
    } else if (/_(COMPLETED|FAILED)$/.test(type)) {
      const open = [...step.attempts].reverse().find((a) => !a.end && (a.label === "fallback" || a.label === "rollback"));
      if (open) {
        open.end = event.time;
        open.state = type.endsWith("FAILED") ? "FAILED" : "COMPLETED";
      }
    }
  }
  // Steps still open when the run ended did not finish: they show the run's end state.
  const ended = ["FAILED", "CANCELLED", "COMPLETED"].includes(runState);
  for (const step of steps.values()) {
    if (ended && step.state === "RUNNING") step.state = runState === "COMPLETED" ? "COMPLETED" : "CANCELLED";
    for (const attempt of step.attempts) {
      if (!attempt.end && step.end) {
        attempt.end = step.end;
        attempt.state = step.state;
      }
    }
  }
  linkTree(steps);
  return steps;
}

function retryStarted(step, event) {
  const info = event.value && typeof event.value === "object" ? event.value : {};
  if (!step.attempts.length) {
    // The first attempt is not recorded by itself: it ran from the start until the wait.
    const waited = Number(info.delay) || 0;
    const end = Math.max(parseTime(step.start), parseTime(event.time) - waited * 1000);
    step.attempts.push({ start: step.start, end: new Date(end).toISOString(), state: "FAILED", label: "attempt 1" });
  }
  step.attempts.push({ start: event.time, end: null, state: "RUNNING", label: `attempt ${info.attempt ? info.attempt + 1 : step.attempts.length + 1}` });
}

function linkTree(steps) {
  for (const step of steps.values()) {
    let id = step.id;
    while (id.includes(".")) {
      id = id.slice(0, id.lastIndexOf("."));
      if (steps.has(id)) {
        step.parent = id;
        steps.get(id).children.push(step);
        break;
      }
    }
  }
}

/** The run's own span: from its first event to its end (or now). */
export function runSpan(view) {
  const events = view.events || [];
  const started = events.find((e) => e.type === "WORKFLOW_STARTED") || events[0];
  const ends = ["WORKFLOW_COMPLETED", "WORKFLOW_FAILED", "WORKFLOW_CANCELLED"];
  const end = [...events].reverse().find((e) => ends.includes(e.type));
  return {
    start: started?.time || view.created_at,
    end: end?.time || (["COMPLETED", "FAILED", "CANCELLED"].includes(view.state) ? view.updated_at : null),
  };
}

/** Timeline rows of a Python run, in the order the steps started. */
export function stepRows(steps) {
  return [...steps.values()]
    .sort((a, b) => (parseTime(a.start) ?? 0) - (parseTime(b.start) ?? 0))
    .map((step) => ({
      id: step.id,
      label: step.name,
      title: `${step.name} (step ${step.id})`,
      start: step.start,
      end: step.end,
      state: step.state,
      segments: step.attempts.map((a) => ({ start: a.start, end: a.end, state: a.state, title: a.label })),
    }));
}

/** Graph nodes and timeline rows of a DAG run (`GET /workflows/runs/{id}`). */
export function dagNodes(run) {
  return run.nodes.map((node) => ({
    id: node.id,
    label: node.jobName || node.id,
    sub: node.runtime,
    state: node.state,
    deps: node.dependencies || [],
    start: node.startedAt,
    end: node.finishedAt,
  }));
}

export function dagRows(run) {
  return run.nodes
    .filter((node) => node.startedAt)
    .sort((a, b) => parseTime(a.startedAt) - parseTime(b.startedAt))
    .map((node) => ({
      id: node.id,
      label: node.jobName || node.id,
      title: `${node.id} (${node.runtime})`,
      start: node.startedAt,
      end: node.finishedAt || (node.state === "RUNNING" ? null : node.startedAt),
      state: node.state,
      segments: attemptSegments(node.attempts),
    }));
}

/** A job's attempts: graph nodes in a chain, and one timeline row each. */
export function attemptNodes(job) {
  return job.attempts.map((a, i) => ({
    id: `attempt-${a.attempt}`,
    label: `Attempt ${a.attempt}`,
    sub: a.reason || (a.exitCode !== null && a.exitCode !== undefined ? `exit ${a.exitCode}` : a.state.toLowerCase()),
    state: a.state,
    deps: i ? [`attempt-${job.attempts[i - 1].attempt}`] : [],
    start: a.startedAt,
    end: a.finishedAt,
  }));
}

export function attemptRows(job) {
  return job.attempts.map((a) => ({
    id: `attempt-${a.attempt}`,
    label: `Attempt ${a.attempt}`,
    title: a.reason || a.state,
    start: a.startedAt,
    end: a.finishedAt,
    state: a.state,
    segments: [],
  }));
}

function attemptSegments(attempts) {
  const segments = [];
  (attempts || []).forEach((a, i) => {
    const previous = attempts[i - 1];
    if (previous?.finishedAt) {
      segments.push({ start: previous.finishedAt, end: a.startedAt, state: "PENDING", wait: true, title: "backoff before the retry" });
    }
    segments.push({ start: a.startedAt, end: a.finishedAt, state: a.state, title: `attempt ${a.attempt}${a.reason ? `: ${a.reason}` : ""}` });
  });
  return segments.length > 1 ? segments : [];
}

/** The name of the pause point a PAUSED run waits at, and what it showed. */
export function pausePoint(events) {
  const paused = [...(events || [])].reverse().find((e) => e.type === "WORKFLOW_PAUSED");
  const value = paused?.value;
  if (value && typeof value === "object") return { name: value.name, output: value.output };
  return paused ? { name: null, output: value } : null;
}
