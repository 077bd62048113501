// Overview: what runs now, how many ended and failed lately, the queue, the worker fleet,
// the next schedule fires, recent failures and a live feed of state changes.

import { get } from "../api.js";
import { stateBars, throughputChart } from "../charts.js";
import { h, replace } from "../dom.js";
import { duration, number, percent, shortId } from "../format.js";
import { subscribe, throttle } from "../live.js";
import { STATES, ago, badge, card, empty, errorBox, loading } from "../ui.js";

const WINDOWS = [
  [15, "15 min"],
  [60, "1 hour"],
  [360, "6 hours"],
  [1440, "24 hours"],
];
const FEED_SIZE = 25;

export default function overview(root, { query, navigate }) {
  document.title = "Overview · Flux";
  const minutes = Number(query.get("minutes")) || 60;
  const metrics = h("div", { className: "metrics" }, loading());
  const chart = h("div", {}, loading());
  const states = h("div", {}, loading());
  const upcoming = h("div", {}, loading());
  const failures = h("div", {}, loading());
  const feed = h("ul", { className: "feed", "aria-live": "off" });
  const problem = h("div", {});
  const windowSelect = h("select", {
    "aria-label": "Time window",
    onchange: (e) => navigate("/", { minutes: e.target.value }),
  }, WINDOWS.map(([value, label]) => h("option", { value, selected: value === minutes }, label)));

  root.append(
    h("div", { className: "page-head" },
      h("div", {}, h("h1", {}, "Overview"), h("div", { className: "sub" }, "Executions, queue and workers, live.")),
      h("div", { className: "toolbar" }, h("label", { className: "muted small" }, "Window "), windowSelect),
    ),
    problem,
    metrics,
    h("div", { className: "grid grid-2" },
      card(`Runs ended per minute`, chart),
      card("Executions per state", states),
    ),
    h("div", { className: "grid grid-3", style: { marginTop: "1rem" } },
      card("Next schedule fires", upcoming),
      card("Recent failures", failures),
      card("Live activity", feed, h("p", { className: "muted small", dataset: { feedHint: "" } }, "State changes appear here as they happen.")),
    ),
  );

  let stopped = false;
  async function refresh() {
    try {
      const [stats, failed] = await Promise.all([
        get("/stats/overview", { minutes }),
        get("/executions/search", { state: "FAILED", limit: 6 }),
      ]);
      if (stopped) return;
      replace(problem);
      showMetrics(metrics, stats);
      replace(chart, throughputChart(stats.throughput));
      replace(states, stats.total ? stateBars(stats.states, STATES) : empty("No executions yet.", "Run a workflow or submit a job to see them here."));
      showUpcoming(upcoming, stats.upcoming);
      showFailures(failures, failed.executions);
    } catch (error) {
      if (!stopped) replace(problem, errorBox(error));
    }
  }

  const soon = throttle(refresh, 1500);
  const unsubscribe = subscribe((event) => {
    if (event.type === "execution") addToFeed(feed, event.run);
    soon();
  });
  const timer = setInterval(refresh, 10000);
  refresh();
  return () => {
    stopped = true;
    unsubscribe();
    soon.cancel();
    clearInterval(timer);
  };
}

function metric(label, value, note, { href, bad } = {}) {
  return h(href ? "a" : "div", { className: `metric${bad ? " bad" : ""}`, href },
    h("div", { className: "label" }, label),
    h("div", { className: "value" }, value),
    note ? h("div", { className: "note" }, note) : null,
  );
}

function showMetrics(el, stats) {
  const s = stats.states;
  const running = s.RUNNING + s.CLAIMED + s.RESUMING + s.CANCELLING;
  const window = stats.window_minutes >= 60 ? `${stats.window_minutes / 60} h` : `${stats.window_minutes} min`;
  const oldest = stats.queue.oldest_queued_at;
  const fleet = stats.fleet;
  replace(el,
    metric("Running", number(running), `${number(s.PAUSED)} paused`, { href: "#/executions?state=RUNNING" }),
    metric("Queued", number(stats.queue.depth),
      oldest ? h("span", {}, "oldest waits ", ago(oldest)) : stats.queue.delayed ? `${number(stats.queue.delayed)} delayed` : "none waiting",
      { href: "#/executions?state=SCHEDULED" }),
    metric(`Ended (${window})`, number(stats.finished), `${number(stats.finished - stats.failed)} ok`, {}),
    metric("Failure rate", percent(stats.failure_rate), `${number(stats.failed)} failed in ${window}`,
      { href: "#/executions?state=FAILED", bad: stats.failed > 0 }),
    metric("Workers", `${fleet.healthy}/${fleet.workers}`,
      fleet.workers ? `${number(fleet.busy)} of ${number(fleet.slots)} slots busy` : "none registered",
      { href: "#/workers", bad: fleet.workers > 0 && fleet.healthy === 0 }),
    metric("Executions", number(stats.total), "all time, in the database", { href: "#/executions" }),
  );
}

function showUpcoming(el, fires) {
  if (!fires.length) {
    replace(el, empty("No active schedules.", "Give a workflow schedule= or POST /schedules."));
    return;
  }
  replace(el, h("ul", { className: "feed" },
    fires.map((f) => h("li", {},
      h("a", { href: "#/schedules" }, f.name),
      h("span", { className: "muted small" }, f.workflow),
      h("span", { className: "when" }, ago(f.next_fire_at)),
    )),
  ));
}

function showFailures(el, runs) {
  if (!runs.length) {
    replace(el, empty("No failed runs.", "Nothing to look at here."));
    return;
  }
  replace(el, h("ul", { className: "feed" },
    runs.map((run) => h("li", {},
      h("a", { href: `#/executions/${encodeURIComponent(run.execution_id)}`, className: "mono" }, shortId(run.execution_id)),
      h("span", { className: "wrap-any" }, run.workflow_name),
      h("span", { className: "when" }, ago(run.updated_at)),
    )),
  ));
}

function addToFeed(feed, run) {
  feed.parentElement?.querySelector("[data-feed-hint]")?.remove();
  const took = run.state === "COMPLETED" || run.state === "FAILED" ? Date.parse(run.updated_at) - Date.parse(run.created_at) : null;
  feed.prepend(h("li", {},
    badge(run.state),
    h("a", { href: `#/executions/${encodeURIComponent(run.execution_id)}`, className: "wrap-any" }, run.workflow),
    took !== null ? h("span", { className: "muted small" }, duration(took)) : null,
    h("span", { className: "when" }, ago(run.updated_at)),
  ));
  while (feed.children.length > FEED_SIZE) feed.lastElementChild.remove();
}
