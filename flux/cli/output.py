"""How the CLI shows the server's answers: aligned text for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click
from pydantic import BaseModel

from flux.api.models import EventView, ExecutionList, ExecutionView, WorkflowDetail, WorkflowInfo
from flux.client import StreamEvent

# Longer cells are cut so one huge value cannot wreck a table; `--format json` shows it whole.
_MAX_CELL = 60
_SHORT_VERSION = 12


def echo_json(value: BaseModel | Sequence[BaseModel] | Any) -> None:
    click.echo(json.dumps(_jsonable(value), indent=2, ensure_ascii=False))


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)  # the API's field names
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = [[_cut(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    lines = [headers, *cells]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def fields(pairs: Sequence[tuple[str, str]]) -> str:
    width = max(len(key) for key, _ in pairs)
    return "\n".join(f"{key.ljust(width)}  {value}" for key, value in pairs)


def _cut(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def when(moment: datetime) -> str:
    """In the reader's time zone; JSON output keeps the server's UTC timestamps."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def value_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def workflows_table(workflows: Sequence[WorkflowInfo]) -> str:
    rows = [
        (w.name, w.version[:_SHORT_VERSION], w.filename or "", when(w.created_at))
        for w in workflows
    ]
    return table(("NAME", "VERSION", "FILE", "REGISTERED"), rows)


def workflow_fields(workflow: WorkflowDetail) -> str:
    pairs = [
        ("name", workflow.name),
        ("version", workflow.version),
        ("file", workflow.filename or "-"),
        ("registered", when(workflow.created_at)),
        ("versions", ", ".join(v[:_SHORT_VERSION] for v in workflow.versions) or "-"),
        ("secrets", ", ".join(workflow.secret_requests) or "-"),
    ]
    if workflow.requests:
        pairs.append(("requests", value_text(workflow.requests)))
    if workflow.schedule:
        pairs.append(("schedule", value_text(workflow.schedule)))
    return fields(pairs)


def show_execution(view: ExecutionView, output_format: str) -> None:
    if output_format == "json":
        echo_json(view)
    else:
        click.echo(execution_fields(view))


def execution_fields(view: ExecutionView) -> str:
    pairs = [
        ("execution_id", view.execution_id),
        ("workflow", view.workflow_name),
        ("state", view.state.value),
        ("input", value_text(view.input)),
        ("output", value_text(view.output)),
    ]
    optional = [
        ("error", view.error),
        ("pending", view.pending_reason),
        ("worker", view.worker_name),
        ("parent", view.parent_execution_id),
        ("priority", str(view.priority) if view.priority else None),
        ("limits", ", ".join(view.limit_keys)),
        ("rerun of", view.rerun_of),
    ]
    pairs += [(key, text) for key, text in optional if text]
    pairs += [("created", when(view.created_at)), ("updated", when(view.updated_at))]
    text = fields(pairs)
    if view.events is not None:
        text += "\n\n" + events_table(view.events)
    return text


def events_table(events: Sequence[EventView]) -> str:
    rows = [(when(e.time), e.type, e.name, value_text(e.value)) for e in events]
    return table(("TIME", "TYPE", "NAME", "VALUE"), rows)


def executions_table(page: ExecutionList) -> str:
    rows = [
        (v.execution_id, v.workflow_name, v.state.value, when(v.created_at), when(v.updated_at))
        for v in page.executions
    ]
    return table(("EXECUTION_ID", "WORKFLOW", "STATE", "CREATED", "UPDATED"), rows)


def stream_event_line(event: StreamEvent, output_format: str) -> str:
    if output_format == "json":
        return json.dumps({"event": event.event, "data": event.data}, ensure_ascii=False)
    return f"{event.event}  {value_text(event.data)}"
