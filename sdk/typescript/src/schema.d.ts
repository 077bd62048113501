// Generated from the Flux server's /openapi.json by `npm run generate`: do not edit.
// The client's types come from here (components["schemas"][...]).

export interface paths {
    "/stats/overview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Overview
         * @description Executions per state, runs ended per minute over the last `minutes`, the queue, the
         *     worker fleet and the next schedule fires.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["overview_stats_overview_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/stats/workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Workers
         * @description Registered workers with their health and the runs each holds now.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["workers_stats_workers_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/executions/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search Executions
         * @description Python workflow runs, script jobs and DAG runs together, newest first, filtered;
         *     pages follow each other by cursor, so a deep page costs what the first one does.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["search_executions_executions_search_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/executions/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live Executions
         * @description Server-sent events: `ready` once, then `execution` {execution_id, workflow, state,
         *     updated_at, created_at, parent_execution_id, worker} whenever a run is queued or
         *     changes state, `output` {execution_id} (with `execution_id`), `resync` when the client
         *     fell too far behind and should read again, and `keepalive` every 15 s.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["live_executions_executions_live_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/executions/{execution_id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Execution Logs
         * @description What each step of a run printed while it ran (script steps ship their output as it
         *     comes; a finished attempt's whole output is also in its recorded value).
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["execution_logs_executions__execution_id__logs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/submit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Submit Dag
         * @description Store a DAG of script nodes (validated first: ids, dependencies, cycles, runtimes)
         *     and run it now; answers with its workflow id and the run's id.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["submit_dag_workflows_submit_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/runs/{run_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Dag Run
         * @description A DAG run with each node's state, output, logs and attempts.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["dag_run_workflows_runs__run_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Workflows
         * @description Needs an API key with the viewer role (or a higher one).
         */
        get: operations["list_workflows_workflows_get"];
        put?: never;
        /**
         * Upload Workflows
         * @description Register the workflows of an uploaded `.py` file (parsed, never executed here).
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["upload_workflows_workflows_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Show Workflow
         * @description Needs an API key with the viewer role (or a higher one).
         */
        get: operations["show_workflow_workflows__name__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/{name}/run/{mode}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run Workflow
         * @description Start a run: `sync` waits for its end (202 after server.sync_timeout), `async`
         *     returns at once, `stream` sends server-sent events until it settles. `priority`
         *     overrides the workflow's: queued runs with a higher one start first.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["run_workflow_workflows__name__run__mode__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/{name}/resume/{execution_id}/{mode}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume Workflow
         * @description Resume a paused run with the body as its pause point's answer (409 if not paused).
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["resume_workflow_workflows__name__resume__execution_id___mode__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/{name}/status/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Execution Status
         * @description Needs an API key with the viewer role (or a higher one).
         */
        get: operations["execution_status_workflows__name__status__execution_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workflows/{name}/cancel/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Cancel Execution
         * @description Cancel a run (409 if it already ended); `mode=sync` waits until it is cancelled.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        get: operations["cancel_execution_workflows__name__cancel__execution_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/submit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Submit Job
         * @description Queue a script job (or schedule it for `runAt`); answers at once with its id (201),
         *     or with the job an earlier request with the same `Idempotency-Key` made (200).
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["submit_job_jobs_submit_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Jobs
         * @description Newest first; `count` is the number of all jobs matching the filters.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["list_jobs_jobs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Job
         * @description State, exit code, logs, output and every attempt of a job.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["get_job_jobs__job_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{job_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel Job
         * @description Cancel a job that has not finished (a running attempt is killed); 409 if it has.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["cancel_job_jobs__job_id__cancel_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{job_id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Job Logs
         * @description The last attempt's logs as text; `follow=true` streams server-sent events instead:
         *     `log` {attempt, text} as output arrives, `attempt` when one ends, `end` at the end.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["job_logs_jobs__job_id__logs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/executions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Executions
         * @description Newest first.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["list_executions_executions_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/executions/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Show Execution
         * @description Needs an API key with the viewer role (or a higher one).
         */
        get: operations["show_execution_executions__execution_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/executions/{execution_id}/rerun": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rerun Execution
         * @description Start a new run of a FAILED or CANCELLED execution that reuses the steps it finished
         *     and runs the rest (docs/production.md). The body is optional. `mode=sync` waits until
         *     the new run ends or pauses (202 after server.sync_timeout); its view has `rerun_of`.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["rerun_execution_executions__execution_id__rerun_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Workers
         * @description Registered workers, their last resource report and whether they are connected.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["list_workers_workers_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Register
         * @description Join with the bootstrap token (`Authorization: Bearer <workers.bootstrap_token>`).
         *
         *     Needs the workers' bootstrap token or an API key with the worker role.
         */
        post: operations["register_workers_register_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/connect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Connect
         * @description SSE: `execution_scheduled`, `execution_cancelled` and `keepalive` events. Closing the
         *     stream releases the worker's leases.
         *
         *     Worker protocol: needs the worker's session token.
         */
        get: operations["connect_workers__name__connect_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/claim/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Claim
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["claim_workers__name__claim__execution_id__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/claim": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Claim Next
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["claim_next_workers__name__claim_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/executions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Child Execution
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["child_execution_workers__name__executions_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/workflows/{workflow}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Latest Workflow Source
         * @description The latest uploaded version (what `call("name")` runs).
         *
         *     Worker protocol: needs the worker's session token.
         */
        get: operations["latest_workflow_source_workers__name__workflows__workflow__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/workflows/{workflow}/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Workflow Source
         * @description Worker protocol: needs the worker's session token.
         */
        get: operations["workflow_source_workers__name__workflows__workflow___version__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/checkpoint/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Checkpoint
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["checkpoint_workers__name__checkpoint__execution_id__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/checkpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Checkpoints
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["checkpoints_workers__name__checkpoints_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Logs
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["logs_workers__name__logs_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/heartbeat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Heartbeat
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["heartbeat_workers__name__heartbeat_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/release/{execution_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Release
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["release_workers__name__release__execution_id__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Worker Secrets
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["worker_secrets_workers__name__secrets_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/cache/get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cache Get
         * @description Worker protocol: needs the worker's session token.
         */
        post: operations["cache_get_workers__name__cache_get_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/cache": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Cache Set
         * @description Worker protocol: needs the worker's session token.
         */
        put: operations["cache_set_workers__name__cache_put"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/disconnect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Disconnect
         * @description A graceful leave: the worker's SSE stream is closed (which releases what it holds).
         *
         *     Worker protocol: needs the worker's session token.
         */
        post: operations["disconnect_workers__name__disconnect_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/outputs/{digest}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Output
         * @description A large value's encoded bytes, as uploaded (the worker checks them against the signed
         *     reference before decoding).
         *
         *     Worker protocol: needs the worker's session token.
         */
        get: operations["get_output_workers__name__outputs__digest__get"];
        /**
         * Put Output
         * @description Store a large value's encoded bytes under their sha256 (the body must match `digest`).
         *     Idempotent: the same bytes always land at the same name.
         *
         *     Worker protocol: needs the worker's session token.
         */
        put: operations["put_output_workers__name__outputs__digest__put"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/secrets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Secrets
         * @description Names only, never values.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        get: operations["list_secrets_admin_secrets_get"];
        put?: never;
        /**
         * Set Secret
         * @description Needs an API key with the admin role (or a higher one).
         */
        post: operations["set_secret_admin_secrets_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/secrets/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Secret
         * @description Needs an API key with the admin role (or a higher one).
         */
        get: operations["get_secret_admin_secrets__name__get"];
        put?: never;
        post?: never;
        /**
         * Delete Secret
         * @description Needs an API key with the admin role (or a higher one).
         */
        delete: operations["delete_secret_admin_secrets__name__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Health
         * @description The process answers (says nothing about the database: see /ready).
         *
         *     Needs no key.
         */
        get: operations["health_health_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Ready
         * @description Ready when the database answers.
         *
         *     Needs no key.
         */
        get: operations["ready_ready_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Metrics
         * @description Needs an API key with the viewer role (or a higher one).
         */
        get: operations["metrics_metrics_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Schedules
         * @description Every schedule, by name, with its next and last fire times and run counts.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["list_schedules_schedules_get"];
        put?: never;
        /**
         * Create Schedule
         * @description Store a schedule (checked completely first: nothing is stored on a 400).
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["create_schedule_schedules_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Preview Spec
         * @description The next fire times of a schedule that is not stored.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        post: operations["preview_spec_schedules_preview_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Schedule
         * @description A schedule by id or name, with its recent fires (newest first).
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["get_schedule_schedules__key__get"];
        put?: never;
        post?: never;
        /**
         * Delete Schedule
         * @description The runs it started stay.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        delete: operations["delete_schedule_schedules__key__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules/{key}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause Schedule
         * @description Needs an API key with the operator role (or a higher one).
         */
        post: operations["pause_schedule_schedules__key__pause_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules/{key}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume Schedule
         * @description Goes on from now: times that passed while paused are not caught up.
         *
         *     Needs an API key with the operator role (or a higher one).
         */
        post: operations["resume_schedule_schedules__key__resume_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/schedules/{key}/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Preview Schedule
         * @description The schedule's next `count` fire times.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["preview_schedule_schedules__key__preview_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/limits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Limits
         * @description Limits in use or declared (of one workflow with `workflow=`): capacity, the runs
         *     holding a slot (rate limits: the starts still counting), and the queued runs waiting.
         *     `workflows` lists what each workflow's latest upload declares.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["list_limits_limits_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Audit
         * @description Recorded actions, newest first. A record is written within about 0.2 s of its
         *     action; this replica's pending records are written before the list is read.
         *
         *     Needs an API key with the admin role (or a higher one).
         */
        get: operations["list_audit_audit_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/whoami": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Whoami
         * @description The caller: its key (or why it is served without one) and its role.
         *
         *     Needs an API key with the viewer role (or a higher one).
         */
        get: operations["whoami_auth_whoami_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Keys
         * @description Every key, revoked ones too; never a secret.
         *
         *     Needs an API key with the admin role (or a higher one).
         */
        get: operations["list_keys_auth_keys_get"];
        put?: never;
        /**
         * Create Key
         * @description A new key with a role. The answer holds the key itself, this once only.
         *
         *     Needs an API key with the admin role (or a higher one).
         */
        post: operations["create_key_auth_keys_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke Key
         * @description Revoke a key: refused at once on this replica, within seconds on others.
         *
         *     Needs an API key with the admin role (or a higher one).
         */
        delete: operations["revoke_key_auth_keys__key_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/workers/{name}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Revoke Worker
         * @description End a worker's session: its token stops working, its stream closes (its runs go
         *     back to the queue) and it exits; it can only join again with the bootstrap token.
         *
         *     Needs an API key with the admin role (or a higher one).
         */
        post: operations["revoke_worker_workers__name__revoke_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** ApiKeyCreate */
        ApiKeyCreate: {
            /**
             * Name
             * @description who or what uses the key, e.g. 'ci' or 'alice'
             */
            name: string;
            /**
             * Role
             * @description admin, operator, viewer or worker
             */
            role: string;
        };
        /** ApiKeyCreated */
        ApiKeyCreated: {
            /**
             * Id
             * @description the key's public id (12 hex), as in logs and the audit
             */
            id: string;
            /** Name */
            name: string;
            /** Role */
            role: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Created By
             * @description who created it; null for the key of the first start
             */
            created_by?: string | null;
            /** Revoked At */
            revoked_at?: string | null;
            /**
             * Last Used At
             * @description last request with it, to the minute
             */
            last_used_at?: string | null;
            /**
             * Key
             * @description the key itself: shown this once, never stored
             */
            key: string;
        };
        /** ApiKeyView */
        ApiKeyView: {
            /**
             * Id
             * @description the key's public id (12 hex), as in logs and the audit
             */
            id: string;
            /** Name */
            name: string;
            /** Role */
            role: string;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Created By
             * @description who created it; null for the key of the first start
             */
            created_by?: string | null;
            /** Revoked At */
            revoked_at?: string | null;
            /**
             * Last Used At
             * @description last request with it, to the minute
             */
            last_used_at?: string | null;
        };
        /** AuditEntry */
        AuditEntry: {
            /** Id */
            id: number;
            /**
             * At
             * Format: date-time
             * @description when the request was answered (UTC)
             */
            at: string;
            /**
             * Actor
             * @description the principal's label, e.g. 'key ab12cd34ef56 (alice)'; 'unauthenticated' when no valid key was given
             */
            actor: string;
            /**
             * Role
             * @description the principal's role, if known
             */
            role?: string | null;
            /**
             * Action
             * @description e.g. execution.start, secret.read, key.create
             */
            action: string;
            /**
             * Target
             * @description what it acted on: a workflow, execution, secret, key...
             */
            target?: string | null;
            /**
             * Status
             * @description the HTTP status of the answer
             */
            status?: number | null;
            /**
             * Client
             * @description the client's address
             */
            client?: string | null;
            /**
             * Detail
             * @description a few ids, e.g. the execution a start created
             */
            detail?: {
                [key: string]: unknown;
            } | null;
        };
        /** AuditPage */
        AuditPage: {
            /** Entries */
            entries: components["schemas"]["AuditEntry"][];
            /**
             * Next Cursor
             * @description pass as `cursor` for the next (older) page; None at the end
             */
            next_cursor?: string | null;
        };
        /** CacheEntry */
        "CacheEntry-Input": {
            /** Key */
            key: string;
            /** Value */
            value?: string | null;
            /** Expires At */
            expires_at?: string | null;
        };
        /** CacheEntry */
        "CacheEntry-Output": {
            /** Key */
            key: string;
            /** Value */
            value?: string | null;
            /** Expires At */
            expires_at?: string | null;
        };
        /** CacheLookup */
        CacheLookup: {
            /** Key */
            key: string;
        };
        /**
         * CancelMode
         * @enum {string}
         */
        CancelMode: "sync" | "async";
        /** Checkpoint */
        Checkpoint: {
            /** Epoch */
            epoch: number;
            /** Events */
            events: components["schemas"]["EventRecord-Input"][];
            state?: components["schemas"]["ExecutionState"] | null;
            /** Output */
            output?: string | null;
        };
        /**
         * CheckpointBatch
         * @description Checkpoints of several runs in one request (`POST /workers/{name}/checkpoints`): a
         *     worker running many executions group-commits them, one HTTP round trip per loop turn.
         */
        CheckpointBatch: {
            /** Items */
            items: components["schemas"]["CheckpointItem"][];
        };
        /** CheckpointBatchReply */
        CheckpointBatchReply: {
            /** Results */
            results: components["schemas"]["CheckpointResult"][];
        };
        /** CheckpointItem */
        CheckpointItem: {
            /** Execution Id */
            execution_id: string;
            checkpoint: components["schemas"]["Checkpoint"];
        };
        /** CheckpointResult */
        CheckpointResult: {
            /** Execution Id */
            execution_id: string;
            /** Ok */
            ok: boolean;
            /**
             * Status
             * @description what the single-run endpoint would have answered
             */
            status: number;
            /** Detail */
            detail?: string | null;
        };
        /**
         * ChildExecution
         * @description `POST /workers/{name}/executions`: a subworkflow started inline by a run this worker
         *     holds; it is created already claimed by the worker and never dispatched on its own.
         */
        ChildExecution: {
            /** Parent Execution Id */
            parent_execution_id: string;
            /** Parent Epoch */
            parent_epoch: number;
            execution: components["schemas"]["ExecutionRecord-Input"];
        };
        /** Claim */
        Claim: {
            execution: components["schemas"]["ExecutionRecord-Output"];
            /**
             * Epoch
             * @description fencing token: checkpoints must carry it
             */
            epoch: number;
            /**
             * Lease Expires At
             * Format: date-time
             */
            lease_expires_at: string;
        };
        /** ClaimBatch */
        ClaimBatch: {
            /** Claims */
            claims: components["schemas"]["Claim"][];
        };
        /**
         * ClaimNext
         * @description `POST /workers/{name}/claim`: claim up to `max` queued executions this worker fits
         *     (oldest first; on PostgreSQL with FOR UPDATE SKIP LOCKED, so workers never collide).
         */
        ClaimNext: {
            /**
             * Max
             * @default 1
             */
            max: number;
        };
        /** DagNodeView */
        DagNodeView: {
            /** Id */
            id: string;
            /** Jobname */
            jobName: string;
            /** Runtime */
            runtime: string;
            /** Dependencies */
            dependencies: string[];
            /**
             * State
             * @description PENDING, RUNNING, COMPLETED, FAILED, SKIPPED, CANCELLED
             */
            state: string;
            /** Output */
            output?: unknown;
            /** Exitcode */
            exitCode?: number | null;
            /** Startedat */
            startedAt?: string | null;
            /** Finishedat */
            finishedAt?: string | null;
            /**
             * Logs
             * @default
             */
            logs: string;
            /** Attempts */
            attempts?: components["schemas"]["JobAttempt"][];
        };
        /** DagRunEnvelope */
        DagRunEnvelope: {
            /**
             * Success
             * @default true
             */
            success: boolean;
            run: components["schemas"]["DagRunView"];
        };
        /** DagRunView */
        DagRunView: {
            /** Runid */
            runId: string;
            /** Workflowid */
            workflowId: string;
            /** State */
            state: string;
            /** Input */
            input?: unknown;
            /** Output */
            output?: unknown;
            /** Error */
            error?: string | null;
            /**
             * Createdat
             * Format: date-time
             */
            createdAt: string;
            /**
             * Updatedat
             * Format: date-time
             */
            updatedAt: string;
            /** Nodes */
            nodes: components["schemas"]["DagNodeView"][];
        };
        /** DagSubmitted */
        DagSubmitted: {
            /**
             * Success
             * @default true
             */
            success: boolean;
            /**
             * Workflowid
             * @description the DAG's name in the workflow catalog
             */
            workflowId: string;
            /** Version */
            version: string;
            /**
             * Runid
             * @description the run started now (no cron)
             */
            runId?: string | null;
            /**
             * Scheduleid
             * @description with `cron`: its schedule
             */
            scheduleId?: string | null;
            /**
             * Nextfireat
             * @description with `cron`: first run
             */
            nextFireAt?: string | null;
        };
        /** ErrorResponse */
        ErrorResponse: {
            /** Detail */
            detail: string;
        };
        /** EventRecord */
        "EventRecord-Input": {
            /** Seq */
            seq: number;
            /** Id */
            id: string;
            /** Type */
            type: string;
            /** Source Id */
            source_id: string;
            /** Name */
            name: string;
            /** Value */
            value?: string | null;
            /**
             * Time
             * Format: date-time
             */
            time: string;
        };
        /** EventRecord */
        "EventRecord-Output": {
            /** Seq */
            seq: number;
            /** Id */
            id: string;
            /** Type */
            type: string;
            /** Source Id */
            source_id: string;
            /** Name */
            name: string;
            /** Value */
            value?: string | null;
            /**
             * Time
             * Format: date-time
             */
            time: string;
        };
        /** EventView */
        EventView: {
            /** Id */
            id: string;
            /** Type */
            type: string;
            /** Source Id */
            source_id: string;
            /** Name */
            name: string;
            /** Value */
            value?: unknown;
            /**
             * Time
             * Format: date-time
             */
            time: string;
        };
        /** ExecutionList */
        ExecutionList: {
            /**
             * Count
             * @description all executions matching the filters, not just this page
             */
            count: number;
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
            /** Executions */
            executions: components["schemas"]["ExecutionView"][];
        };
        /** ExecutionLogs */
        ExecutionLogs: {
            /** Execution Id */
            execution_id: string;
            /**
             * Steps
             * @description output shipped while steps ran, by step id
             */
            steps: components["schemas"]["StepLog"][];
        };
        /** ExecutionPage */
        ExecutionPage: {
            /**
             * Count
             * @description all executions matching the filters
             */
            count: number;
            /** Limit */
            limit: number;
            /** Executions */
            executions: components["schemas"]["ExecutionSummary"][];
            /**
             * Next Cursor
             * @description pass as `cursor` for the next (older) page; null at the end
             */
            next_cursor?: string | null;
        };
        /** ExecutionRecord */
        "ExecutionRecord-Input": {
            /** Execution Id */
            execution_id: string;
            /** Workflow Name */
            workflow_name: string;
            /** Workflow Version */
            workflow_version: string | null;
            state: components["schemas"]["ExecutionState"];
            /** Input */
            input?: string | null;
            /** Parent Execution Id */
            parent_execution_id?: string | null;
            /** Requests */
            requests?: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Events */
            events: components["schemas"]["EventRecord-Input"][];
        };
        /** ExecutionRecord */
        "ExecutionRecord-Output": {
            /** Execution Id */
            execution_id: string;
            /** Workflow Name */
            workflow_name: string;
            /** Workflow Version */
            workflow_version: string | null;
            state: components["schemas"]["ExecutionState"];
            /** Input */
            input?: string | null;
            /** Parent Execution Id */
            parent_execution_id?: string | null;
            /** Requests */
            requests?: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Events */
            events: components["schemas"]["EventRecord-Output"][];
        };
        /**
         * ExecutionState
         * @enum {string}
         */
        ExecutionState: "CREATED" | "SCHEDULED" | "CLAIMED" | "RUNNING" | "PAUSED" | "RESUMING" | "CANCELLING" | "COMPLETED" | "FAILED" | "CANCELLED";
        /** ExecutionSummary */
        ExecutionSummary: {
            /** Execution Id */
            execution_id: string;
            /** Workflow Name */
            workflow_name: string;
            kind: components["schemas"]["RunKind"];
            state: components["schemas"]["ExecutionState"];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /** Worker Name */
            worker_name?: string | null;
            /** Parent Execution Id */
            parent_execution_id?: string | null;
            /**
             * Attempts
             * @default 0
             */
            attempts: number;
            /** Error */
            error?: string | null;
        };
        /** ExecutionView */
        ExecutionView: {
            /** Execution Id */
            execution_id: string;
            /** Workflow Name */
            workflow_name: string;
            /** Workflow Version */
            workflow_version?: string | null;
            state: components["schemas"]["ExecutionState"];
            /** Input */
            input?: unknown;
            /** Output */
            output?: unknown;
            /**
             * Error
             * @description why a FAILED run failed, as text
             */
            error?: string | null;
            /** Worker Name */
            worker_name?: string | null;
            /** Parent Execution Id */
            parent_execution_id?: string | null;
            /**
             * Rerun Of
             * @description the execution this one reruns (POST /executions/{id}/rerun); read from the run's first event, so shown when the view is read with its events (detailed=true) and in the answer of the rerun request
             */
            rerun_of?: string | null;
            /**
             * Attempts
             * @description times a worker claimed this execution
             * @default 0
             */
            attempts: number;
            /**
             * Pending Reason
             * @description why a queued run is not running yet (e.g. no worker fits)
             */
            pending_reason?: string | null;
            /**
             * Priority
             * @description queued runs with a higher one start first
             * @default 0
             */
            priority: number;
            /**
             * Limit Keys
             * @description the limits it is admitted under, as 'concurrency:<key>' / 'rate:<key>'
             */
            limit_keys?: string[];
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /**
             * Events
             * @description only with detailed=true
             */
            events?: components["schemas"]["EventView"][] | null;
        };
        /** FleetStats */
        FleetStats: {
            /**
             * Workers
             * @description registered workers
             */
            workers: number;
            /** Connected */
            connected: number;
            /**
             * Healthy
             * @description connected and heard from within 3 lease lifetimes
             */
            healthy: number;
            /**
             * Slots
             * @description sum of the healthy workers' max_concurrency
             */
            slots: number;
            /**
             * Busy
             * @description top-level runs a worker holds now
             */
            busy: number;
        };
        /** GPUInfo */
        GPUInfo: {
            /** Name */
            name: string;
            /**
             * Memory Total
             * @description bytes
             */
            memory_total: number;
            /**
             * Memory Free
             * @description bytes
             */
            memory_free: number;
        };
        /** HTTPValidationError */
        HTTPValidationError: {
            /** Detail */
            detail?: components["schemas"]["ValidationError"][];
        };
        /** Heartbeat */
        Heartbeat: {
            /** Executions */
            executions?: components["schemas"]["HeldExecution"][];
            resources?: components["schemas"]["WorkerResources"] | null;
        };
        /** HeartbeatReply */
        HeartbeatReply: {
            /**
             * Lost
             * @description executions no longer held
             */
            lost?: string[];
        };
        /** HeldExecution */
        HeldExecution: {
            /** Execution Id */
            execution_id: string;
            /** Epoch */
            epoch: number;
        };
        /** HeldRun */
        HeldRun: {
            /** Execution Id */
            execution_id: string;
            /** Workflow Name */
            workflow_name: string;
            state: components["schemas"]["ExecutionState"];
            /**
             * Since
             * Format: date-time
             * @description its last update
             */
            since: string;
        };
        /** JobAttempt */
        JobAttempt: {
            /**
             * Attempt
             * @description 1 for the first run, 2 for the first retry, ...
             */
            attempt: number;
            /** @description RUNNING while it runs, then COMPLETED or FAILED */
            state: components["schemas"]["JobState"];
            /**
             * Startedat
             * Format: date-time
             */
            startedAt: string;
            /** Finishedat */
            finishedAt?: string | null;
            /** Exitcode */
            exitCode?: number | null;
            /** Signal */
            signal?: number | null;
            /**
             * Reason
             * @description why it failed: exit code, out of memory, timed out, ...
             */
            reason?: string | null;
            /**
             * Limit
             * @description the limit that killed it: memory, wall_time, cpu_time, processes, output
             */
            limit?: string | null;
            /**
             * Logs
             * @description standard output and error, interleaved
             * @default
             */
            logs: string;
            /** Sandbox */
            sandbox?: string | null;
            /**
             * Runtime
             * @description what ran, e.g. 'node 20.20.2'
             */
            runtime?: string | null;
            /** Usage */
            usage?: {
                [key: string]: number;
            };
            /**
             * Enforced
             * @description each limit and what enforced it on the worker
             */
            enforced?: {
                [key: string]: string;
            };
            /**
             * Output
             * @description what the attempt returned
             */
            output?: unknown;
        };
        /** JobEnvelope */
        JobEnvelope: {
            /**
             * Success
             * @default true
             */
            success: boolean;
            job: components["schemas"]["JobView"];
        };
        /** JobList */
        JobList: {
            /**
             * Success
             * @default true
             */
            success: boolean;
            /**
             * Count
             * @description all jobs matching the filters, not just this page
             */
            count: number;
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
            /** Jobs */
            jobs: components["schemas"]["JobSummary"][];
        };
        /**
         * JobState
         * @enum {string}
         */
        JobState: "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
        /** JobSubmitted */
        JobSubmitted: {
            /**
             * Success
             * @default true
             */
            success: boolean;
            /** Jobid */
            jobId: string;
            state: components["schemas"]["JobState"];
            /** Runat */
            runAt?: string | null;
            /**
             * Replayed
             * @description the job an earlier request with this Idempotency-Key made
             * @default false
             */
            replayed: boolean;
        };
        /** JobSummary */
        JobSummary: {
            /** Jobid */
            jobId: string;
            /** Name */
            name: string;
            /** Type */
            type: string;
            /** Runtime */
            runtime: string;
            state: components["schemas"]["JobState"];
            /** Executionstate */
            executionState: string;
            /** Runat */
            runAt?: string | null;
            /**
             * Createdat
             * Format: date-time
             */
            createdAt: string;
            /**
             * Updatedat
             * Format: date-time
             */
            updatedAt: string;
            /** Workername */
            workerName?: string | null;
        };
        /** JobView */
        JobView: {
            /** Jobid */
            jobId: string;
            /** Name */
            name: string;
            /** Type */
            type: string;
            /** Runtime */
            runtime: string;
            state: components["schemas"]["JobState"];
            /**
             * Executionstate
             * @description the state of the underlying execution
             */
            executionState: string;
            /**
             * Exitcode
             * @description of the last finished attempt
             */
            exitCode?: number | null;
            /** Runat */
            runAt?: string | null;
            /**
             * Createdat
             * Format: date-time
             */
            createdAt: string;
            /**
             * Updatedat
             * Format: date-time
             */
            updatedAt: string;
            /**
             * Maxretries
             * @default 0
             */
            maxRetries: number;
            /** Dependencies */
            dependencies?: string[];
            /** Payload */
            payload?: unknown;
            /**
             * Output
             * @description the job's output once COMPLETED
             */
            output?: unknown;
            /** Error */
            error?: string | null;
            /**
             * Logs
             * @description logs of the last attempt (live while running)
             * @default
             */
            logs: string;
            /** Attempts */
            attempts?: components["schemas"]["JobAttempt"][];
            /** Workername */
            workerName?: string | null;
        };
        /** LimitHolder */
        LimitHolder: {
            /** Execution Id */
            execution_id: string;
            /**
             * Workflow Name
             * @description None once the run is deleted
             */
            workflow_name?: string | null;
            state?: components["schemas"]["ExecutionState"] | null;
            /**
             * Slot
             * @description the slot number, below the limit's capacity
             */
            slot: number;
            /**
             * Since
             * Format: date-time
             * @description when the run took the slot (a start, for a rate)
             */
            since: string;
            /**
             * Until
             * @description rate limits: when this start stops counting
             */
            until?: string | null;
        };
        /** LimitList */
        LimitList: {
            /**
             * Limits
             * @description by kind, then key
             */
            limits: components["schemas"]["LimitView"][];
            /**
             * Workflows
             * @description workflows with limits or a priority, by name
             */
            workflows?: components["schemas"]["WorkflowLimits"][];
        };
        /** LimitView */
        LimitView: {
            /**
             * Kind
             * @enum {string}
             */
            kind: "concurrency" | "rate";
            /**
             * Key
             * @description the workflow's name, or name[field=value] for a limit per input value
             */
            key: string;
            /** Workflow Name */
            workflow_name: string;
            /**
             * Capacity
             * @description runs at once (concurrency) or starts per period (rate)
             */
            capacity: number;
            /**
             * Period Seconds
             * @description rate limits: the period
             */
            period_seconds?: number | null;
            /**
             * Rate
             * @description rate limits, as written: '10/m'
             */
            rate?: string | null;
            /**
             * In Use
             * @description slots held now (rate: starts within the last period)
             */
            in_use: number;
            /**
             * Available
             * @description runs it would admit now
             */
            available: number;
            /** Holders */
            holders?: components["schemas"]["LimitHolder"][];
            /**
             * Waiting
             * @description queued runs under this limit
             */
            waiting: number;
            /**
             * Next Free At
             * @description rate limits: when the next slot frees, if none is free
             */
            next_free_at?: string | null;
        };
        /**
         * LogBatch
         * @description Output of running script steps (`POST /workers/{name}/logs`), shipped while they run
         *     so that followers see it live; the step's recorded value carries the whole output.
         */
        LogBatch: {
            /** Chunks */
            chunks: components["schemas"]["LogText"][];
        };
        /** LogText */
        LogText: {
            /** Execution Id */
            execution_id: string;
            /** Step Id */
            step_id: string;
            /**
             * Offset
             * @description position of `text` in the step's whole output
             */
            offset: number;
            /** Text */
            text: string;
        };
        /** MinuteBucket */
        MinuteBucket: {
            /**
             * Minute
             * Format: date-time
             * @description the minute's start, UTC
             */
            minute: string;
            /**
             * Completed
             * @default 0
             */
            completed: number;
            /**
             * Failed
             * @default 0
             */
            failed: number;
            /**
             * Cancelled
             * @default 0
             */
            cancelled: number;
        };
        /**
         * Mode
         * @enum {string}
         */
        Mode: "sync" | "async" | "stream";
        /** Overview */
        Overview: {
            /**
             * Generated At
             * Format: date-time
             */
            generated_at: string;
            /**
             * Total
             * @description all executions, subworkflow runs included
             */
            total: number;
            /**
             * States
             * @description executions per state
             */
            states: {
                [key: string]: number;
            };
            /** Window Minutes */
            window_minutes: number;
            /**
             * Throughput
             * @description runs that ended in each minute of the window, oldest first
             */
            throughput: components["schemas"]["MinuteBucket"][];
            /**
             * Finished
             * @description runs that ended within the window
             */
            finished: number;
            /**
             * Failed
             * @description of those, how many FAILED
             */
            failed: number;
            /**
             * Failure Rate
             * @description failed / finished within the window; null when none ended
             */
            failure_rate?: number | null;
            queue: components["schemas"]["QueueStats"];
            fleet: components["schemas"]["FleetStats"];
            /**
             * Upcoming
             * @description the next schedule fires, soonest first
             */
            upcoming: components["schemas"]["UpcomingFire"][];
        };
        /** PackageInfo */
        PackageInfo: {
            /** Name */
            name: string;
            /** Version */
            version: string;
        };
        /** QueueStats */
        QueueStats: {
            /**
             * Depth
             * @description runs waiting for a worker (SCHEDULED)
             */
            depth: number;
            /**
             * Oldest Queued At
             * @description when the longest-waiting queued run was created
             */
            oldest_queued_at?: string | null;
            /**
             * Delayed
             * @description runs waiting for their start time (CREATED, e.g. runAt)
             */
            delayed: number;
            /** Next Delayed At */
            next_delayed_at?: string | null;
        };
        /** Registration */
        Registration: {
            /** Session Token */
            session_token: string;
            /**
             * Codec Key
             * @description key that signs stored pickles; shared by the fleet
             */
            codec_key: string;
            /**
             * Serializer
             * @description 'pkl' or 'json': what workers write values with
             */
            serializer: string;
            /**
             * Lease Ttl
             * @description seconds a claim lasts without a heartbeat
             */
            lease_ttl: number;
            /** Heartbeat Interval */
            heartbeat_interval: number;
        };
        /** Release */
        Release: {
            /** Epoch */
            epoch: number;
        };
        /**
         * RerunMode
         * @enum {string}
         */
        RerunMode: "sync" | "async";
        /**
         * RerunRequest
         * @description Every field is optional; an empty body reruns with the original input on the latest
         *     version. A field counts as given when it is present, even as `null`.
         */
        RerunRequest: {
            /**
             * Input
             * @description replaces the run's input (the reused steps keep their recorded values)
             */
            input?: unknown;
            /**
             * Step Output
             * @description the value the step `step_id` returns in the new run instead of running
             */
            step_output?: unknown;
            /**
             * Step Id
             * @description the step `step_output` stands in for; default: the step that failed
             */
            step_id?: string | null;
            /**
             * Version
             * @description 'latest' (the newest upload), 'original' (the version the failed run ran on), or a version hash of the workflow
             * @default latest
             */
            version: string;
        };
        /**
         * RunKind
         * @description What a run is, as the dashboard tells them apart.
         * @enum {string}
         */
        RunKind: "workflow" | "job" | "dag";
        /** SchedulePreview */
        SchedulePreview: {
            /** Schedule */
            schedule: {
                [key: string]: unknown;
            };
            /** Description */
            description: string;
            /**
             * Fire Times
             * @description the next fire times, in the schedule's timezone (UTC if none)
             */
            fire_times: string[];
        };
        /** ScheduleRun */
        ScheduleRun: {
            /**
             * Fire Time
             * Format: date-time
             */
            fire_time: string;
            /**
             * Execution Id
             * @description None when skipped
             */
            execution_id?: string | null;
            /**
             * State
             * @description the run's state, or SKIPPED
             */
            state: string;
        };
        /** ScheduleView */
        ScheduleView: {
            /** Id */
            id: string;
            /** Name */
            name: string;
            /** Workflow */
            workflow: string;
            /** Input */
            input?: unknown;
            /**
             * Schedule
             * @description type cron/interval/once and its fields
             */
            schedule: {
                [key: string]: unknown;
            };
            /** Description */
            description: string;
            /** Overlap */
            overlap: string;
            /** Catchup */
            catchup: string;
            /** Catchup Limit */
            catchup_limit: number;
            /**
             * State
             * @description active or paused
             */
            state: string;
            /**
             * Source
             * @description api; workflow (an uploaded workflow's schedule=); dag (a JSON DAG's cron)
             */
            source: string;
            /**
             * Next Fire At
             * @description None: never again
             */
            next_fire_at?: string | null;
            /** Last Fire At */
            last_fire_at?: string | null;
            /** Last Execution Id */
            last_execution_id?: string | null;
            /**
             * Runs Started
             * @default 0
             */
            runs_started: number;
            /**
             * Runs Skipped
             * @default 0
             */
            runs_skipped: number;
            /** Last Error */
            last_error?: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
            /**
             * Recent Runs
             * @description newest first; only in GET /schedules/{id}
             */
            recent_runs?: components["schemas"]["ScheduleRun"][] | null;
        };
        /** SecretValue */
        SecretValue: {
            /** Name */
            name: string;
            /** Value */
            value: unknown;
        };
        /** SecretsReply */
        SecretsReply: {
            /** Values */
            values: {
                [key: string]: unknown;
            };
        };
        /** SecretsRequest */
        SecretsRequest: {
            /** Execution Id */
            execution_id: string;
            /** Epoch */
            epoch: number;
            /** Names */
            names: string[];
        };
        /** StepLog */
        StepLog: {
            /** Step Id */
            step_id: string;
            /** Text */
            text: string;
            /**
             * Updated At
             * Format: date-time
             */
            updated_at: string;
        };
        /** UpcomingFire */
        UpcomingFire: {
            /** Schedule Id */
            schedule_id: string;
            /** Name */
            name: string;
            /** Workflow */
            workflow: string;
            /**
             * Next Fire At
             * Format: date-time
             */
            next_fire_at: string;
        };
        /** ValidationError */
        ValidationError: {
            /** Location */
            loc: (string | number)[];
            /** Message */
            msg: string;
            /** Error Type */
            type: string;
            /** Input */
            input?: unknown;
            /** Context */
            ctx?: Record<string, never>;
        };
        /** WhoAmI */
        WhoAmI: {
            /**
             * Kind
             * @description key, anonymous or worker
             */
            kind: string;
            /** Name */
            name: string;
            /** Role */
            role: string;
            /** Key Id */
            key_id?: string | null;
            /**
             * Label
             * @description how logs and the audit name this caller
             */
            label: string;
        };
        /** WorkerRegistration */
        WorkerRegistration: {
            /** Name */
            name: string;
            resources: components["schemas"]["WorkerResources"];
            /** Packages */
            packages?: components["schemas"]["PackageInfo"][];
            /** Python Version */
            python_version: string;
            /** Platform */
            platform: string;
            /**
             * Max Concurrency
             * @default 100
             */
            max_concurrency: number;
        };
        /** WorkerResources */
        WorkerResources: {
            /** Cpu Total */
            cpu_total: number;
            /** Cpu Available */
            cpu_available: number;
            /**
             * Memory Total
             * @description bytes
             */
            memory_total: number;
            /**
             * Memory Available
             * @description bytes
             */
            memory_available: number;
            /**
             * Disk Total
             * @default 0
             */
            disk_total: number;
            /**
             * Disk Free
             * @default 0
             */
            disk_free: number;
            /** Gpus */
            gpus?: components["schemas"]["GPUInfo"][];
            /**
             * Runtimes
             * @description script runtimes for jobs: family (python, node, bash) -> versions
             */
            runtimes?: {
                [key: string]: string[];
            };
            /**
             * Sandbox
             * @description how the worker isolates jobs
             */
            sandbox?: string | null;
        };
        /** WorkerStatus */
        WorkerStatus: {
            /** Name */
            name: string;
            /**
             * Status
             * @description 'connected' while its event stream is open, 'disconnected' after
             */
            status: string;
            /**
             * Resources
             * @description last report: cpu, memory, disk, gpus
             */
            resources: {
                [key: string]: unknown;
            };
            /**
             * Packages
             * @description how many Python packages it reported
             */
            packages: number;
            /** Python Version */
            python_version: string;
            /** Platform */
            platform: string;
            /** Max Concurrency */
            max_concurrency: number;
            /**
             * Registered At
             * Format: date-time
             */
            registered_at: string;
            /**
             * Last Seen At
             * Format: date-time
             */
            last_seen_at: string;
            /**
             * Healthy
             * @description connected and heard from within 3 lease lifetimes
             */
            healthy: boolean;
            /** Seconds Since Seen */
            seconds_since_seen: number;
            /**
             * Running
             * @description top-level runs it holds now
             */
            running: components["schemas"]["HeldRun"][];
        };
        /** WorkerView */
        WorkerView: {
            /** Name */
            name: string;
            /**
             * Status
             * @description 'connected' while its event stream is open, 'disconnected' after
             */
            status: string;
            /**
             * Resources
             * @description last report: cpu, memory, disk, gpus
             */
            resources: {
                [key: string]: unknown;
            };
            /**
             * Packages
             * @description how many Python packages it reported
             */
            packages: number;
            /** Python Version */
            python_version: string;
            /** Platform */
            platform: string;
            /** Max Concurrency */
            max_concurrency: number;
            /**
             * Registered At
             * Format: date-time
             */
            registered_at: string;
            /**
             * Last Seen At
             * Format: date-time
             */
            last_seen_at: string;
        };
        /** WorkflowDetail */
        WorkflowDetail: {
            /** Name */
            name: string;
            /**
             * Version
             * @description sha256 of the uploaded file, hex
             */
            version: string;
            /** Filename */
            filename?: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Secret Requests */
            secret_requests?: string[];
            /**
             * Requests
             * @description ResourceRequest given with workflow.with_options(requests=...)
             */
            requests?: {
                [key: string]: unknown;
            } | null;
            /** Schedule */
            schedule?: {
                [key: string]: unknown;
            } | null;
            /**
             * Limits
             * @description concurrency, concurrency_key, rate_limit, rate_limit_key as declared
             */
            limits?: {
                [key: string]: unknown;
            } | null;
            /**
             * Priority
             * @description the default priority of its runs
             * @default 0
             */
            priority: number;
            /**
             * Versions
             * @description newest first
             */
            versions?: string[];
            /** Source */
            source?: string | null;
        };
        /** WorkflowInfo */
        WorkflowInfo: {
            /** Name */
            name: string;
            /**
             * Version
             * @description sha256 of the uploaded file, hex
             */
            version: string;
            /** Filename */
            filename?: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Secret Requests */
            secret_requests?: string[];
            /**
             * Requests
             * @description ResourceRequest given with workflow.with_options(requests=...)
             */
            requests?: {
                [key: string]: unknown;
            } | null;
            /** Schedule */
            schedule?: {
                [key: string]: unknown;
            } | null;
            /**
             * Limits
             * @description concurrency, concurrency_key, rate_limit, rate_limit_key as declared
             */
            limits?: {
                [key: string]: unknown;
            } | null;
            /**
             * Priority
             * @description the default priority of its runs
             * @default 0
             */
            priority: number;
        };
        /**
         * WorkflowLimits
         * @description What a workflow's latest upload declares.
         */
        WorkflowLimits: {
            /** Workflow Name */
            workflow_name: string;
            /**
             * Priority
             * @default 0
             */
            priority: number;
            /** Concurrency */
            concurrency?: number | null;
            /** Concurrency Key */
            concurrency_key?: string | null;
            /** Rate Limit */
            rate_limit?: string | null;
            /** Rate Limit Key */
            rate_limit_key?: string | null;
        };
        /** WorkflowSource */
        WorkflowSource: {
            /** Name */
            name: string;
            /** Version */
            version: string;
            /** Filename */
            filename: string | null;
            /** Source */
            source: string;
        };
        /** ErrorDetail */
        ErrorDetail: {
            /** Detail */
            detail: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    overview_stats_overview_get: {
        parameters: {
            query?: {
                minutes?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Overview"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    workers_stats_workers_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkerStatus"][];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    search_executions_executions_search_get: {
        parameters: {
            query?: {
                workflow?: string | null;
                state?: components["schemas"]["ExecutionState"][] | null;
                kind?: components["schemas"]["RunKind"] | null;
                /** @description created at or after */
                since?: string | null;
                /** @description created before */
                until?: string | null;
                /** @description leave out subworkflow runs */
                top_level?: boolean;
                /** @description only this run's subworkflow runs */
                parent?: string | null;
                limit?: number;
                /** @description the previous page's next_cursor */
                cursor?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionPage"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    live_executions_executions_live_get: {
        parameters: {
            query?: {
                /** @description only runs of this workflow */
                workflow?: string | null;
                /** @description only this run; adds `output` events when it prints */
                execution_id?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    execution_logs_executions__execution_id__logs_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionLogs"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    submit_dag_workflows_submit_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    name?: string;
                    /** @example 0 9 * * * */
                    cron?: string;
                    /** @example Europe/Lisbon */
                    timezone?: string;
                    input?: unknown;
                    nodes: {
                        id: string;
                        jobName?: string;
                        runtime: string;
                        handler: string;
                        dependencies?: string[];
                        codeDependencies?: string[];
                        maxRetries?: number;
                    }[];
                };
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DagSubmitted"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    dag_run_workflows_runs__run_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                run_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DagRunEnvelope"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    list_workflows_workflows_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowInfo"][];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    upload_workflows_workflows_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /** Format: binary */
                    file: string;
                };
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowInfo"][];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Request Entity Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    show_workflow_workflows__name__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowDetail"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    run_workflow_workflows__name__run__mode__post: {
        parameters: {
            query?: {
                detailed?: boolean;
                priority?: number | null;
            };
            header?: {
                /** @description a key this server has seen answers with what it started then (marked `Idempotent-Replayed: true`) instead of starting another */
                "Idempotency-Key"?: string;
            };
            path: {
                name: string;
                mode: components["schemas"]["Mode"];
            };
            cookie?: never;
        };
        /** @description the input: any JSON value (an empty body means null) */
        requestBody?: {
            content: {
                "application/json": unknown;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                    "text/event-stream": unknown;
                };
            };
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    resume_workflow_workflows__name__resume__execution_id___mode__post: {
        parameters: {
            query?: {
                detailed?: boolean;
            };
            header?: never;
            path: {
                name: string;
                execution_id: string;
                mode: components["schemas"]["Mode"];
            };
            cookie?: never;
        };
        /** @description the input: any JSON value (an empty body means null) */
        requestBody?: {
            content: {
                "application/json": unknown;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                    "text/event-stream": unknown;
                };
            };
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    execution_status_workflows__name__status__execution_id__get: {
        parameters: {
            query?: {
                detailed?: boolean;
            };
            header?: never;
            path: {
                name: string;
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    cancel_execution_workflows__name__cancel__execution_id__get: {
        parameters: {
            query?: {
                mode?: components["schemas"]["CancelMode"];
            };
            header?: never;
            path: {
                name: string;
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    submit_job_jobs_submit_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description a key this server has seen answers with what it started then (marked `Idempotent-Replayed: true`) instead of starting another */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /** Format: binary */
                    script: string;
                    /** @example node:18 */
                    runtime: string;
                    name?: string;
                    /** @description JSON */
                    payload?: string;
                    /** @description JSON array */
                    dependencies?: string;
                    /** Format: date-time */
                    runAt?: string;
                    maxRetries?: number;
                    type?: string;
                    timeout?: number;
                    /** @example 256Mi */
                    memory?: string;
                    cpuSeconds?: number;
                    maxProcesses?: number;
                    network?: boolean;
                    priority?: number;
                    /** @description jobs with the same key run `concurrency` at once */
                    concurrencyKey?: string;
                    /** @default 1 */
                    concurrency?: number;
                    /** @description JSON array of secret names, passed as env vars */
                    secrets?: string;
                };
                "application/json": {
                    script: string;
                    filename?: string;
                    runtime: string;
                    payload?: unknown;
                    dependencies?: string[];
                    secrets?: string[];
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobSubmitted"];
                };
            };
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobSubmitted"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Request Entity Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    list_jobs_jobs_get: {
        parameters: {
            query?: {
                state?: components["schemas"]["JobState"] | null;
                name?: string | null;
                type?: string | null;
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobList"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    get_job_jobs__job_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobEnvelope"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    cancel_job_jobs__job_id__cancel_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobEnvelope"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    job_logs_jobs__job_id__logs_get: {
        parameters: {
            query?: {
                follow?: boolean;
            };
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "text/plain": string;
                    "text/event-stream": unknown;
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    list_executions_executions_get: {
        parameters: {
            query?: {
                workflow?: string | null;
                state?: components["schemas"]["ExecutionState"] | null;
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionList"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    show_execution_executions__execution_id__get: {
        parameters: {
            query?: {
                detailed?: boolean;
            };
            header?: never;
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    rerun_execution_executions__execution_id__rerun_post: {
        parameters: {
            query?: {
                mode?: components["schemas"]["RerunMode"];
                detailed?: boolean;
            };
            header?: {
                /** @description a key this server has seen answers with what it started then (marked `Idempotent-Replayed: true`) instead of starting another */
                "Idempotency-Key"?: string;
            };
            path: {
                execution_id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RerunRequest"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExecutionView"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    list_workers_workers_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkerView"][];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    register_workers_register_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WorkerRegistration"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Registration"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    connect_workers__name__connect_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    claim_workers__name__claim__execution_id__post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                execution_id: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Claim"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    claim_next_workers__name__claim_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ClaimNext"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ClaimBatch"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    child_execution_workers__name__executions_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChildExecution"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Claim"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    latest_workflow_source_workers__name__workflows__workflow__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                workflow: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowSource"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    workflow_source_workers__name__workflows__workflow___version__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                workflow: string;
                version: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkflowSource"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    checkpoint_workers__name__checkpoint__execution_id__post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                execution_id: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Checkpoint"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    checkpoints_workers__name__checkpoints_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CheckpointBatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CheckpointBatchReply"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    logs_workers__name__logs_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LogBatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    heartbeat_workers__name__heartbeat_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Heartbeat"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HeartbeatReply"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    release_workers__name__release__execution_id__post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                execution_id: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Release"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    worker_secrets_workers__name__secrets_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecretsRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretsReply"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    cache_get_workers__name__cache_get_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CacheLookup"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CacheEntry-Output"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    cache_set_workers__name__cache_put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CacheEntry-Input"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    disconnect_workers__name__disconnect_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    get_output_workers__name__outputs__digest__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                digest: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "application/octet-stream": unknown;
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    put_output_workers__name__outputs__digest__put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                digest: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Unauthorized */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Forbidden */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Request Entity Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    list_secrets_admin_secrets_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": string[];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    set_secret_admin_secrets_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SecretValue"];
            };
        };
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    get_secret_admin_secrets__name__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SecretValue"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    delete_secret_admin_secrets__name__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    health_health_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
    ready_ready_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description the database does not answer */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    metrics_metrics_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    list_schedules_schedules_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"][];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    create_schedule_schedules_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * Name
                     * @description unique; the schedule can be addressed by it
                     */
                    name: string;
                    /**
                     * Workflow
                     * @description an uploaded workflow, or a built-in such as flux.job
                     */
                    workflow: string;
                    /**
                     * Input
                     * @description the input each run gets (JSON)
                     */
                    input?: unknown;
                    /**
                     * Cron
                     * @description 5 fields, e.g. '0 9 * * 1-5'
                     */
                    cron?: string | null;
                    /**
                     * Timezone
                     * @description IANA name for cron (default UTC)
                     */
                    timezone?: string | null;
                    /**
                     * Interval Seconds
                     * @description every N seconds
                     */
                    interval_seconds?: number | null;
                    /**
                     * Once At
                     * @description ISO-8601 time; UTC without offset
                     */
                    once_at?: string | null;
                    /**
                     * Overlap
                     * @description skip | allow
                     * @default skip
                     */
                    overlap?: string;
                    /**
                     * Catchup
                     * @description skip | latest | all
                     * @default latest
                     */
                    catchup?: string;
                    /**
                     * Catchup Limit
                     * @description runs started at most by catch-up all
                     * @default 100
                     */
                    catchup_limit?: number;
                };
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    preview_spec_schedules_preview_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** Cron */
                    cron?: string | null;
                    /** Timezone */
                    timezone?: string | null;
                    /** Interval Seconds */
                    interval_seconds?: number | null;
                    /** Once At */
                    once_at?: string | null;
                    /**
                     * Count
                     * @default 10
                     */
                    count?: number;
                };
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SchedulePreview"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    get_schedule_schedules__key__get: {
        parameters: {
            query?: {
                /** @description how many recent fires to show */
                runs?: number;
            };
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    delete_schedule_schedules__key__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    pause_schedule_schedules__key__pause_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    resume_schedule_schedules__key__resume_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ScheduleView"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    preview_schedule_schedules__key__preview_get: {
        parameters: {
            query?: {
                /** @description how many fire times */
                count?: number;
            };
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SchedulePreview"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    list_limits_limits_get: {
        parameters: {
            query?: {
                workflow?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LimitList"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    list_audit_audit_get: {
        parameters: {
            query?: {
                /** @description contained in the actor, any case */
                actor?: string | null;
                /** @description exact, or a family: 'secret' is secret.* */
                action?: string | null;
                target?: string | null;
                /** @description inclusive, ISO 8601 */
                since?: string | null;
                /** @description exclusive, ISO 8601 */
                until?: string | null;
                /** @description a page's next_cursor */
                cursor?: string | null;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    whoami_auth_whoami_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WhoAmI"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    list_keys_auth_keys_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyView"][];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
        };
    };
    create_key_auth_keys_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApiKeyCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyCreated"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The request body is over its size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    revoke_key_auth_keys__key_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyView"];
                };
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
    revoke_worker_workers__name__revoke_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No key, or a wrong, revoked or expired one */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description The key's role may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorDetail"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
        };
    };
}
