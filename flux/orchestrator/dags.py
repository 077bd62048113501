"""`DagService`: JSON DAG workflows (`POST /workflows/submit`) and the node view of a run.

A DAG is stored in the workflow catalog like an uploaded file (name, content-hash version,
source = the canonical JSON definition, file name `*.dag.json`), so listing, versions, runs
(`POST /workflows/{name}/run/...`), status and schedules treat it like any workflow; the
worker builds its workflow object from the definition (`flux.jobs.dag`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flux.api.dags import DagNodeView, DagRunView, DagSubmitted
from flux.api.jobs import JobAttempt, JobState
from flux.domain.events import ExecutionEventType, ExecutionState, utcnow
from flux.errors import ExecutionNotFoundError
from flux.jobs.dag_spec import DagError, DagNode, check_name, parse_nodes
from flux.orchestrator.jobs import ATTEMPT_STEP, finished_attempt
from flux.orchestrator.schedules import ScheduleService, parse_schedule
from flux.orchestrator.service import Orchestrator
from flux.orchestrator.store import RunRow, WorkflowRow
from flux.secret_managers import missing_secrets

DAG_FILENAME = "workflow.dag.json"  # flux.jobs.dag.DAG_FILE_SUFFIX marks DAG sources
DAG_SCHEDULE_SOURCE = "dag"
_E = ExecutionEventType
_S = ExecutionState


class DagService:
    def __init__(self, orchestrator: Orchestrator, schedules: ScheduleService):
        self.orchestrator = orchestrator
        self.schedules = schedules
        self.core = orchestrator.core
        self.store = orchestrator.store

    async def submit(self, body: Any) -> DagSubmitted:
        """Validate the whole definition, store it, then run it now or, with `cron` (and
        an optional `timezone`), give it a schedule named after it instead. Re-submitting
        a name replaces the definition (a new version) and its schedule's timing; without
        `cron` the schedule an earlier submission made is removed."""
        if not isinstance(body, Mapping):
            raise DagError("the request body must be a JSON object with 'nodes'")
        name = check_name(body.get("name"))
        retries = body.get("maxRetries", self.core.settings.jobs.max_retries)
        nodes = parse_nodes(body.get("nodes"), retries if isinstance(retries, int) else 0)
        wanted = sorted({name for node in nodes for name in node.secrets})
        missing = await missing_secrets(self.store, wanted)
        if missing:
            raise DagError(f"unknown secret(s): {', '.join(missing)}")
        schedule = None
        if body.get("cron") is not None:
            # ScheduleError (400): malformed or impossible cron, unknown timezone.
            schedule = parse_schedule(
                {"cron": body["cron"], "timezone": body.get("timezone")}, utcnow()
            )
        elif body.get("timezone") is not None:
            raise DagError("'timezone' applies to 'cron' only")
        definition = json.dumps(
            {
                "nodes": [n.to_json() for n in nodes],
                "retryDelay": self.core.settings.jobs.retry_delay,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        version = hashlib.sha256(definition.encode()).hexdigest()
        name = name or f"dag-{uuid.uuid4().hex[:12]}"
        meta = {"kind": "dag", "nodes": len(nodes)}
        row = WorkflowRow(name, version, DAG_FILENAME, definition, json.dumps(meta), utcnow())
        if schedule is not None:
            # Refused (409) before anything is stored: that name is an API-made schedule's.
            await self.schedules.check_attachable(name, DAG_SCHEDULE_SOURCE)
        await self.store.save_workflows([row])
        attached = await self.schedules.attach(name, schedule, DAG_SCHEDULE_SOURCE)
        if attached is not None:
            return DagSubmitted(
                workflow_id=name,
                version=version,
                schedule_id=attached.id,
                next_fire_at=attached.next_fire_at,
            )
        run = await self.orchestrator.submit(name, body.get("input"))
        return DagSubmitted(workflow_id=name, version=version, run_id=run.execution.execution_id)

    async def run_view(self, run_id: str) -> DagRunView:
        run = await self.store.get_run(run_id, with_events=True)
        if run is None:
            raise ExecutionNotFoundError(run_id)
        row = run.execution
        catalog = await self.store.get_workflow(row.workflow_name, row.workflow_version)
        if catalog is None or catalog.filename != DAG_FILENAME:
            raise ExecutionNotFoundError(run_id)  # not a DAG run
        nodes = parse_nodes(json.loads(catalog.source)["nodes"], 0)
        decode = self.core.decoder.decode
        view = await self.orchestrator.view(run)
        return DagRunView(
            run_id=run_id,
            workflow_id=row.workflow_name,
            state=row.state.value,
            input=decode(row.input),
            output=view.output if row.state is _S.COMPLETED else None,
            error=view.error,
            created_at=row.created_at,
            updated_at=row.updated_at,
            nodes=[await self._node(run, node) for node in nodes],
        )

    async def _node(self, run: RunRow, node: DagNode) -> DagNodeView:
        prefix = f"0.{node.id}."
        decode = self.core.decoder.decode
        started: dict[str, datetime] = {}
        finished: dict[str, Any] = {}
        for event in run.execution.events:
            step = event.source_id
            if event.name != ATTEMPT_STEP or not step.startswith(prefix):
                continue
            if not step[len(prefix) :].isdigit():
                continue  # a step of a node whose id extends this one's ("a" vs "a.b")
            if event.type == _E.TASK_STARTED:
                started.setdefault(step, event.time)
            elif event.type == _E.TASK_COMPLETED:
                finished[step] = decode(event.value)
        attempts: list[JobAttempt] = []
        for number, (step, began) in enumerate(started.items(), start=1):
            record = finished.get(step)
            if isinstance(record, dict):
                attempts.append(finished_attempt(number, began, record))
            else:
                live = await self.store.read_logs(run.execution.execution_id, step)
                text = "".join(c.text for c in live)
                attempts.append(
                    JobAttempt(attempt=number, state=JobState.RUNNING, started_at=began, logs=text)
                )
        last = attempts[-1] if attempts else None
        return DagNodeView(
            id=node.id,
            job_name=node.job_name,
            runtime=node.runtime,
            dependencies=list(node.dependencies),
            state=_node_state(run.execution.state, node, attempts),
            output=last.output if last is not None and last.state is JobState.COMPLETED else None,
            exit_code=last.exit_code if last is not None else None,
            started_at=attempts[0].started_at if attempts else None,
            finished_at=last.finished_at if last is not None else None,
            logs=last.logs if last is not None else "",
            attempts=attempts,
        )


def _node_state(run_state: ExecutionState, node: DagNode, attempts: list[JobAttempt]) -> str:
    last = attempts[-1] if attempts else None
    if last is not None and last.state is JobState.COMPLETED:
        return "COMPLETED"
    if last is not None and last.state is JobState.RUNNING:
        return "CANCELLED" if run_state.is_terminal else "RUNNING"
    if last is not None:
        exhausted = len(attempts) > node.max_retries or (last.reason or "").startswith(
            "runtime unavailable"
        )
        if exhausted or run_state.is_terminal:
            return "FAILED"
        return "RUNNING"  # waiting for its next attempt
    if run_state is _S.CANCELLED:
        return "CANCELLED"
    return "SKIPPED" if run_state.is_terminal else "PENDING"
