// Limits: each concurrency and rate limit with its capacity, the runs holding its slots and
// how many wait (GET /limits), plus what each workflow declares (priority, limits).

import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { shortId } from "../format.js";
import { subscribe, throttle } from "../live.js";
import { ago, badge, card, empty, errorBox, loading } from "../ui.js";

function holderRow(holder) {
  return h("tr", {},
    h("td", {}, String(holder.slot)),
    h("td", {}, holder.state ? badge(holder.state) : "—"),
    h("td", {}, h("a", { href: `#/executions/${encodeURIComponent(holder.execution_id)}` }, holder.workflow_name || "deleted run"),
      " ", h("span", { className: "mono muted small" }, shortId(holder.execution_id))),
    h("td", {}, ago(holder.since)),
    h("td", {}, holder.until ? ago(holder.until) : "—"),
  );
}

function limitCard(limit) {
  const what = limit.kind === "rate" ? `${limit.rate} (starts per period)` : `${limit.capacity} at once`;
  const full = limit.available === 0;
  return h("section", { className: "card limit", dataset: { limit: limit.key } },
    h("div", { className: "head" },
      h("h2", {}, limit.key),
      badge(full ? "PAUSED" : "COMPLETED", full ? "full" : `${limit.available} free`),
    ),
    h("p", { className: "muted small" },
      `${limit.kind} limit of ${limit.workflow_name}: ${what} · ${limit.in_use} in use · ${limit.waiting} waiting`,
      limit.next_free_at ? ` · next slot frees ${ago(limit.next_free_at)}` : ""),
    limit.holders.length
      ? h("table", { className: "table holders" },
        h("thead", {}, h("tr", {}, ["slot", "state", "run", "since", "counts until"].map((t) => h("th", {}, t)))),
        h("tbody", {}, limit.holders.map(holderRow)))
      : h("p", { className: "muted small" }, "No run holds a slot."),
  );
}

function declared(workflows) {
  if (!workflows.length) return null;
  return card("Declared by workflows",
    h("table", { className: "table" },
      h("thead", {}, h("tr", {}, ["workflow", "priority", "concurrency", "rate limit"].map((t) => h("th", {}, t)))),
      h("tbody", {}, workflows.map((w) => h("tr", {},
        h("td", {}, h("a", { href: `#/workflows/${encodeURIComponent(w.workflow_name)}` }, w.workflow_name)),
        h("td", {}, String(w.priority)),
        h("td", {}, w.concurrency ? `${w.concurrency}${w.concurrency_key ? ` per ${w.concurrency_key}` : ""}` : "—"),
        h("td", {}, w.rate_limit ? `${w.rate_limit}${w.rate_limit_key ? ` per ${w.rate_limit_key}` : ""}` : "—"),
      )))));
}

export default function limits(root) {
  document.title = "Limits · Flux";
  const problem = h("div", {});
  const body = h("div", {}, loading());
  root.append(
    h("div", { className: "page-head" },
      h("div", {}, h("h1", {}, "Limits"), h("div", { className: "sub" }, "Concurrency and rate limits: who holds each slot, who waits.")),
    ),
    problem,
    body,
  );

  let stopped = false;
  async function load() {
    try {
      const found = await get("/limits");
      if (stopped) return;
      replace(problem);
      const cards = found.limits.map(limitCard);
      replace(body,
        cards.length ? h("div", { className: "grid grid-2" }, cards)
          : card(null, empty("No limit is in use.", "Give a workflow concurrency=, rate_limit= or priority= in @workflow.with_options(...).")),
        declared(found.workflows));
    } catch (error) {
      if (!stopped) replace(problem, errorBox(error));
    }
  }

  const soon = throttle(load, 1000);
  const unsubscribe = subscribe(() => soon());
  const timer = setInterval(load, 5000); // rate-limit windows move without state changes
  load();
  return () => {
    stopped = true;
    unsubscribe();
    soon.cancel();
    clearInterval(timer);
  };
}
