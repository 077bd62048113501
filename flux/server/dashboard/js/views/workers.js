// Workers: each one's health and last heartbeat, resources, runtimes, and the runs it holds.

import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { bytes, duration, shortId } from "../format.js";
import { subscribe, throttle } from "../live.js";
import { ago, badge, card, empty, errorBox, lasting, loading } from "../ui.js";

function meter(label, used, total, format) {
  if (!total) return null;
  const ratio = Math.min(1, Math.max(0, used / total));
  const level = ratio > 0.9 ? " bad" : ratio > 0.75 ? " warn" : "";
  const bar = h("div", {});
  bar.style.width = `${ratio * 100}%`;
  return h("div", {},
    h("div", { className: "small" }, `${label}: ${format(used)} of ${format(total)}`),
    h("div", { className: `meter${level}`, role: "meter", "aria-valuenow": Math.round(ratio * 100), "aria-valuemin": 0, "aria-valuemax": 100, "aria-label": label }, bar),
  );
}

export default function workers(root) {
  document.title = "Workers · Flux";
  const problem = h("div", {});
  const list = h("div", { className: "grid grid-2" }, loading());
  root.append(
    h("div", { className: "page-head" },
      h("div", {}, h("h1", {}, "Workers"), h("div", { className: "sub" }, "The machines that run workflows and jobs, with what they hold now.")),
    ),
    problem,
    list,
  );

  let stopped = false;
  async function load() {
    try {
      const found = await get("/stats/workers");
      if (stopped) return;
      replace(problem);
      if (!found.length) {
        replace(list, card(null, empty("No worker has registered.", "Start one with `flux start worker`, or `flux start server` runs one for you.")));
        return;
      }
      found.sort((a, b) => Number(b.healthy) - Number(a.healthy) || a.name.localeCompare(b.name));
      replace(list, found.map(workerCard));
    } catch (error) {
      if (!stopped) replace(problem, errorBox(error));
    }
  }

  function workerCard(w) {
    const r = w.resources || {};
    const health = w.healthy ? badge("COMPLETED", "healthy") : w.status === "connected" ? badge("PAUSED", "no heartbeat") : badge("CANCELLED", "disconnected");
    const runtimes = Object.entries(r.runtimes || {}).flatMap(([name, versions]) => versions.map((v) => `${name} ${v}`));
    return h("section", { className: "card worker", dataset: { worker: w.name } },
      h("div", { className: "head" }, h("h2", {}, w.name), health),
      h("p", { className: "muted small" }, "last heartbeat ", ago(w.last_seen_at), ` · registered `, ago(w.registered_at)),
      h("div", { className: "grid grid-2" },
        h("div", {},
          meter("CPU in use", (r.cpu_total || 0) - (r.cpu_available || 0), r.cpu_total, (n) => `${Number(n).toFixed(1)} cores`),
          meter("Memory in use", (r.memory_total || 0) - (r.memory_available || 0), r.memory_total, bytes),
          meter("Disk in use", (r.disk_total || 0) - (r.disk_free || 0), r.disk_total, bytes),
          meter("Slots busy", w.running.length, w.max_concurrency, String),
        ),
        h("dl", { className: "props small" },
          h("dt", {}, "Python"), h("dd", {}, w.python_version),
          h("dt", {}, "Platform"), h("dd", {}, w.platform),
          h("dt", {}, "Sandbox"), h("dd", {}, r.sandbox || "—"),
          h("dt", {}, "Packages"), h("dd", {}, String(w.packages)),
          h("dt", {}, "GPUs"), h("dd", {}, r.gpus?.length ? r.gpus.map((g) => g.name || "gpu").join(", ") : "none"),
        ),
      ),
      runtimes.length ? h("div", { className: "chips" }, runtimes.map((t) => h("span", { className: "chip" }, t))) : null,
      h("h3", {}, `Running now (${w.running.length})`),
      w.running.length
        ? h("ul", { className: "feed" }, w.running.map((run) => h("li", {},
          badge(run.state),
          h("a", { href: `#/executions/${encodeURIComponent(run.execution_id)}` }, run.workflow_name),
          h("span", { className: "mono muted small" }, shortId(run.execution_id)),
          h("span", { className: "when" }, lasting(run.since)),
        )))
        : h("p", { className: "muted small" }, w.healthy ? "Idle." : `Not heard from for ${duration(w.seconds_since_seen * 1000)}.`),
    );
  }

  const soon = throttle(load, 1500);
  const unsubscribe = subscribe(() => soon());
  const timer = setInterval(load, 5000); // heartbeats and resource reports move without runs
  load();
  return () => {
    stopped = true;
    unsubscribe();
    soon.cancel();
    clearInterval(timer);
  };
}
