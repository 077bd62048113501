// The HTTP API, as the dashboard calls it. Every request carries `Authorization: Bearer
// <key>` when a key is saved in this browser (Settings), ready for servers that require one.
// Streams (server-sent events) are read with fetch rather than EventSource, because
// EventSource cannot send that header.

import { clearRefusal, reportRefusal } from "./auth_banner.js";

const KEY_STORAGE = "flux.apiKey";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}

export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
  clearRefusal(); // the next refusal, if any, shows it again
}

function headers(extra) {
  const key = apiKey();
  return { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
}

/** "/executions/search" + {state: ["A", "B"], limit: 50} -> URL with the query string. */
export function url(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === "" || value === false) continue;
    for (const one of Array.isArray(value) ? value : [value]) query.append(name, String(one));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The ApiError of a failed response; a refused key or role also shows the banner. */
async function failure(response) {
  const detail = await detailOf(response);
  if (response.status === 401 || response.status === 403) reportRefusal(response.status, detail);
  return new ApiError(response.status, detail);
}

async function detailOf(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg || "").join("; ");
    return JSON.stringify(body);
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

export async function request(method, path, { params, json, form, signal } = {}) {
  const init = { method, headers: headers({ Accept: "application/json" }), signal };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const response = await fetch(url(path, params), init);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const get = (path, params, signal) => request("GET", path, { params, signal });
export const post = (path, json, params) => request("POST", path, { json, params });
export const postForm = (path, form) => request("POST", path, { form });
export const del = (path) => request("DELETE", path);

/**
 * Follow a server-sent event stream. `onEvent(name, data)` gets each event (data parsed as
 * JSON). The stream reconnects with backoff when it drops, unless `once` (a stream that ends
 * by itself, like a job's logs). `onStatus("open" | "retrying" | "closed")` tells the state.
 * Returns {close()}.
 */
export function stream(path, { onEvent, onStatus, once = false } = {}) {
  let controller = null;
  let stopped = false;
  let delay = 1000;
  let timer = null;

  async function connect() {
    controller = new AbortController();
    try {
      const response = await fetch(path, {
        headers: headers({ Accept: "text/event-stream" }),
        signal: controller.signal,
        cache: "no-store",
      });
      if (!response.ok) throw await failure(response);
      delay = 1000;
      onStatus?.("open");
      await readEvents(response.body, onEvent);
    } catch (error) {
      if (stopped || error.name === "AbortError") return;
      if (once && error instanceof ApiError) {
        onStatus?.("closed", error);
        return;
      }
    }
    if (stopped) return;
    if (once) {
      onStatus?.("closed");
      return;
    }
    onStatus?.("retrying");
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 15000);
  }

  connect();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
  };
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (!data.length) continue;
      let parsed;
      try {
        parsed = JSON.parse(data.join("\n"));
      } catch {
        parsed = data.join("\n");
      }
      onEvent?.(name, parsed);
    }
  }
}
