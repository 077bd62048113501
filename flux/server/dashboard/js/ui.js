// Small pieces every page uses: state badges, cards, messages, dialogs, tabs, ticking times.

import { h, replace } from "./dom.js";
import { dateTime, duration, elapsed, json, parseTime, relative } from "./format.js";

export const STATES = [
  "CREATED", "SCHEDULED", "CLAIMED", "RUNNING", "PAUSED", "RESUMING",
  "CANCELLING", "COMPLETED", "FAILED", "CANCELLED",
];
export const ENDED = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
export const ACTIVE = new Set(["CLAIMED", "RUNNING", "RESUMING", "CANCELLING"]);

export function badge(state, label) {
  return h("span", { className: `badge st-${state || "UNKNOWN"}` }, label || state || "?");
}

export function dot(state) {
  return h("span", { className: `dot st-${state || "UNKNOWN"}`, title: state || "" });
}

export function kindBadge(kind) {
  const names = { workflow: "Python", job: "Job", dag: "DAG" };
  return h("span", { className: `kind kind-${kind}` }, names[kind] || kind);
}

export function card(title, ...content) {
  return h("section", { className: "card" }, title ? h("h2", {}, title) : null, content);
}

export function empty(message, hint) {
  return h("div", { className: "empty" }, h("p", {}, message), hint ? h("p", { className: "muted" }, hint) : null);
}

export function errorBox(error) {
  const text = error?.message || String(error);
  return h("div", { className: "error-box", role: "alert" }, text);
}

export function loading(text = "Loading…") {
  return h("div", { className: "loading muted" }, text);
}

export function jsonBlock(value) {
  if (value === undefined || value === null) return h("pre", { className: "json muted" }, "null");
  return h("pre", { className: "json" }, typeof value === "string" ? value : json(value));
}

export function link(href, ...children) {
  return h("a", { href }, children);
}

/** A time shown as "5 s ago" that keeps itself current (see `tick`). */
export function ago(value) {
  const el = h("time", { className: "ago", title: dateTime(value), dataset: { ago: value || "" } });
  el.textContent = relative(value);
  return el;
}

/** How long something has run: fixed once `end` is known, ticking while it is not. */
export function lasting(start, end) {
  const el = h("span", { className: "lasting" });
  if (end || !start) {
    el.textContent = duration(elapsed(start, end));
  } else {
    el.dataset.since = start;
    el.textContent = duration(elapsed(start));
  }
  return el;
}

function tick() {
  for (const el of document.querySelectorAll("[data-ago]")) {
    if (el.dataset.ago) el.textContent = relative(el.dataset.ago);
  }
  for (const el of document.querySelectorAll("[data-since]")) {
    el.textContent = duration(elapsed(el.dataset.since));
  }
}
setInterval(tick, 1000);

let toasts = null;
export function toast(message, kind = "info") {
  if (!toasts) {
    toasts = h("div", { className: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(toasts);
  }
  const el = h("div", { className: `toast toast-${kind}` }, message);
  toasts.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}

/** A modal <dialog>; `build(close)` returns its content. Resolves with what close() got. */
export function modal(title, build) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { className: "modal" });
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(undefined);
    });
    replace(dialog, h("h2", {}, title), build(close));
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function confirm(title, message, action = "Confirm", danger = false) {
  return modal(title, (close) =>
    h("div", {},
      h("p", {}, message),
      h("div", { className: "actions" },
        h("button", { type: "button", onclick: () => close(false) }, "Keep"),
        h("button", { type: "button", className: danger ? "danger" : "primary", onclick: () => close(true) }, action),
      ),
    ),
  );
}

/** Ask for a JSON value; resolves with {value} or undefined when dismissed. */
export function askJson(title, { label, initial = "", hint, action = "Send" } = {}) {
  return modal(title, (close) => {
    const input = h("textarea", { className: "code", rows: 8, spellcheck: false, value: initial, "aria-label": label || "JSON" });
    const problem = h("p", { className: "field-error", role: "alert" });
    const send = () => {
      const text = input.value.trim();
      try {
        close({ value: text === "" ? null : JSON.parse(text) });
      } catch (error) {
        problem.textContent = `Not valid JSON: ${error.message}`;
      }
    };
    return h("form", { onsubmit: (e) => { e.preventDefault(); send(); } },
      hint ? h("div", { className: "hint" }, hint) : null,
      h("label", {}, label || "JSON", input),
      problem,
      h("div", { className: "actions" },
        h("button", { type: "button", onclick: () => close(undefined) }, "Cancel"),
        h("button", { type: "submit", className: "primary" }, action),
      ),
    );
  });
}

/** Tabs: [{id, label, render(panel)}]; returns the element; remembers nothing itself. */
export function tabs(list, active, onChange) {
  const bar = h("div", { className: "tabs", role: "tablist" });
  const panel = h("div", { className: "tab-panel", role: "tabpanel" });
  const show = (id) => {
    for (const button of bar.children) {
      const on = button.dataset.tab === id;
      button.classList.toggle("active", on);
      button.setAttribute("aria-selected", String(on));
    }
    const tab = list.find((t) => t.id === id) || list[0];
    replace(panel, tab.render());
    onChange?.(tab.id);
  };
  for (const tab of list) {
    bar.append(h("button", { type: "button", role: "tab", dataset: { tab: tab.id }, onclick: () => show(tab.id) }, tab.label));
  }
  show(active);
  return { element: h("div", {}, bar, panel), show };
}

export function field(label, input, hint) {
  return h("label", { className: "field" }, h("span", {}, label), input, hint ? h("small", { className: "muted" }, hint) : null);
}

export function since(value) {
  const ms = parseTime(value);
  return ms === null ? null : Date.now() - ms;
}
