// The dashboard's entry point: hash routing (#/executions/abc?tab=logs), the shared live
// connection, and the navigation's state. Each page is a module whose default export
// renders into the main element and returns how to clean up (timers, streams).

import { clear, h } from "./dom.js";
import * as live from "./live.js";
import { errorBox } from "./ui.js";
import audit from "./views/audit.js";
import execution from "./views/execution.js";
import executions from "./views/executions.js";
import jobs from "./views/jobs.js";
import limits from "./views/limits.js";
import overview from "./views/overview.js";
import schedules from "./views/schedules.js";
import secrets from "./views/secrets.js";
import settings from "./views/settings.js";
import workers from "./views/workers.js";
import workflow from "./views/workflow.js";
import workflows from "./views/workflows.js";

const ROUTES = [
  [/^\/?$/, overview, "overview"],
  [/^\/executions\/?$/, executions, "executions"],
  [/^\/executions\/([^/]+)\/?$/, execution, "executions"],
  [/^\/jobs\/?$/, jobs, "jobs"],
  [/^\/workflows\/?$/, workflows, "workflows"],
  [/^\/workflows\/([^/]+)\/?$/, workflow, "workflows"],
  [/^\/schedules\/?$/, schedules, "schedules"],
  [/^\/workers\/?$/, workers, "workers"],
  [/^\/limits\/?$/, limits, "limits"],
  [/^\/secrets\/?$/, secrets, "secrets"],
  [/^\/settings\/?$/, settings, "settings"],
  [/^\/audit\/?$/, audit, "audit"],
];

const main = document.getElementById("view");
let cleanup = null;

/** Go to `path` with `query` ({name: value | [values]}); `replace` keeps no history entry. */
export function navigate(path, query, { replace = false } = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value === null || value === undefined || value === "" || value === false) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(name, String(one));
  }
  const text = params.toString();
  const hash = `#${path}${text ? `?${text}` : ""}`;
  if (replace) {
    history.replaceState(null, "", hash);
  } else if (location.hash !== hash) {
    location.hash = hash;
  }
}

function route() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  const query = new URLSearchParams(search);
  for (const [pattern, view, section] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    show(view, section, { args: match.slice(1).map(decodeURIComponent), query, path });
    return;
  }
  show(() => {
    document.title = "Not found · Flux";
    main.append(h("h1", {}, "Page not found"), errorBox(new Error(`No page at ${path}`)), h("p", {}, h("a", { href: "#/" }, "Back to the overview")));
  }, "", { args: [], query, path });
}

function show(view, section, context) {
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  clear(main);
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === section);
    if (a.dataset.nav === section) {
      a.setAttribute("aria-current", "page");
      a.scrollIntoView({ block: "nearest", inline: "nearest" }); // a phone's nav scrolls sideways
    }
    else a.removeAttribute("aria-current");
  }
  try {
    cleanup = view(main, { ...context, navigate });
  } catch (error) {
    console.warn(error);
    main.append(errorBox(error));
  }
  window.scrollTo(0, 0);
}

function showLiveStatus() {
  const el = document.getElementById("live-status");
  const labels = { live: "Live", reconnecting: "Reconnecting…", connecting: "Connecting…" };
  live.onStatus((status) => {
    el.textContent = labels[status] || status;
    el.className = `live-status ${status}`;
  });
}

window.addEventListener("hashchange", route);
showLiveStatus();
live.start();
route();
