// `FluxClient`: the Flux HTTP API as typed methods, on the platform's own `fetch`. The names
// and behaviour follow the Python client (flux/client.py): one method per endpoint, the
// server's models as return values, a `FluxError` subclass carrying the server's `detail`
// for every refusal.
import { FluxError, InvalidRequestError, errorFromResponse, unavailable } from "./errors.js";
import { EventStream, type StreamEvent } from "./sse.js";
import type {
  ApiKeyCreated,
  ApiKeyView,
  AuditPage,
  AuditQuery,
  DagRunEnvelope,
  DagRunView,
  DagSpec,
  DagSubmitted,
  ExecutionList,
  ExecutionView,
  JobEnvelope,
  JobList,
  JobLogEvent,
  JobSubmitted,
  JobView,
  ListExecutionsOptions,
  ListJobsOptions,
  RerunOptions,
  RunOptions,
  ScheduleCreate,
  SchedulePreview,
  SchedulePreviewSpec,
  ScheduleView,
  SecretValue,
  SubmitJobOptions,
  WaitMode,
  WhoAmI,
  WorkerView,
  WorkflowDetail,
  WorkflowEvent,
  WorkflowInfo,
  WorkflowUpload,
} from "./types.js";

export interface FluxClientOptions {
  /** The server, e.g. `http://localhost:8000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` on every request and stream. */
  apiKey?: string;
  /** Another `fetch` (a proxy agent, a test double); the global one by default. */
  fetch?: typeof globalThis.fetch;
  /** Bounds every call except those that wait for a run (`mode: "sync"`, streams), which the
   * server bounds itself (`server.sync_timeout`). Default 30 000. */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

interface Call {
  query?: Query;
  /** A JSON body (`undefined` sends none). */
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  /** The call waits for a run: no client-side timeout. */
  waits?: boolean;
}

const WAIT_MODES: readonly string[] = ["sync", "async"];

export class FluxClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: FluxClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.#apiKey = options.apiKey;
    // Bound to globalThis: some platforms refuse a `fetch` called as another object's method.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  // -- script jobs -------------------------------------------------------------------------

