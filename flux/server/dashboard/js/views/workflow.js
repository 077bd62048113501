// One workflow: its source (Python file or DAG definition), versions, a form to run it with
// a JSON input, and its latest runs.

import { get, post } from "../api.js";
import { isDag } from "../catalog.js";
import { h, replace } from "../dom.js";
import { dagGraph } from "../graph.js";
import { json, shortId } from "../format.js";
import { ago, badge, card, empty, errorBox, field, kindBadge, lasting, loading, toast } from "../ui.js";
import { scheduleText } from "./workflows.js";

export default function workflow(root, { args: [name], navigate }) {
  document.title = `${name} · Flux`;
  const head = h("div", {}, loading());
  const body = h("div", {});
  root.append(head, body);

  async function load() {
    try {
      const [wf, runs] = await Promise.all([
        get(`/workflows/${encodeURIComponent(name)}`),
        get("/executions/search", { workflow: name, limit: 10 }),
      ]);
      draw(wf, runs);
    } catch (error) {
      replace(head, h("h1", {}, name));
      replace(body, errorBox(error));
    }
  }

  function draw(wf, runs) {
    const dag = isDag(wf);
    replace(head, h("div", { className: "page-head" },
      h("div", {},
        h("div", { className: "muted small" }, h("a", { href: "#/workflows" }, "Workflows"), " / ", wf.name),
        h("h1", {}, `${wf.name} `, kindBadge(dag ? "dag" : "workflow")),
        h("div", { className: "sub" },
          h("span", { className: "mono" }, wf.version.slice(0, 16)),
          h("span", {}, "uploaded ", ago(wf.created_at)),
          wf.filename ? h("span", {}, wf.filename) : null,
          wf.schedule ? h("span", {}, scheduleText(wf.schedule)) : null,
        ),
      ),
    ));
    replace(body,
      h("div", { className: "grid grid-2" },
        card("Run it", runForm(wf)),
        card("Latest runs", runsTable(runs), h("p", { className: "small" }, h("a", { href: `#/executions?workflow=${encodeURIComponent(wf.name)}` }, `All ${runs.count} runs`))),
      ),
      dag ? card("Definition", dagView(wf.source)) : null,
      card(dag ? "Definition (JSON)" : "Source", source(dag ? pretty(wf.source) : wf.source || "")),
      card(`Versions (${wf.versions.length})`, h("ul", { className: "feed" }, wf.versions.map((v, i) => h("li", {}, h("span", { className: "mono" }, v.slice(0, 20)), i === 0 ? h("span", { className: "chip" }, "latest") : null)))),
      wf.secret_requests?.length ? card("Secrets it asks for", h("div", { className: "chips" }, wf.secret_requests.map((s) => h("span", { className: "chip" }, s)))) : null,
    );
  }

  function runForm(wf) {
    const input = h("textarea", { className: "code", rows: 5, spellcheck: false, placeholder: "null", "aria-label": "Input (JSON)" });
    const problem = h("p", { className: "field-error", role: "alert" });
    const button = h("button", { type: "submit", className: "primary" }, "Run");
    return h("form", {
      onsubmit: async (e) => {
        e.preventDefault();
        problem.textContent = "";
        let value = null;
        try {
          value = input.value.trim() ? JSON.parse(input.value) : null;
        } catch (error) {
          problem.textContent = `Not valid JSON: ${error.message}`;
          return;
        }
        button.disabled = true;
        try {
          const started = await post(`/workflows/${encodeURIComponent(wf.name)}/run/async`, value);
          toast(`Started ${shortId(started.execution_id)}`);
          navigate(`/executions/${encodeURIComponent(started.execution_id)}`);
        } catch (error) {
          problem.textContent = error.message;
        } finally {
          button.disabled = false;
        }
      },
    }, field("Input (JSON)", input, "ctx.input of the run; empty means null."), problem, h("div", { className: "actions" }, button));
  }

  load();
}

function runsTable(runs) {
  if (!runs.executions.length) return empty("No runs yet.");
  return h("div", { className: "table-wrap" }, h("table", {},
    h("tbody", {}, runs.executions.map((run) => h("tr", {},
      h("td", {}, badge(run.state)),
      h("td", {}, h("a", { className: "mono", href: `#/executions/${encodeURIComponent(run.execution_id)}` }, shortId(run.execution_id))),
      h("td", {}, ago(run.created_at)),
      h("td", { className: "num" }, lasting(run.created_at, ["COMPLETED", "FAILED", "CANCELLED", "PAUSED"].includes(run.state) ? run.updated_at : null)),
    ))),
  ));
}

function pretty(text) {
  try {
    return json(JSON.parse(text));
  } catch {
    return text || "";
  }
}

function source(text) {
  return h("pre", { className: "source" }, text.split("\n").map((line) => h("span", { className: "line" }, line)));
}

function dagView(text) {
  try {
    const nodes = JSON.parse(text).nodes || [];
    return dagGraph(nodes.map((n) => ({ id: n.id, label: n.jobName || n.id, sub: n.runtime, state: "PENDING", deps: n.dependencies || [] })));
  } catch {
    return h("p", { className: "muted" }, "The definition cannot be drawn.");
  }
}
