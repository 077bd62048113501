"""JSON DAG workflows: `POST /workflows/submit` and the node view of a run."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request, Response

from flux.api.dags import DagRunEnvelope, DagSubmitted
from flux.server import audit
from flux.server.errors import documented
from flux.server.state import Dags

router = APIRouter(prefix="/workflows", tags=["dags"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["nodes"],
                    "properties": {
                        "name": {"type": "string"},
                        "cron": {"type": "string", "example": "0 9 * * *"},
                        "timezone": {"type": "string", "example": "Europe/Lisbon"},
                        "input": {},
                        "nodes": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "runtime", "handler"],
                                "properties": {
                                    "id": {"type": "string"},
                                    "jobName": {"type": "string"},
                                    "runtime": {"type": "string"},
                                    "handler": {"type": "string"},
                                    "dependencies": {"type": "array", "items": {"type": "string"}},
                                    "codeDependencies": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                    },
                                    "maxRetries": {"type": "integer", "minimum": 0},
                                },
                            },
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/submit",
    status_code=201,
    response_model=DagSubmitted,
    responses=documented(400, 415),
    openapi_extra=_BODY,
)
async def submit_dag(request: Request, dags: Dags) -> Response:
    """Store a DAG of script nodes (validated first: ids, dependencies, cycles, runtimes)
    and run it now; answers with its workflow id and the run's id."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, "send the workflow as JSON (Content-Type: application/json)")
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"the request body is not valid JSON: {exc}") from None
    submitted = await dags.submit(body)
    audit.note(
        request,
        submitted.workflow_id,
        run_id=submitted.run_id,
        schedule_id=submitted.schedule_id,
    )
    return Response(
        submitted.model_dump_json(by_alias=True), status_code=201, media_type="application/json"
    )


@router.get("/runs/{run_id}", response_model=DagRunEnvelope, responses=documented(404))
async def dag_run(run_id: str, dags: Dags) -> Response:
    """A DAG run with each node's state, output, logs and attempts."""
    envelope = DagRunEnvelope(run=await dags.run_view(run_id))
    return Response(envelope.model_dump_json(by_alias=True), media_type="application/json")