  /** Queue a Python, Node.js or Bash script (`POST /jobs/submit`, multipart as with curl).
   * Give the script as `script` (source text) or `scriptPath` (a file, Node.js only). */
  async submitJob(options: SubmitJobOptions): Promise<JobSubmitted> {
    const {
      script,
      scriptPath,
      filename,
      payload,
      dependencies,
      secrets,
      runAt,
      idempotencyKey,
      ...rest
    } = options;
    if ((script === undefined) === (scriptPath === undefined)) {
      throw new InvalidRequestError(
        "give the script as `script` (its source) or `scriptPath` (a file), one of them",
      );
    }
    const form = new FormData();
    if (scriptPath !== undefined) {
      form.append("script", await readLocalFile(scriptPath), filename ?? baseName(scriptPath));
    } else {
      // As a file part, not a text field: form encoding turns a text field's line ends
      // into CRLF, which Bash and Python read as part of the code. Without a name (an empty
      // one) the server names the script after its runtime (script.sh, ...).
      form.append("script", new Blob([script as string]), filename ?? "");
    }
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined && value !== null) {
        form.append(key, String(value));
      }
    }
    if (payload !== undefined) {
      form.append("payload", toJson(payload, "payload"));
    }
    if (dependencies !== undefined) {
      form.append("dependencies", toJson(dependencies, "dependencies"));
    }
    if (secrets !== undefined) {
      form.append("secrets", toJson(secrets, "secrets"));
    }
    if (runAt !== undefined) {
      form.append("runAt", runAt instanceof Date ? runAt.toISOString() : runAt);
    }
    return this.#json("POST", "/jobs/submit", { form, headers: idempotency(idempotencyKey) });
  }

  /** A job with its state, output, logs (of the last attempt) and every attempt. */
  async getJob(jobId: string): Promise<JobView> {
    const envelope = await this.#json<JobEnvelope>("GET", `/jobs/${segment(jobId)}`);
    return envelope.job;
  }

  /** Jobs newest first; `count` is the number of all that match the filters. */
  listJobs(options: ListJobsOptions = {}): Promise<JobList> {
    const { state, name, type, limit, offset } = options;
    return this.#json("GET", "/jobs", { query: { state, name, type, limit, offset } });
  }

  /** Cancel a job that has not finished (its running attempt is killed); `ConflictError` if
   * it had. */
  async cancelJob(jobId: string): Promise<JobView> {
    const envelope = await this.#json<JobEnvelope>("POST", `/jobs/${segment(jobId)}/cancel`);
    return envelope.job;
  }

  /** The last attempt's logs as text. */
  async getJobLogs(jobId: string): Promise<string> {
    return (await this.#send("GET", `/jobs/${segment(jobId)}/logs`)).text();
  }

  /** The job's output as it is printed: `log` events, `attempt` when one ends, `end` last
   * (then the stream closes). For a finished job, everything it printed, then `end`. */
  followJobLogs(jobId: string): Promise<EventStream<JobLogEvent>> {
    return this.#stream("GET", `/jobs/${segment(jobId)}/logs`, { query: { follow: true } }, [
      "keepalive",
    ]);
  }

  // -- JSON DAGs ---------------------------------------------------------------------------

  /** Store a DAG of script nodes and run it now (or, with `cron`, give it a schedule). */
  submitDag(spec: DagSpec): Promise<DagSubmitted> {
    return this.#json("POST", "/workflows/submit", { json: spec });
  }

  /** A DAG run with each node's state, output, logs and attempts. */
  async getDagRun(runId: string): Promise<DagRunView> {
    const envelope = await this.#json<DagRunEnvelope>("GET", `/workflows/runs/${segment(runId)}`);
    return envelope.run;
  }

  // -- Python workflows --------------------------------------------------------------------

  /** Register the workflows of a Python file (parsed by the server, never run there): its
   * `source` text, or a file at `path` (Node.js only). */
  async uploadWorkflow(upload: WorkflowUpload): Promise<WorkflowInfo[]> {
    let content: Blob;
    let filename: string;
    if ("path" in upload) {
      content = await readLocalFile(upload.path, "text/x-python");
      filename = upload.filename ?? baseName(upload.path);
    } else {
      content = new Blob([upload.source], { type: "text/x-python" });
      filename = upload.filename ?? "workflow.py";
    }
    const form = new FormData();
    form.append("file", content, filename);
    return this.#json("POST", "/workflows", { form });
  }

  listWorkflows(): Promise<WorkflowInfo[]> {
    return this.#json("GET", "/workflows");
  }

  /** A workflow with its versions (newest first) and the source of the latest. */
  getWorkflow(name: string): Promise<WorkflowDetail> {
    return this.#json("GET", `/workflows/${segment(name)}`);
  }

  /** Start a run of `name` with `input` (any JSON value). `mode: "async"` (the default)
   * answers once it is queued, `"sync"` when it ends or pauses. */
  run(name: string, input: unknown = null, options: RunOptions = {}): Promise<ExecutionView> {
    const mode = waitMode(options.mode);
    return this.#json("POST", `/workflows/${segment(name)}/run/${mode}`, {
      json: input,
      query: { priority: options.priority, detailed: options.detailed },
      headers: idempotency(options.idempotencyKey),
      waits: mode === "sync",
    });
  }

  /** Start a run and follow it: one event per state it reaches, until it ends or pauses. */
  stream(
    name: string,
    input: unknown = null,
    options: Pick<RunOptions, "idempotencyKey" | "priority"> = {},
  ): Promise<EventStream<WorkflowEvent>> {
    return this.#stream("POST", `/workflows/${segment(name)}/run/stream`, {
      json: input,
      query: { priority: options.priority },
      headers: idempotency(options.idempotencyKey),
    });
  }

  /** Resume a run paused at `pause(...)`, which returns `input`; `ConflictError` if the run
   * is not paused. */
  resume(
    name: string,
    executionId: string,
    input: unknown = null,
    options: Pick<RunOptions, "mode" | "detailed"> = {},
  ): Promise<ExecutionView> {
    const mode = waitMode(options.mode);
    const path = `/workflows/${segment(name)}/resume/${segment(executionId)}/${mode}`;
    return this.#json("POST", path, {
      json: input,
      query: { detailed: options.detailed },
      waits: mode === "sync",
    });
  }

  /** `resume`, following the run's events until it ends or pauses again. */
  resumeStream(
    name: string,
    executionId: string,
    input: unknown = null,
  ): Promise<EventStream<WorkflowEvent>> {
    const path = `/workflows/${segment(name)}/resume/${segment(executionId)}/stream`;
    return this.#stream("POST", path, { json: input });
  }

  /** A run's state; `detailed` adds its event log. */
  status(
    name: string,
    executionId: string,
    options: { detailed?: boolean } = {},
  ): Promise<ExecutionView> {
    const path = `/workflows/${segment(name)}/status/${segment(executionId)}`;
    return this.#json("GET", path, { query: { detailed: options.detailed } });
  }

  /** Ask a run to stop (`ConflictError` if it already ended); `mode: "sync"` waits until it
   * has, its rollbacks included. */
  cancel(
    name: string,
    executionId: string,
    options: { mode?: WaitMode } = {},
  ): Promise<ExecutionView> {
    const mode = waitMode(options.mode);
    const path = `/workflows/${segment(name)}/cancel/${segment(executionId)}`;
    return this.#json("GET", path, { query: { mode }, waits: mode === "sync" });
  }

  /** A run of any workflow by its id; `detailed` adds its event log. */
  getExecution(executionId: string, options: { detailed?: boolean } = {}): Promise<ExecutionView> {
    return this.#json("GET", `/executions/${segment(executionId)}`, {
      query: { detailed: options.detailed },
    });
  }

  /** Runs, newest first, optionally of one workflow and/or in one state. */
  listExecutions(options: ListExecutionsOptions = {}): Promise<ExecutionList> {
    const { workflow, state, limit, offset } = options;
    return this.#json("GET", "/executions", { query: { workflow, state, limit, offset } });
  }

  /** A new run of a FAILED or CANCELLED execution that reuses the steps it finished and
   * runs the rest (its `rerun_of` names the original). `input` replaces the run's input,
   * `step_output` stands in for the failed step (or `step_id`), `version` is "latest",
   * "original" or a version hash. */
  rerun(executionId: string, options: RerunOptions = {}): Promise<ExecutionView> {
    const { mode: given, detailed, idempotencyKey, ...body } = options;
    const mode = waitMode(given);
    return this.#json("POST", `/executions/${segment(executionId)}/rerun`, {
      json: body,
      query: { mode, detailed },
      headers: idempotency(idempotencyKey),
      waits: mode === "sync",
    });
  }

  // -- schedules ---------------------------------------------------------------------------

  listSchedules(): Promise<ScheduleView[]> {
    return this.#json("GET", "/schedules");
  }

  /** A schedule by id or name, with its `runs` most recent fires (default 20). */
  getSchedule(key: string, options: { runs?: number } = {}): Promise<ScheduleView> {
    return this.#json("GET", `/schedules/${segment(key)}`, { query: { runs: options.runs } });
  }

  /** Store a schedule: exactly one of `cron` (+ `timezone`), `interval_seconds`, `once_at`. */
  createSchedule(schedule: ScheduleCreate): Promise<ScheduleView> {
    return this.#json("POST", "/schedules", { json: withTime(schedule) });
  }

  pauseSchedule(key: string): Promise<ScheduleView> {
    return this.#json("POST", `/schedules/${segment(key)}/pause`);
  }

  /** Goes on from now: fire times that passed while it was paused are not caught up. */
  resumeSchedule(key: string): Promise<ScheduleView> {
    return this.#json("POST", `/schedules/${segment(key)}/resume`);
  }

  /** The runs it started stay. */
  async deleteSchedule(key: string): Promise<void> {
    await this.#send("DELETE", `/schedules/${segment(key)}`);
  }

  /** The next `count` fire times (default 10) of the stored schedule `key`, or of a schedule
   * given by its timing (`{ cron, timezone }`, ...), which is not stored. */
  previewSchedule(
    key: string | SchedulePreviewSpec,
    options: { count?: number } = {},
  ): Promise<SchedulePreview> {
    if (typeof key === "string") {
      return this.#json("GET", `/schedules/${segment(key)}/preview`, {
        query: { count: options.count },
      });
    }
    return this.#json("POST", "/schedules/preview", {
      json: { ...withTime(key), count: options.count },
    });
  }

  // -- secrets -----------------------------------------------------------------------------

  /** Names only; values are shown only by `getSecret`. */
  listSecrets(): Promise<string[]> {
    return this.#json("GET", "/admin/secrets");
  }

  getSecret(name: string): Promise<SecretValue> {
    return this.#json("GET", `/admin/secrets/${segment(name)}`);
  }

  /** Store (or replace) a secret; `value` is any JSON value, encrypted at rest. */
  async setSecret(name: string, value: unknown): Promise<void> {
    await this.#send("POST", "/admin/secrets", { json: { name, value } });
  }

  async deleteSecret(name: string): Promise<void> {
    await this.#send("DELETE", `/admin/secrets/${segment(name)}`);
  }

  // -- server ------------------------------------------------------------------------------

  /** Registered workers, whether they are connected, and their runtimes and resources. */
  listWorkers(): Promise<WorkerView[]> {
    return this.#json("GET", "/workers");
  }

  /** End a worker's session (admin): it exits, and rejoins only with the bootstrap token. */
  async revokeWorker(name: string): Promise<void> {
    await this.#send("POST", `/workers/${segment(name)}/revoke`);
  }

  health(): Promise<Record<string, unknown>> {
    return this.#json("GET", "/health");
  }

  // -- API keys and the audit (admin, except whoami) ---------------------------------------

  /** Who the server takes this client for: its key and role, or why it needs none. */
  whoami(): Promise<WhoAmI> {
    return this.#json("GET", "/auth/whoami");
  }

  /** A new key with a role (admin, operator, viewer or worker); the answer holds the key
   * itself, this once only. */
  createApiKey(name: string, role: string): Promise<ApiKeyCreated> {
    return this.#json("POST", "/auth/keys", { json: { name, role } });
  }

  /** Every key, revoked ones too; never a key itself. */
  listApiKeys(): Promise<ApiKeyView[]> {
    return this.#json("GET", "/auth/keys");
  }

  /** Revoke a key by its id: refused from now on. */
  revokeApiKey(keyId: string): Promise<ApiKeyView> {
    return this.#json("DELETE", `/auth/keys/${segment(keyId)}`);
  }

  /** Who did what, newest first, a page at a time. */
  audit(query: AuditQuery = {}): Promise<AuditPage> {
    const { since, until, ...rest } = query;
    const iso = (value: Date | string | undefined) =>
      value instanceof Date ? value.toISOString() : value;
    const params: Query = { since: iso(since), until: iso(until) };
    for (const [key, value] of Object.entries(rest)) {
      params[key] = value ?? undefined;
    }
    return this.#json("GET", "/audit", { query: params });
  }

  // -- transport ---------------------------------------------------------------------------

  async #json<T>(method: string, path: string, call: Call = {}): Promise<T> {
    const response = await this.#send(method, path, call);
    const text = await this.#read(response, call);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new FluxError(
        `unexpected answer to ${method} ${path}: not JSON: ${text.slice(0, 200)}`,
        response.status,
      );
    }
  }

  async #stream<T extends StreamEvent>(
    method: string,
    path: string,
    call: Call,
    skip: readonly string[] = [],
  ): Promise<EventStream<T>> {
    const controller = new AbortController();
    const response = await this.#send(method, path, { ...call, waits: true }, controller.signal);
    if (response.body === null) {
      throw new FluxError(
        `unexpected answer to ${method} ${path}: no event stream`,
        response.status,
      );
    }
    const onError = (error: unknown): Error => unavailable(this.baseUrl, error, undefined);
    return new EventStream<T>(response.body, () => controller.abort(), onError, skip);
  }

  /** Sends one request; answers only a 2xx response, throws the matching `FluxError` else. */
  async #send(
    method: string,
    path: string,
    call: Call = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...call.headers };
    if (this.#apiKey !== undefined) {
      headers.Authorization = `Bearer ${this.#apiKey}`;
    }
    let body: string | FormData | undefined;
    if (call.form !== undefined) {
      body = call.form; // fetch sets the multipart Content-Type with its boundary
    } else if (call.json !== undefined) {
      body = toJson(call.json, "the request body");
      headers["Content-Type"] = "application/json";
    }
    const timeoutMs = call.waits ? undefined : this.timeoutMs;
    let response: Response;
    try {
      response = await this.#fetch(this.baseUrl + path + queryString(call.query), {
        method,
        headers,
        body,
        signal: signal ?? (timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)),
      });
    } catch (error) {
      throw unavailable(this.baseUrl, error, timeoutMs);
    }
    if (!response.ok) {
      const text = await this.#read(response, call);
      throw errorFromResponse(response.status, response.statusText, text, `${method} ${path}`);
    }
    return response;
  }

  async #read(response: Response, call: Call): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw unavailable(this.baseUrl, error, call.waits ? undefined : this.timeoutMs);
    }
  }
}

