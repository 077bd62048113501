// Settings of this browser: the API key sent with every request (for servers that require
// one), and what the server says about itself.

import { apiKey, get, setApiKey } from "../api.js";
import { h, replace } from "../dom.js";
import { card, errorBox, field, toast } from "../ui.js";

export default function settings(root) {
  document.title = "Settings · Flux";
  const key = h("input", { type: "password", name: "apiKey", value: apiKey(), autocomplete: "off", placeholder: "none" });
  const status = h("div", {});
  root.append(
    h("div", { className: "page-head" }, h("div", {}, h("h1", {}, "Settings"))),
    h("div", { className: "grid grid-2" },
      card("API key",
        h("p", { className: "muted small" }, "Kept in this browser only (localStorage) and sent as “Authorization: Bearer …” with every request."),
        h("form", { onsubmit: (e) => { e.preventDefault(); setApiKey(key.value.trim()); toast(key.value.trim() ? "API key saved" : "API key removed"); } },
          field("Key", key),
          h("div", { className: "actions" },
            h("button", { type: "button", onclick: () => { key.value = ""; setApiKey(""); toast("API key removed"); } }, "Remove"),
            h("button", { type: "submit", className: "primary" }, "Save"),
          ),
        ),
      ),
      card("Server", status, h("p", { className: "small" }, h("a", { href: "/docs" }, "HTTP API reference (Swagger)"), " · ", h("a", { href: "/metrics" }, "Prometheus metrics"))),
    ),
  );
  get("/ready")
    .then((ready) => replace(status, h("dl", { className: "props" },
      h("dt", {}, "Database"), h("dd", {}, ready.status),
      h("dt", {}, "Workers connected here"), h("dd", {}, String(ready.workers)),
    )))
    .catch((error) => replace(status, errorBox(error)));
}
