// The client's request and response types, named. Every one is taken from the generated
// OpenAPI schema (src/schema.d.ts), so a change of the server's API shows up as a type error
// here or in the tests once the schema is regenerated. Only the server-sent events, which
// OpenAPI cannot describe, are written out by hand (their shape is the server's sse routes).
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type JsonBody<T> = T extends { requestBody?: { content: { "application/json": infer B } } }
  ? B
  : never;
type FormBody<T> = T extends { requestBody: { content: { "multipart/form-data": infer B } } }
  ? B
  : never;

// -- script jobs ---------------------------------------------------------------------------

export type JobState = Schemas["JobState"];
export type JobSubmitted = Schemas["JobSubmitted"];
export type JobView = Schemas["JobView"];
export type JobSummary = Schemas["JobSummary"];
export type JobList = Schemas["JobList"];
export type JobAttempt = Schemas["JobAttempt"];
export type JobEnvelope = Schemas["JobEnvelope"];

/** The multipart form of `POST /jobs/submit`, as the server documents it. */
export type JobForm = FormBody<paths["/jobs/submit"]["post"]>;

/** `submitJob`'s options: the server's form fields, with JSON fields as values (not text),
 * the script as source text (`script`) or as a file to read (`scriptPath`, Node.js only). */
export type SubmitJobOptions = Omit<
  JobForm,
  "script" | "payload" | "dependencies" | "secrets" | "runAt"
> & {
  /** The script's source. Without `filename` the server names the file after the runtime. */
  script?: string;
  /** A file to read and upload (its name is the script's file name unless `filename`). */
  scriptPath?: string;
  /** The script's file name as the job shows it (letters, digits, `.`, `_`, `-`). */
  filename?: string;
  /** Any JSON value; the script gets it as `PAYLOAD` / its function's argument. */
  payload?: unknown;
  /** npm or PyPI package names installed before the script runs. */
  dependencies?: string[];
  /** Names of stored secrets the script gets as environment variables of the same names. */
  secrets?: string[];
  /** When to run it (UTC when a string has no offset). */
  runAt?: Date | string;
  /** A key the server has seen answers with the job it submitted then (`replayed`). */
  idempotencyKey?: string;
};

export interface ListJobsOptions {
  state?: JobState;
  name?: string;
  type?: string;
  limit?: number;
  offset?: number;
}

/** Events of `followJobLogs`: output as the script prints it, each finished attempt, the end. */
export type JobLogEvent =
  | { event: "log"; data: { attempt: number; text: string }; id?: string }
  | { event: "attempt"; data: Omit<JobAttempt, "logs">; id?: string }
  | {
      event: "end";
      data: {
        jobId: string;
        state: JobState;
        exitCode: number | null;
        output: unknown;
        error: string | null;
      };
      id?: string;
    };

// -- JSON DAGs -----------------------------------------------------------------------------

/** The body of `POST /workflows/submit`: `nodes` and optional `name`, `input`, `cron`, ... */
export type DagSpec = JsonBody<paths["/workflows/submit"]["post"]>;
export type DagNode = DagSpec["nodes"][number];
export type DagSubmitted = Schemas["DagSubmitted"];
export type DagRunView = Schemas["DagRunView"];
export type DagNodeView = Schemas["DagNodeView"];
export type DagRunEnvelope = Schemas["DagRunEnvelope"];

// -- Python workflows and their executions -------------------------------------------------

export type WorkflowInfo = Schemas["WorkflowInfo"];
export type WorkflowDetail = Schemas["WorkflowDetail"];
export type ExecutionState = Schemas["ExecutionState"];
export type ExecutionView = Schemas["ExecutionView"];
export type ExecutionList = Schemas["ExecutionList"];
export type EventView = Schemas["EventView"];
export type RerunRequest = Schemas["RerunRequest"];

/** `sync` answers when the run ends or pauses (or with its current state after the server's
 * `server.sync_timeout`); `async` as soon as it is queued. */
export type WaitMode = "sync" | "async";

/** A workflow file to register: its source text, or a file to read (Node.js only). */
export type WorkflowUpload =
  { source: string; filename?: string } | { path: string; filename?: string };

export interface RunOptions {
  mode?: WaitMode;
  /** A key the server has seen returns (and waits for) the run it started then. */
  idempotencyKey?: string;
  /** Overrides the workflow's priority: queued runs with a higher one start first. */
  priority?: number;
  /** Include the run's event log. */
  detailed?: boolean;
}

export interface ListExecutionsOptions {
  workflow?: string;
  state?: ExecutionState;
  limit?: number;
  offset?: number;
}

/** `rerun`'s options: a field left out is not sent (`null` is sent as JSON null). */
export type RerunOptions = Partial<RerunRequest> & {
  mode?: WaitMode;
  detailed?: boolean;
  idempotencyKey?: string;
};

/** The events of `stream` / `resumeStream`: one per state the run reaches, until it ends or
 * pauses. */
export interface WorkflowEvent {
  event:
    | "workflow.execution.running"
    | "workflow.execution.paused"
    | "workflow.execution.completed"
    | "workflow.execution.failed"
    | "workflow.execution.cancelled";
  data: {
    execution_id: string;
    state: ExecutionState;
    /** Only once it ended or paused. */
    output?: unknown;
    error?: string;
    timestamp: string;
  };
  id?: string;
}

// -- schedules -----------------------------------------------------------------------------

/** The body of `POST /schedules`: `name`, `workflow`, `input` and exactly one of `cron`
 * (+ `timezone`), `interval_seconds`, `once_at`; policies `overlap`, `catchup`. */
export type ScheduleCreate = Omit<JsonBody<paths["/schedules"]["post"]>, "once_at"> & {
  once_at?: Date | string | null;
};
/** A schedule that is not stored, for `previewSchedule`. */
export type SchedulePreviewSpec = Omit<
  JsonBody<paths["/schedules/preview"]["post"]>,
  "once_at" | "count"
> & { once_at?: Date | string | null };
export type ScheduleView = Schemas["ScheduleView"];
export type ScheduleRun = Schemas["ScheduleRun"];
export type SchedulePreview = Schemas["SchedulePreview"];

// -- secrets, workers, API keys, the audit -------------------------------------------------

export type SecretValue = Schemas["SecretValue"];
export type WorkerView = Schemas["WorkerView"];
export type WhoAmI = Schemas["WhoAmI"];
export type ApiKeyView = Schemas["ApiKeyView"];
/** A new key: `key` is the key itself, shown this once only. */
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type AuditPage = Schemas["AuditPage"];
export type AuditEntry = Schemas["AuditEntry"];

/** `audit`'s filters: `actor` matches part of the actor's label, `action` one action or a
 * family (`"secret"` is `secret.*`); a page's `next_cursor` as `cursor` gives the next one. */
export type AuditQuery = Omit<
  NonNullable<paths["/audit"]["get"]["parameters"]["query"]>,
  "since" | "until"
> & { since?: Date | string; until?: Date | string };