/** One path segment: a name with `/` or `?` in it must not change which endpoint is hit. */
function segment(value: string): string {
  return encodeURIComponent(value);
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

function waitMode(mode: WaitMode | undefined): WaitMode {
  const chosen = mode ?? "async";
  if (!WAIT_MODES.includes(chosen)) {
    throw new InvalidRequestError(`mode must be "sync" or "async", not ${JSON.stringify(chosen)}`);
  }
  return chosen;
}

function idempotency(key: string | undefined): Record<string, string> | undefined {
  return key === undefined ? undefined : { "Idempotency-Key": key };
}

function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidRequestError(
      `${what} is not JSON-serializable: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (text === undefined) {
    throw new InvalidRequestError(`${what} is not JSON-serializable: ${typeof value}`);
  }
  return text;
}

function withTime<T extends { once_at?: Date | string | null }>(
  spec: T,
): Omit<T, "once_at"> & { once_at?: string | null } {
  const { once_at, ...rest } = spec;
  return once_at instanceof Date
    ? { ...rest, once_at: once_at.toISOString() }
    : { ...rest, once_at };
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** A local file's bytes, to upload. `node:fs` is imported only here, so that the client also
 * loads where there is no file system (a browser, an edge runtime) as long as no path is
 * given. */
async function readLocalFile(path: string, type?: string): Promise<Blob> {
  const { readFile } = await import("node:fs/promises");
  try {
    // Copied into a plain ArrayBuffer-backed array: a Node Buffer may share a larger pool.
    return new Blob([new Uint8Array(await readFile(path))], type === undefined ? {} : { type });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestError(`cannot read ${path}: ${reason}`);
  }
}
