// A banner above every page when the API refuses this browser's key (401: none, wrong or
// revoked) or its role (403). It leads to Settings, where a key is pasted; saving a key
// there hides it. api.js reports each refusal here.

import { h, replace } from "./dom.js";

const SETTINGS = "#/settings";

export function reportRefusal(status, detail) {
  const banner = document.getElementById("auth-banner");
  if (!banner) return;
  const message = status === 401
    ? "This server needs an API key. Paste one in Settings (an admin creates keys with “flux auth create-key”)."
    : "Your API key’s role does not allow this. Paste a key with a higher role in Settings.";
  replace(banner,
    h("strong", {}, status === 401 ? "API key needed. " : "Not allowed. "),
    h("span", {}, message, " "),
    location.hash.startsWith(SETTINGS) ? null : h("a", { href: SETTINGS }, "Open Settings"),
    detail ? h("div", { className: "muted small" }, detail) : null,
  );
  banner.hidden = false;
}

export function clearRefusal() {
  const banner = document.getElementById("auth-banner");
  if (!banner) return;
  banner.hidden = true;
  replace(banner);
}
