// Audit: who did what (GET /audit, admin only), newest first, filtered by actor, action and
// target, with "Older" paging by cursor. Records are written within about 0.2 s of their
// action; the list is not live on purpose (it is a record, not a feed).

import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { dateTime } from "../format.js";
import { card, empty, errorBox, field, loading } from "../ui.js";

const FIELDS = ["actor", "action", "target"];

function statusCell(status) {
  if (status === null || status === undefined) return h("td", {}, "—");
  const refused = status >= 400;
  return h("td", { className: refused ? "status refused" : "status" }, String(status));
}

function detailText(detail) {
  if (!detail) return "";
  return Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(",") : value}`)
    .join(" ");
}

function entryRow(entry) {
  return h("tr", { dataset: { action: entry.action } },
    h("td", { title: entry.at }, dateTime(entry.at)),
    h("td", { className: "wrap-any" }, entry.actor),
    h("td", {}, entry.role || "—"),
    h("td", { className: "mono" }, entry.action),
    h("td", { className: "mono wrap-any" }, entry.target || "—"),
    statusCell(entry.status),
    h("td", { className: "mono muted" }, entry.client || "—"),
    h("td", { className: "mono muted small wrap-any" }, detailText(entry.detail)),
  );
}

function denied(error) {
  if (error.status === 401 || error.status === 403) {
    return empty("The audit log needs an admin key.", "Save an admin API key in Settings (flux auth keys create --role admin).");
  }
  return errorBox(error);
}

export default function audit(root, { query, navigate }) {
  document.title = "Audit · Flux";
  const filters = Object.fromEntries(FIELDS.map((name) => [name, query.get(name) || ""]));
  const inputs = Object.fromEntries(FIELDS.map((name) => [name, h("input", {
    name, value: filters[name], autocomplete: "off",
    placeholder: { actor: "key id or name", action: "e.g. secret or secret.read", target: "workflow, run, secret…" }[name],
  })]));
  const form = h("form", {
    className: "filters",
    onsubmit: (e) => {
      e.preventDefault();
      navigate("/audit", Object.fromEntries(FIELDS.map((name) => [name, inputs[name].value.trim()])));
    },
  },
  field("Actor", inputs.actor), field("Action", inputs.action), field("Target", inputs.target),
  h("button", { type: "submit" }, "Filter"));
  const problem = h("div", {});
  const rows = h("tbody", {});
  const more = h("button", { type: "button", onclick: () => load() }, "Older");
  const pager = h("div", { className: "toolbar" });
  const body = h("div", {}, loading());
  root.append(
    h("div", { className: "page-head" },
      h("div", {}, h("h1", {}, "Audit"), h("div", { className: "sub" }, "Who did what: starts, cancels, secrets, keys, refused attempts."))),
    form,
    problem,
    body,
  );

  let cursor = null;
  let stopped = false;
  async function load() {
    more.disabled = true;
    try {
      const params = { ...filters, limit: 100, cursor };
      const page = await get("/audit", params);
      if (stopped) return;
      replace(problem);
      if (cursor === null) {
        replace(body, page.entries.length
          ? card(null, h("div", { className: "table-wrap" }, h("table", { className: "table audit" },
            h("thead", {}, h("tr", {}, ["time", "actor", "role", "action", "target", "status", "client", "detail"].map((t) => h("th", {}, t)))),
            rows)), pager)
          : card(null, empty("No audit records match.", "Starts, cancels, secret and key changes are recorded here.")));
      }
      rows.append(...page.entries.map(entryRow));
      cursor = page.next_cursor;
      replace(pager, cursor ? more : null); // a button's display rule would beat `hidden`
    } catch (error) {
      if (!stopped) replace(cursor === null ? body : problem, denied(error));
    } finally {
      more.disabled = false;
    }
  }
  load();
  return () => { stopped = true; };
}
