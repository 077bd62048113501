// Jobs: submit a script (Python, Node.js or Bash) from the browser, and the latest jobs,
// updated live. A submitted job opens on its run page, where its logs stream in.

import { get, post } from "../api.js";
import { h, replace } from "../dom.js";
import { number, shortId } from "../format.js";
import { subscribe, throttle } from "../live.js";
import { ago, badge, card, empty, errorBox, field, lasting, loading, toast } from "../ui.js";

const TEMPLATES = {
  bash: 'echo "payload: $PAYLOAD"\nfor i in 1 2 3; do echo "step $i"; sleep 0.2; done\necho \'{"ok": true}\' > "$FLUX_OUTPUT"\n',
  python:
    'import json, os\n\npayload = json.loads(os.environ["PAYLOAD"])\nprint("payload:", payload)\n' +
    'with open(os.environ["FLUX_OUTPUT"], "w") as out:\n    json.dump({"ok": True}, out)\n',
  node: 'module.exports = async (payload) => {\n  console.log("payload:", payload);\n  return { ok: true };\n};\n',
};
const FILENAMES = { bash: "job.sh", python: "job.py", node: "job.js" };

function family(runtime) {
  return (runtime || "").split(":")[0];
}

/** Runtime choices from what connected workers report: "python", "python:3.12", ... */
function runtimeChoices(workers) {
  const found = new Map();
  for (const worker of workers) {
    for (const [name, versions] of Object.entries(worker.resources?.runtimes || {})) {
      found.set(name, found.get(name) || new Set());
      for (const version of versions) {
        const parts = version.split(".");
        found.get(name).add(name === "python" ? parts.slice(0, 2).join(".") : parts[0]);
      }
    }
  }
  if (!found.size) return ["bash", "python", "node"];
  const choices = [];
  for (const [name, versions] of [...found].sort()) {
    choices.push(name);
    if (name !== "bash") {
      const sorted = [...versions].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      for (const version of sorted) choices.push(`${name}:${version}`);
    }
  }
  return choices;
}

