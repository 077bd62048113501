// What every test file shares: the live server under test (FLUX_URL), a client for it,
// unique names (test files run at the same time against one server) and polling.
import { randomBytes } from "node:crypto";
import { FluxClient } from "@flux/client";

export const FLUX_URL = process.env.FLUX_URL ?? "";
if (FLUX_URL === "") {
  throw new Error(
    "set FLUX_URL to a running Flux server (e.g. FLUX_URL=http://127.0.0.1:8000 npm test)",
  );
}

/** A client of the server under test; FLUX_API_KEY is its key if it asks for one. */
export function client(): FluxClient {
  const apiKey = process.env.FLUX_API_KEY;
  return new FluxClient({ baseUrl: FLUX_URL, timeoutMs: 30_000, ...(apiKey ? { apiKey } : {}) });
}

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** Calls `read` until `done` accepts its value (or fails after `timeoutMs`). */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: still ${JSON.stringify(value).slice(0, 500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
