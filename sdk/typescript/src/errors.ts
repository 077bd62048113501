// What a failed call throws: one class per kind of answer, so that callers can tell "no such
// job" from "the server is down" with `instanceof`, and always see the server's own message.

/** Every error of this client. `status` is the HTTP status, undefined when no answer came
 * back; `detail` is the server's message (its `detail` field) or ours. */
export class FluxError extends Error {
  readonly status: number | undefined;
  readonly detail: string;

  constructor(detail: string, status?: number) {
    super(detail);
    this.name = new.target.name;
    this.detail = detail;
    this.status = status;
  }
}

/** 400 or 422: the request was refused as invalid (a bad runtime, a DAG with a cycle, a
 * workflow file that does not parse, a malformed cron). */
export class InvalidRequestError extends FluxError {}

/** 401 or 403: no API key, a wrong one, or one without the needed role. */
export class UnauthorizedError extends FluxError {}

/** 404: unknown job, run, workflow, schedule or secret. */
export class NotFoundError extends FluxError {}

/** 409: the thing is not in a state that allows it (cancelling a finished job, resuming a
 * run that is not paused, a schedule name that exists). */
export class ConflictError extends FluxError {}

/** No answer (connection refused, timed out, cut) or a 5xx: retrying later may work. */
export class UnavailableError extends FluxError {}

const BY_STATUS: Record<number, typeof FluxError> = {
  400: InvalidRequestError,
  401: UnauthorizedError,
  403: UnauthorizedError,
  404: NotFoundError,
  409: ConflictError,
  422: InvalidRequestError,
};

/** The error for an HTTP answer that is not 2xx, from its status and body. */
export function errorFromResponse(
  status: number,
  statusText: string,
  body: string,
  where: string,
): FluxError {
  const detail = detailOf(body) ?? (body.trim() || statusText || `HTTP ${status}`);
  const known = BY_STATUS[status];
  if (known !== undefined) {
    return new known(detail, status);
  }
  const kind = status >= 500 ? UnavailableError : FluxError;
  return new kind(`HTTP ${status} from ${where}: ${detail}`, status);
}

/** The server's `detail`: a string, or FastAPI's list of validation errors joined into one
 * line (`query.limit: Input should be less than or equal to 1000`). */
function detailOf(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || !("detail" in parsed)) {
    return undefined;
  }
  const detail = (parsed as { detail: unknown }).detail;
  if (typeof detail === "string") {
    return detail;
  }
  if (Array.isArray(detail)) {
    return detail.map(validationMessage).join("; ");
  }
  return undefined;
}

function validationMessage(item: unknown): string {
  if (typeof item !== "object" || item === null) {
    return String(item);
  }
  const { loc, msg } = item as { loc?: unknown; msg?: unknown };
  const where = Array.isArray(loc)
    ? loc
        .filter((part) => part !== "body")
        .map(String)
        .join(".")
    : "";
  const message = typeof msg === "string" ? msg : JSON.stringify(item);
  return where ? `${where}: ${message}` : message;
}

/** The error for a request that got no answer, naming the server and why. */
export function unavailable(
  baseUrl: string,
  cause: unknown,
  timeoutMs: number | undefined,
): UnavailableError {
  return new UnavailableError(
    `cannot reach the Flux server at ${baseUrl}: ${reasonOf(cause, timeoutMs)}`,
  );
}

function reasonOf(cause: unknown, timeoutMs: number | undefined): string {
  if (cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError")) {
    return timeoutMs === undefined
      ? "the request was aborted"
      : `no answer within ${timeoutMs / 1000}s`;
  }
  // Node's fetch throws TypeError("fetch failed") with the socket error as its cause.
  const inner = cause instanceof Error && cause.cause !== undefined ? cause.cause : cause;
  const code =
    typeof inner === "object" && inner !== null ? (inner as { code?: unknown }).code : undefined;
  if (code === "ECONNREFUSED") {
    return "connection refused";
  }
  if (code === "ENOTFOUND") {
    return "unknown host";
  }
  if (inner instanceof Error) {
    return code === undefined ? inner.message : `${inner.message} (${String(code)})`;
  }
  return String(inner);
}
