// Schedules: each one's timing, next and last fire, runs started and skipped, last error;
// pause, resume or delete it.

import { del, get, post } from "../api.js";
import { h, replace } from "../dom.js";
import { dateTime, number, shortId } from "../format.js";
import { subscribe, throttle } from "../live.js";
import { ago, badge, card, confirm, empty, errorBox, loading, toast } from "../ui.js";

export default function schedules(root) {
  document.title = "Schedules · Flux";
  const problem = h("div", {});
  const list = h("div", {}, loading());
  root.append(
    h("div", { className: "page-head" },
      h("div", {}, h("h1", {}, "Schedules"), h("div", { className: "sub" }, "Cron, interval and one-off schedules, soonest fire first.")),
    ),
    problem,
    card(null, list),
  );

  let stopped = false;
  async function load() {
    try {
      const found = await get("/schedules");
      if (stopped) return;
      replace(problem);
      found.sort((a, b) => (a.state === b.state ? 0 : a.state === "active" ? -1 : 1) || (Date.parse(a.next_fire_at || "9999") - Date.parse(b.next_fire_at || "9999")));
      if (!found.length) {
        replace(list, empty("No schedules.", "Give a workflow schedule=, a DAG a cron, or POST /schedules."));
        return;
      }
      replace(list, h("div", { className: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {},
          h("th", {}, "Schedule"), h("th", {}, "When"), h("th", {}, "Next fire"), h("th", { className: "opt" }, "Last fire"),
          h("th", { className: "num opt" }, "Runs"), h("th", {}, "State"), h("th", {}, ""),
        )),
        h("tbody", {}, found.map((s) => h("tr", { dataset: { schedule: s.name } },
          h("td", { className: "wrap-any" }, h("strong", {}, s.name), h("div", { className: "small" }, "runs ", h("a", { href: `#/workflows/${encodeURIComponent(s.workflow)}` }, s.workflow)),
            s.last_error ? h("div", { className: "small error-text", title: s.last_error }, `last error: ${s.last_error}`) : null),
          h("td", { className: "small" }, s.description, h("div", { className: "muted" }, `overlap ${s.overlap} · catch-up ${s.catchup} · from ${s.source}`)),
          h("td", { className: "nowrap" }, s.next_fire_at && s.state === "active" ? [ago(s.next_fire_at), h("div", { className: "muted small" }, dateTime(s.next_fire_at))] : h("span", { className: "muted" }, s.state === "paused" ? "paused" : "never again")),
          h("td", { className: "opt nowrap" }, s.last_fire_at ? ago(s.last_fire_at) : "—",
            s.last_execution_id ? h("div", { className: "small" }, h("a", { className: "mono", href: `#/executions/${encodeURIComponent(s.last_execution_id)}` }, shortId(s.last_execution_id))) : null),
          h("td", { className: "num opt" }, number(s.runs_started), s.runs_skipped ? h("div", { className: "muted small" }, `${number(s.runs_skipped)} skipped`) : null),
          h("td", {}, badge(s.state === "active" ? "COMPLETED" : "PAUSED", s.state)),
          h("td", { className: "nowrap" },
            s.state === "active"
              ? h("button", { type: "button", className: "small", onclick: () => act(s, "pause") }, "Pause")
              : h("button", { type: "button", className: "small", onclick: () => act(s, "resume") }, "Resume"),
            " ",
            h("button", { type: "button", className: "small danger", onclick: () => remove(s) }, "Delete"),
          ),
        ))),
      )));
    } catch (error) {
      if (!stopped) replace(problem, errorBox(error));
    }
  }

  async function act(schedule, action) {
    try {
      await post(`/schedules/${encodeURIComponent(schedule.id)}/${action}`);
      toast(`${action === "pause" ? "Paused" : "Resumed"} ${schedule.name}`);
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function remove(schedule) {
    if (!(await confirm(`Delete ${schedule.name}?`, "It fires no more; the runs it started stay.", "Delete", true))) return;
    try {
      await del(`/schedules/${encodeURIComponent(schedule.id)}`);
      toast(`Deleted ${schedule.name}`);
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  // A fire starts a run: that is when next/last fire times move.
  const soon = throttle(load, 2000);
  const unsubscribe = subscribe((event) => {
    if (event.type === "resync" || event.run.state === "SCHEDULED") soon();
  });
  const timer = setInterval(load, 30000);
  load();
  return () => {
    stopped = true;
    unsubscribe();
    soon.cancel();
    clearInterval(timer);
  };
}
