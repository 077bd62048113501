// Executions: Python workflow runs, script jobs and DAG runs in one list, filtered by state,
// kind, workflow and time, newest first, updated live: rows change state in place and new
// runs appear at the top of the first page without a reload.

import { get } from "../api.js";
import { JOB_WORKFLOW, isDag, workflows } from "../catalog.js";
import { h, replace } from "../dom.js";
import { number, shortId } from "../format.js";
import { subscribe } from "../live.js";
import { ENDED, STATES, ago, badge, card, empty, errorBox, field, kindBadge, lasting, loading } from "../ui.js";

const PERIODS = [
  ["", "any time"],
  ["15m", "last 15 min"],
  ["1h", "last hour"],
  ["24h", "last 24 hours"],
  ["7d", "last 7 days"],
];
const PERIOD_MS = { m: 60e3, h: 3600e3, d: 86400e3 };
const LIMIT = 50;

function sinceOf(period) {
  const match = /^(\d+)([mhd])$/.exec(period || "");
  return match ? new Date(Date.now() - Number(match[1]) * PERIOD_MS[match[2]]).toISOString() : null;
}

export default function executions(root, { query, navigate }) {
  document.title = "Executions · Flux";
  const filters = {
    state: query.get("state") || "",
    kind: query.get("kind") || "",
    workflow: query.get("workflow") || "",
    period: query.get("period") || "",
    top: query.get("top") === "1",
  };
  const go = (changes) => navigate("/executions", { ...filters, top: filters.top ? "1" : "", ...changes });

  const names = h("datalist", { id: "workflow-names" });
  const form = h("form", { className: "filters", onsubmit: (e) => e.preventDefault() },
    field("State", h("select", { name: "state", onchange: (e) => go({ state: e.target.value }) },
      h("option", { value: "" }, "any state"),
      STATES.map((s) => h("option", { value: s, selected: s === filters.state }, s.toLowerCase())),
    )),
    field("Type", h("select", { name: "kind", onchange: (e) => go({ kind: e.target.value }) },
      [["", "all types"], ["workflow", "Python workflows"], ["job", "script jobs"], ["dag", "DAG workflows"]]
        .map(([value, label]) => h("option", { value, selected: value === filters.kind }, label)),
    )),
    field("Workflow", h("input", {
      name: "workflow", list: "workflow-names", value: filters.workflow, placeholder: "any workflow",
      onchange: (e) => go({ workflow: e.target.value.trim() }),
    })),
    field("Created", h("select", { name: "period", onchange: (e) => go({ period: e.target.value }) },
      PERIODS.map(([value, label]) => h("option", { value, selected: value === filters.period }, label)),
    )),
    h("label", { className: "check" },
      h("input", { type: "checkbox", name: "top", checked: filters.top, onchange: (e) => go({ top: e.target.checked ? "1" : "" }) }),
      "hide subworkflow runs"),
    names,
  );
  const problem = h("div", {});
  const banner = h("div", { className: "banner" });
  const body = h("div", {}, loading());
  const pager = h("div", { className: "pager" });
  root.append(
    h("div", { className: "page-head" },
      h("div", {}, h("h1", {}, "Executions"), h("div", { className: "sub" }, "Workflow runs, script jobs and DAG runs, newest first.")),
      h("div", { className: "toolbar" }, h("a", { className: "button", href: "#/jobs" }, "Submit a job"), h("a", { className: "button", href: "#/workflows" }, "Run a workflow")),
    ),
    card(null, form, problem, banner, body, pager),
  );

  let dags = new Set();
  let stopped = false;
  let cursors = [null]; // the cursor of each page seen so far; the last is the current one
  let rows = new Map();
  let page = null;
  let fresh = 0;

  workflows().then((list) => {
    dags = new Set(list.filter(isDag).map((w) => w.name));
    replace(names, [JOB_WORKFLOW, ...list.map((w) => w.name)].map((name) => h("option", { value: name })));
  }).catch(() => {});

  const params = () => ({
    state: filters.state, kind: filters.kind, workflow: filters.workflow,
    since: sinceOf(filters.period), top_level: filters.top, limit: LIMIT,
  });

  async function load() {
    try {
      const cursor = cursors[cursors.length - 1];
      page = await get("/executions/search", { ...params(), cursor });
      if (stopped) return;
      fresh = 0;
      replace(problem);
      replace(banner);
      draw();
    } catch (error) {
      if (!stopped) replace(problem, errorBox(error));
    }
  }

  function draw() {
    rows = new Map();
    if (!page.executions.length) {
      const filtered = filters.state || filters.kind || filters.workflow || filters.period || filters.top;
      replace(body, filtered ? empty("No executions match these filters.", "Change or clear the filters above.") : empty("No executions yet.", "Run a workflow or submit a job: it shows up here at once."));
    } else {
      const tbody = h("tbody", {}, page.executions.map((run) => row(run)));
      replace(body, h("div", { className: "table-wrap" }, h("table", { className: "runs" },
        h("thead", {}, h("tr", {},
          h("th", {}, "State"), h("th", {}, "Execution"), h("th", {}, "Workflow"), h("th", { className: "opt" }, "Type"),
          h("th", {}, "Created"), h("th", { className: "num" }, "Duration"), h("th", { className: "opt" }, "Worker"), h("th", { className: "num opt" }, "Attempts"),
        )),
        tbody,
      )));
    }
    drawPager();
  }

  function drawPager() {
    const first = (cursors.length - 1) * LIMIT;
    const shown = page.executions.length;
    replace(pager,
      h("span", { className: "muted" }, shown ? `${number(first + 1)}–${number(first + shown)} of ${number(page.count)}` : `${number(page.count)} in all`),
      h("span", { className: "toolbar" },
        h("button", { type: "button", disabled: cursors.length === 1, onclick: () => { cursors.pop(); load(); } }, "← Newer"),
        h("button", { type: "button", disabled: !page.next_cursor, onclick: () => { cursors.push(page.next_cursor); load(); } }, "Older →"),
      ),
    );
  }

  function row(run) {
    const tr = h("tr", { dataset: { id: run.execution_id } });
    fill(tr, run);
    rows.set(run.execution_id, { tr, run });
    return tr;
  }

  function fill(tr, run) {
    replace(tr,
      h("td", {}, badge(run.state)),
      h("td", {}, h("a", { className: "mono", href: `#/executions/${encodeURIComponent(run.execution_id)}`, title: run.execution_id }, shortId(run.execution_id)),
        run.parent_execution_id ? h("div", { className: "muted small" }, "sub of ", h("a", { href: `#/executions/${encodeURIComponent(run.parent_execution_id)}` }, shortId(run.parent_execution_id))) : null),
      h("td", { className: "wrap-any" }, run.workflow_name, run.error ? h("div", { className: "muted small", title: run.error }, run.error.length > 90 ? `${run.error.slice(0, 89)}…` : run.error) : null),
      h("td", { className: "opt" }, kindBadge(run.kind)),
      h("td", { className: "nowrap" }, ago(run.created_at)),
      h("td", { className: "num" }, lasting(run.created_at, ENDED.has(run.state) || run.state === "PAUSED" ? run.updated_at : null)),
      h("td", { className: "opt small wrap-any" }, run.worker_name || "—"),
      h("td", { className: "num opt" }, String(run.attempts ?? 0)),
    );
  }

  function kindOfLive(name) {
    if (name === JOB_WORKFLOW) return "job";
    return dags.has(name) ? "dag" : "workflow";
  }

  function matches(event) {
    if (filters.workflow && event.workflow !== filters.workflow) return false;
    if (filters.state && event.state !== filters.state) return false;
    if (filters.kind && kindOfLive(event.workflow) !== filters.kind) return false;
    if (filters.top && event.parent_execution_id) return false;
    const since = sinceOf(filters.period);
    return !since || Date.parse(event.created_at) >= Date.parse(since);
  }

  function onLive(event) {
    if (!page) return;
    if (event.type === "resync") {
      if (cursors.length === 1) load();
      return;
    }
    const change = event.run;
    const known = rows.get(change.execution_id);
    if (known) {
      const run = { ...known.run, state: change.state, updated_at: change.updated_at, worker_name: change.worker || known.run.worker_name };
      if (run.state === "FAILED" && !run.error) refreshSoon();
      known.run = run;
      fill(known.tr, run);
      known.tr.classList.remove("flash");
      void known.tr.offsetWidth; // restart the highlight
      known.tr.classList.add("flash");
      return;
    }
    if (!matches(change) || !isNew(change)) return;
    if (cursors.length > 1) {
      fresh += 1;
      replace(banner, h("button", { type: "button", className: "small", onclick: () => { cursors = [null]; load(); } }, `${fresh} new — show the newest`));
      return;
    }
    const run = {
      execution_id: change.execution_id, workflow_name: change.workflow, kind: kindOfLive(change.workflow),
      state: change.state, created_at: change.created_at, updated_at: change.updated_at,
      worker_name: change.worker, parent_execution_id: change.parent_execution_id, attempts: 0, error: null,
    };
    page.executions.unshift(run);
    page.count += 1;
    if (page.executions.length > LIMIT) page.executions.length = LIMIT;
    const tbody = body.querySelector("tbody");
    if (!tbody) {
      draw();
      return;
    }
    const tr = row(run);
    tr.classList.add("flash");
    tbody.prepend(tr);
    while (tbody.children.length > LIMIT) {
      const last = tbody.lastElementChild;
      rows.delete(last.dataset.id);
      last.remove();
    }
    drawPager();
  }

  // A run is new to this list when it was created after the newest row shown.
  function isNew(change) {
    const newest = page.executions[0];
    return !newest || Date.parse(change.created_at) > Date.parse(newest.created_at);
  }

  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => cursors.length === 1 && load(), 800);
  }

  const unsubscribe = subscribe(onLive);
  // The live feed keeps the page current; this re-read trues up counts and errors.
  const timer = setInterval(() => cursors.length === 1 && load(), 30000);
  load();
  return () => {
    stopped = true;
    unsubscribe();
    clearInterval(timer);
    clearTimeout(refreshTimer);
  };
}
