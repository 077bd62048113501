// Secrets: names only. Values can be set or deleted here but are never read back or shown.

import { del, get, post } from "../api.js";
import { h, replace } from "../dom.js";
import { card, confirm, empty, errorBox, field, loading, toast } from "../ui.js";

export default function secrets(root) {
  document.title = "Secrets · Flux";
  const problem = h("div", {});
  const list = h("div", {}, loading());
  const name = h("input", { name: "name", required: true, autocomplete: "off", placeholder: "API_KEY", pattern: "[A-Za-z0-9_.\\-]+" });
  const value = h("input", { name: "value", type: "password", required: true, autocomplete: "new-password" });
  const save = h("button", { type: "submit", className: "primary" }, "Save secret");
  const form = h("form", { onsubmit: (e) => { e.preventDefault(); send(); } },
    h("div", { className: "form-row" }, field("Name", name), field("Value", value, "Stored encrypted; tasks get it only if they ask for it by name.")),
    h("div", { className: "actions" }, save),
  );
  root.append(
    h("div", { className: "page-head" }, h("div", {}, h("h1", {}, "Secrets"), h("div", { className: "sub" }, "Names only: values are write-only here."))),
    problem,
    h("div", { className: "grid grid-2" }, card("Add or replace a secret", form), card("Stored secrets", list)),
  );

  async function send() {
    save.disabled = true;
    try {
      await post("/admin/secrets", { name: name.value.trim(), value: value.value });
      toast(`Saved ${name.value.trim()}`);
      form.reset();
      load();
    } catch (error) {
      toast(error.message, "error");
    } finally {
      save.disabled = false;
    }
  }

  async function remove(secret) {
    if (!(await confirm(`Delete ${secret}?`, "Tasks that ask for it will fail until it is set again.", "Delete", true))) return;
    try {
      await del(`/admin/secrets/${encodeURIComponent(secret)}`);
      toast(`Deleted ${secret}`);
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function load() {
    try {
      const names = await get("/admin/secrets");
      replace(problem);
      replace(list, names.length
        ? h("ul", { className: "feed" }, names.map((secret) => h("li", { dataset: { secret } },
          h("span", { className: "mono wrap-any" }, secret),
          h("span", { className: "muted" }, "••••••"),
          h("span", { className: "when" }, h("button", { type: "button", className: "small danger", onclick: () => remove(secret) }, "Delete")),
        )))
        : empty("No secrets stored.", "Add one with the form."));
    } catch (error) {
      replace(problem, errorBox(error));
    }
  }

  load();
}
