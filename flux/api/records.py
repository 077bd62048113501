"""The engine's rows and the protocol's records, one into the other (used by the server's
worker gateway and by the worker's remote store).

The engine and its stores speak `EventRow` / `ExecutionRow` (bytes values, dataclasses); the
worker protocol speaks pydantic `EventRecord` / `ExecutionRecord` (base64 values on the wire).
"""

from __future__ import annotations

from collections.abc import Sequence

from flux.api.worker_protocol import EventRecord, ExecutionRecord
from flux.engine.store import EventRow, ExecutionRow


def to_event_row(execution_id: str, e: EventRecord) -> EventRow:
    return EventRow(execution_id, e.seq, e.id, e.type, e.source_id, e.name, e.value, e.time)


def to_row(record: ExecutionRecord, with_events: bool = True) -> ExecutionRow:
    events = [to_event_row(record.execution_id, e) for e in record.events]
    return ExecutionRow(
        record.execution_id,
        record.workflow_name,
        record.state,
        record.input,
        record.created_at,
        record.updated_at,
        workflow_version=record.workflow_version,
        parent_execution_id=record.parent_execution_id,
        requests=record.requests,
        events=events if with_events else [],
    )


def to_event_record(row: EventRow, offset: int = 0) -> EventRecord:
    # model_construct: these values come from the engine and are already of the right types;
    # validating every event again would cost more than encoding it.
    return EventRecord.model_construct(
        seq=row.seq + offset,
        id=row.id,
        type=row.type,
        source_id=row.source_id,
        name=row.name,
        value=row.value,
        time=row.time,
    )


def to_record(row: ExecutionRow, events: Sequence[EventRow]) -> ExecutionRecord:
    return ExecutionRecord(
        execution_id=row.execution_id,
        workflow_name=row.workflow_name,
        workflow_version=row.workflow_version,
        state=row.state,
        input=row.input,
        parent_execution_id=row.parent_execution_id,
        requests=row.requests,
        created_at=row.created_at,
        updated_at=row.updated_at,
        events=[to_event_record(e) for e in events],
    )