export default function jobs(root, { query, navigate }) {
  document.title = "Jobs · Flux";
  const stateFilter = query.get("state") || "";
  const problem = h("div", {});
  const list = h("div", {}, loading());
  const runtime = h("select", { name: "runtime", required: true }, h("option", { value: "bash" }, "bash"));
  const script = h("textarea", { name: "script", className: "code", rows: 12, spellcheck: false, value: TEMPLATES.bash, required: true });
  const upload = h("input", { type: "file", accept: ".py,.js,.sh,.mjs,.cjs,text/*", "aria-label": "Load a script file" });
  const payload = h("textarea", { name: "payload", className: "code", rows: 3, spellcheck: false, value: '{"name": "Flux"}' });
  const deps = h("input", { name: "dependencies", placeholder: "e.g. requests, axios (optional)" });
  const name = h("input", { name: "name", placeholder: "dataset-worker" });
  const retries = h("input", { name: "maxRetries", type: "number", min: 0, max: 100, placeholder: "server default" });
  const timeout = h("input", { name: "timeout", type: "number", min: 1, step: "any", placeholder: "seconds" });
  const memory = h("input", { name: "memory", placeholder: "e.g. 256Mi" });
  const runAt = h("input", { name: "runAt", type: "datetime-local" });
  const formError = h("p", { className: "field-error", role: "alert" });
  let filename = null;
  let lastTemplate = TEMPLATES.bash;

  runtime.addEventListener("change", () => {
    // Swap the example only while it is untouched.
    if (script.value === lastTemplate) {
      lastTemplate = TEMPLATES[family(runtime.value)] || "";
      script.value = lastTemplate;
    }
  });
  upload.addEventListener("change", async () => {
    const file = upload.files?.[0];
    if (!file) return;
    script.value = await file.text();
    filename = file.name;
  });

  const submit = h("button", { type: "submit", className: "primary" }, "Submit job");
  const form = h("form", { className: "job-form", onsubmit: (e) => { e.preventDefault(); send(); } },
    h("div", { className: "form-row" }, field("Runtime", runtime), field("Name", name)),
    field("Script", script, h("span", {}, "or load a file: ", upload)),
    field("Payload (JSON)", payload, "Given to the script: $PAYLOAD (Bash), PAYLOAD env (Python), the function's argument (Node)."),
    field("Dependencies", deps, "npm or PyPI package names, comma-separated; installed once and cached."),
    h("details", {}, h("summary", {}, "Limits and timing"),
      h("div", { className: "form-row", style: { marginTop: ".75rem" } },
        field("Max retries", retries), field("Timeout (s)", timeout), field("Memory", memory), field("Run at (local time)", runAt),
      ),
    ),
    formError,
    h("div", { className: "actions" }, submit),
  );

  root.append(
    h("div", { className: "page-head" }, h("div", {}, h("h1", {}, "Jobs"), h("div", { className: "sub" }, "Scripts run in a sandbox on a worker, retried on failure, with live logs."))),
    problem,
    h("div", { className: "grid grid-2" },
      card("Submit a script", form),
      card("Latest jobs",
        h("div", { className: "filters" }, field("State", h("select", { onchange: (e) => navigate("/jobs", { state: e.target.value }) },
          ["", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].map((s) => h("option", { value: s, selected: s === stateFilter }, s ? s.toLowerCase() : "any state")),
        ))),
        list,
      ),
    ),
  );

  async function send() {
    formError.textContent = "";
    let payloadValue;
    try {
      payloadValue = payload.value.trim() ? JSON.parse(payload.value) : {};
    } catch (error) {
      formError.textContent = `The payload is not valid JSON: ${error.message}`;
      return;
    }
    const body = {
      runtime: runtime.value,
      script: script.value,
      filename: filename || FILENAMES[family(runtime.value)],
      payload: payloadValue,
      dependencies: deps.value.split(",").map((d) => d.trim()).filter(Boolean),
    };
    if (name.value.trim()) body.name = name.value.trim();
    if (retries.value !== "") body.maxRetries = Number(retries.value);
    if (timeout.value !== "") body.timeout = Number(timeout.value);
    if (memory.value.trim()) body.memory = memory.value.trim();
    if (runAt.value) body.runAt = new Date(runAt.value).toISOString();
    submit.disabled = true;
    try {
      const answer = await post("/jobs/submit", body);
      toast(`Submitted ${shortId(answer.jobId)}`);
      navigate(`/executions/${encodeURIComponent(answer.jobId)}`, { tab: "logs" });
    } catch (error) {
      formError.textContent = error.message;
    } finally {
      submit.disabled = false;
    }
  }

  let stopped = false;
  async function load() {
    try {
      const found = await get("/jobs", { state: stateFilter, limit: 20 });
      if (stopped) return;
      replace(problem);
      if (!found.jobs.length) {
        replace(list, empty(stateFilter ? "No jobs in this state." : "No jobs yet.", "Submit one with the form."));
        return;
      }
      replace(list, h("div", { className: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "State"), h("th", {}, "Job"), h("th", {}, "Runtime"), h("th", {}, "Created"), h("th", { className: "num" }, "Duration"))),
        h("tbody", {}, found.jobs.map((job) => h("tr", { dataset: { id: job.jobId } },
          h("td", {}, badge(job.state)),
          h("td", {}, h("a", { href: `#/executions/${encodeURIComponent(job.jobId)}` }, job.name), h("div", { className: "muted small mono" }, shortId(job.jobId))),
          h("td", { className: "small" }, job.runtime),
          h("td", { className: "nowrap" }, ago(job.createdAt)),
          h("td", { className: "num" }, lasting(job.createdAt, ["COMPLETED", "FAILED", "CANCELLED"].includes(job.state) ? job.updatedAt : null)),
        ))),
      )), h("p", { className: "muted small" }, `${number(found.count)} job${found.count === 1 ? "" : "s"} in all. `, h("a", { href: "#/executions?kind=job" }, "All jobs in Executions")));
    } catch (error) {
      if (!stopped) replace(problem, errorBox(error));
    }
  }

  get("/stats/workers").then((workers) => {
    const choices = runtimeChoices(workers.filter((w) => w.status === "connected"));
    replace(runtime, choices.map((c) => h("option", { value: c, selected: c === "bash" }, c)));
  }).catch(() => {});

  const soon = throttle(load, 1000);
  const unsubscribe = subscribe((event) => {
    if (event.type === "resync" || event.run.workflow === "flux.job") soon();
  });
  load();
  return () => {
    stopped = true;
    unsubscribe();
    soon.cancel();
  };
}
