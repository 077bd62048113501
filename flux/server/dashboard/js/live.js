// One shared connection to GET /executions/live for every page: pages subscribe to run
// changes, the header shows whether the connection is up. A page that watches one run opens
// its own filtered stream (it also gets that run's `output` events).

import { stream } from "./api.js";

const listeners = new Set();
const statusListeners = new Set();
let connection = null;
let status = "connecting";

function setStatus(next) {
  status = next;
  for (const listen of statusListeners) listen(status);
}

export function start() {
  if (connection) return;
  connection = stream("/executions/live", {
    onStatus: (state) => setStatus(state === "open" ? "live" : "reconnecting"),
    onEvent: (name, data) => {
      // After a gap (reconnect, or a burst too big to send), pages read again.
      const event = name === "ready" || name === "resync" ? { type: "resync" } : name === "execution" ? { type: "execution", run: data } : null;
      if (!event) return;
      for (const listen of listeners) {
        try {
          listen(event);
        } catch (error) {
          console.warn("live listener failed", error);
        }
      }
    },
  });
}

/** `listen({type: "execution", run} | {type: "resync"})`; returns the unsubscribe. */
export function subscribe(listen) {
  listeners.add(listen);
  return () => listeners.delete(listen);
}

export function onStatus(listen) {
  statusListeners.add(listen);
  listen(status);
  return () => statusListeners.delete(listen);
}

/** Call `fn` at most once per `ms`, at the end of a burst of calls. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** Call `fn` at once, then at most every `ms` while calls keep coming. */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  const wrapped = () => {
    const wait = last + ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, wait);
    }
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
