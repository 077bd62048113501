// The workflow catalog, read at most every few seconds: names for filters, and which
// workflows are JSON DAGs (stored under a `.dag.json` file name).

import { get } from "./api.js";

let cached = null;
let readAt = 0;

export async function workflows(force = false) {
  if (force || !cached || Date.now() - readAt > 10000) {
    cached = await get("/workflows");
    readAt = Date.now();
  }
  return cached;
}

export function isDag(info) {
  return (info?.filename || "").endsWith(".dag.json");
}

export const JOB_WORKFLOW = "flux.job";

export async function kindOf(name) {
  if (name === JOB_WORKFLOW) return "job";
  const info = (await workflows()).find((w) => w.name === name);
  return isDag(info) ? "dag" : "workflow";
}

export function forget() {
  cached = null;
}
