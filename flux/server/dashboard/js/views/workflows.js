// Workflows: the catalog (uploaded Python files and JSON DAGs, latest version of each), and
// uploading a Python file.

import { postForm } from "../api.js";
import { forget, isDag, workflows as readCatalog } from "../catalog.js";
import { h, replace } from "../dom.js";
import { ago, card, empty, errorBox, kindBadge, loading, toast } from "../ui.js";

export default function workflows(root) {
  document.title = "Workflows · Flux";
  const problem = h("div", {});
  const list = h("div", {}, loading());
  const file = h("input", { type: "file", name: "file", accept: ".py", required: true, "aria-label": "Workflow file (.py)" });
  const upload = h("button", { type: "submit", className: "primary" }, "Upload");
  const form = h("form", { className: "toolbar", onsubmit: (e) => { e.preventDefault(); send(); } }, file, upload);

  root.append(
    h("div", { className: "page-head" },
      h("div", {}, h("h1", {}, "Workflows"), h("div", { className: "sub" }, "Python workflows and JSON DAGs the server can run; newest version of each.")),
    ),
    card("Upload a Python workflow file", h("p", { className: "muted small" }, "The server parses the file (it never imports it) and registers every @workflow in it; workers run it."), form),
    problem,
    card(null, list),
  );

  async function send() {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const body = new FormData();
    body.append("file", chosen, chosen.name);
    upload.disabled = true;
    try {
      const found = await postForm("/workflows", body);
      toast(`Registered ${found.map((w) => w.name).join(", ") || "no workflow"}`);
      file.value = "";
      forget();
      load();
    } catch (error) {
      toast(error.message, "error");
    } finally {
      upload.disabled = false;
    }
  }

  async function load() {
    try {
      const found = await readCatalog(true);
      replace(problem);
      if (!found.length) {
        replace(list, empty("No workflows yet.", "Upload a .py file above, or POST a JSON DAG to /workflows/submit."));
        return;
      }
      replace(list, h("div", { className: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "Workflow"), h("th", {}, "Type"), h("th", { className: "opt" }, "Version"), h("th", { className: "opt" }, "File"), h("th", {}, "Updated"), h("th", {}, "Schedule"))),
        h("tbody", {}, found.map((wf) => h("tr", {},
          h("td", { className: "wrap-any" }, h("a", { href: `#/workflows/${encodeURIComponent(wf.name)}` }, wf.name)),
          h("td", {}, kindBadge(isDag(wf) ? "dag" : "workflow")),
          h("td", { className: "opt mono small" }, wf.version.slice(0, 12)),
          h("td", { className: "opt small wrap-any" }, wf.filename || "—"),
          h("td", { className: "nowrap" }, ago(wf.created_at)),
          h("td", { className: "small" }, wf.schedule ? scheduleText(wf.schedule) : "—"),
        ))),
      )));
    } catch (error) {
      replace(problem, errorBox(error));
    }
  }

  load();
}

export function scheduleText(s) {
  const cron = s.expression || s.cron;
  if (cron) return `cron ${cron}${s.timezone ? ` (${s.timezone})` : ""}`;
  const seconds = s.seconds ?? s.interval_seconds;
  if (seconds) return `every ${seconds} s`;
  const at = s.at || s.once_at;
  return at ? `once at ${at}` : "scheduled";
}
