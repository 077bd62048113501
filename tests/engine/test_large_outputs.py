"""Large outputs in local mode, on SQLite and PostgreSQL: values over `outputs.inline_limit`
go to the output store (`<home>/outputs`), the event log keeps a signed reference, and every
reader (the run, `get`, replay, the server's display) sees the real value."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from flux import ExecutionContext, task, workflow
from flux.config import Configuration
from flux.errors import OutputMissingError, TamperedDataError
from flux.keyring import signing_key
from flux.orchestrator.retention import prune
from flux.orchestrator.values import DisplayDecoder
from flux.output_storage import InlineOutputStorage, LocalFileStorage
from flux.outputs.prune import prune_outputs
from flux.outputs.setup import configured_store, server_offloader
from flux.storage.factory import create_orchestrator_store
from flux.tasks import pause

MIB = 1024 * 1024
ran: list[str] = []


@task
async def make_blob(size: int, marker: str) -> bytes:
    ran.append(marker)
    # Unique bytes per call: PostgreSQL tests share a database, and a blob another test
    # still references would be kept by pruning.
    return marker.encode().ljust(size, b"x")


@workflow
async def big_output(ctx: ExecutionContext[dict[str, Any]]) -> dict[str, Any]:
    blob = await make_blob(ctx.input["size"], ctx.input["marker"])
    return {"size": len(blob), "head": blob[: len(ctx.input["marker"])]}


@workflow
async def big_then_pause(ctx: ExecutionContext[str]) -> int:
    blob = await make_blob(5 * MIB, ctx.input)
    answer = await pause("check")
    return len(blob) + len(answer)


@workflow
async def returns_big(ctx: ExecutionContext[str]) -> bytes:
    return await make_blob(MIB, ctx.input)


@workflow
async def echo_input(ctx: ExecutionContext[str]) -> int:
    return len(ctx.input)


@workflow.with_options(output_storage=InlineOutputStorage())
async def inline_only(ctx: ExecutionContext[str]) -> bytes:
    return await make_blob(MIB, ctx.input)


def _rows(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    if database_url.startswith("sqlite"):
        conn: Any = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        sql = sql.replace("%s", "?")
    else:
        conn = psycopg.connect(database_url)
    try:
        return [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in conn.execute(sql, params).fetchall()
        ]
    finally:
        conn.close()


def _event_values(database_url: str, execution_id: str, type: str) -> list[bytes]:
    sql = "SELECT value FROM events WHERE execution_id = %s AND type = %s ORDER BY seq"
    return [row[0] for row in _rows(database_url, sql, execution_id, type)]


def _blobs(home: Path) -> list[Path]:
    return sorted(p for p in (home / "outputs").rglob("*") if p.is_file())


def _marker() -> str:
    return f"m-{uuid.uuid4().hex}"


def test_a_5_mib_task_output_is_a_reference_in_the_log(database_url: str, tmp_path: Path) -> None:
    marker = _marker()
    ctx = big_output.run({"size": 5 * MIB, "marker": marker})
    assert ctx.output == {"size": 5 * MIB, "head": marker.encode()}

    (completed,) = _event_values(database_url, ctx.execution_id, "TASK_COMPLETED")
    assert completed[:1] == b"R" and len(completed) < 200  # a reference, not 5 MiB
    (blob,) = _blobs(tmp_path / ".flux")
    assert blob.stat().st_size > 5 * MIB
    # Small values stay where they were: the workflow's own output is a few bytes.
    (finished,) = _event_values(database_url, ctx.execution_id, "WORKFLOW_COMPLETED")
    assert finished[:1] == b"P"

    recorded = big_output.get(ctx.execution_id)
    task_value = next(e.value for e in recorded.events if e.type.value == "TASK_COMPLETED")
    assert task_value == marker.encode().ljust(5 * MIB, b"x")
    assert big_output.run(execution_id=ctx.execution_id).output == ctx.output


def test_replay_reads_the_stored_output_instead_of_running_the_step_again() -> None:
    marker = _marker()
    paused = big_then_pause.run(marker)
    assert paused.is_paused and ran.count(marker) == 1
    done = big_then_pause.resume(paused.execution_id, "ok")
    assert done.output == 5 * MIB + 2
    assert ran.count(marker) == 1  # the 5 MiB step was replayed from the store


def test_a_large_workflow_output_and_input(database_url: str) -> None:
    marker = _marker()
    ctx = returns_big.run(marker)
    assert ctx.output == marker.encode().ljust(MIB, b"x")
    sql = "SELECT output FROM executions WHERE execution_id = %s"
    ((output,),) = _rows(database_url, sql, ctx.execution_id)
    assert output[:1] == b"R"
    assert returns_big.get(ctx.execution_id).output == ctx.output

    text = marker * 20_000
    echoed = echo_input.run(text)
    ((stored,),) = _rows(
        database_url, "SELECT input FROM executions WHERE execution_id = %s", echoed.execution_id
    )
    assert stored[:1] == b"R"
    assert echo_input.get(echoed.execution_id).input == text


def test_values_stay_inline_under_the_limit_and_for_inline_storage(database_url: str) -> None:
    Configuration.get().override(outputs={"inline_limit": 4 * MIB})
    ctx = big_output.run({"size": MIB, "marker": _marker()})
    (completed,) = _event_values(database_url, ctx.execution_id, "TASK_COMPLETED")
    assert completed[:1] == b"P" and len(completed) > MIB

    Configuration.get().override(outputs={"inline_limit": 1024, "enabled": False})
    ctx = big_output.run({"size": MIB, "marker": _marker()})
    (completed,) = _event_values(database_url, ctx.execution_id, "TASK_COMPLETED")
    assert completed[:1] == b"P"

    Configuration.get().override(outputs={"enabled": True})
    ctx = inline_only.run(_marker())
    (completed,) = _event_values(database_url, ctx.execution_id, "TASK_COMPLETED")
    assert completed[:1] == b"P" and len(completed) > MIB


def test_a_workflow_can_keep_its_outputs_in_its_own_directory(
    database_url: str, tmp_path: Path
) -> None:
    own = tmp_path / "reports"

    @workflow.with_options(output_storage=LocalFileStorage(own, inline_limit=100))
    async def own_store(ctx: ExecutionContext[str]) -> str:
        return ctx.input * 50

    ctx = own_store.run("abc")
    assert [p.parent.parent for p in own.rglob("*") if p.is_file()] == [own]  # the output
    assert not (tmp_path / ".flux" / "outputs").exists()
    assert own_store.get(ctx.execution_id).output == "abc" * 50

    # A reader with only the configured store (a server on this machine) finds it: the
    # signed reference names the directory.
    settings = Configuration.get().settings
    decoder = DisplayDecoder(signing_key(settings), server_offloader(settings))
    sql = "SELECT output FROM executions WHERE execution_id = %s"
    ((output,),) = _rows(database_url, sql, ctx.execution_id)
    assert decoder.decode(output) == "abc" * 50


def test_a_changed_blob_or_reference_is_refused(database_url: str, tmp_path: Path) -> None:
    marker = _marker()
    paused = big_then_pause.run(marker)
    (blob,) = _blobs(tmp_path / ".flux")
    original = blob.read_bytes()
    blob.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(TamperedDataError, match="does not match its reference"):
        big_then_pause.resume(paused.execution_id, "go")

    blob.unlink()
    with pytest.raises(OutputMissingError):
        big_then_pause.get(paused.execution_id)

    blob.write_bytes(original)
    (reference,) = _event_values(database_url, paused.execution_id, "TASK_COMPLETED")
    forged = reference.replace(b'"size":', b'"size": ')
    sql = "UPDATE events SET value = %s WHERE execution_id = %s AND type = 'TASK_COMPLETED'"
    _execute(database_url, sql, forged, paused.execution_id)
    with pytest.raises(TamperedDataError, match="signature"):
        big_then_pause.get(paused.execution_id)
    assert ran.count(marker) == 1


def _execute(database_url: str, sql: str, *params: Any) -> None:
    if database_url.startswith("sqlite"):
        conn: Any = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        sql = sql.replace("%s", "?")
    else:
        conn = psycopg.connect(database_url)
    with conn:
        conn.execute(sql, params)
    conn.close()


def test_a_cached_large_value_is_served_from_the_store() -> None:
    calls: list[int] = []

    @task.with_options(cache=True)
    async def expensive(seed: str) -> bytes:
        calls.append(1)
        return seed.encode().ljust(MIB, b"c")

    @workflow
    async def cached(ctx: ExecutionContext[str]) -> int:
        return len(await expensive(ctx.input))

    seed = _marker()
    assert cached.run(seed).output == MIB
    assert cached.run(seed).output == MIB
    assert len(calls) == 1


def test_pruning_deletes_only_outputs_no_execution_references(
    database_url: str, tmp_path: Path
) -> None:
    @workflow
    async def doomed(ctx: ExecutionContext[str]) -> bytes:
        return await make_blob(MIB, ctx.input)

    gone, kept = doomed.run(_marker()), returns_big.run(_marker())
    assert len(_blobs(tmp_path / ".flux")) == 2
    settings = Configuration.get().settings
    store = configured_store(settings)

    async def prune_all(grace: float, dry_run: bool = False) -> Any:
        return await prune_outputs(database_url, store, grace=grace, dry_run=dry_run)

    async def forget_doomed() -> None:
        orchestrator = create_orchestrator_store(database_url)
        try:
            retention = settings.retention.model_copy(update={"days": 1e-9})
            await prune(orchestrator, retention, workflow="doomed")
        finally:
            await orchestrator.close()

    asyncio.run(forget_doomed())
    assert doomed_is_gone(database_url, gone.execution_id)
    recent = asyncio.run(prune_all(grace=3600))
    assert (recent.deleted, recent.recent) == (0, 1)  # too young to delete
    dry = asyncio.run(prune_all(grace=0, dry_run=True))
    assert dry.deleted == 1 and len(_blobs(tmp_path / ".flux")) == 2
    done = asyncio.run(prune_all(grace=0))
    assert done.deleted == 1 and done.referenced >= 1 and done.bytes > MIB
    assert len(_blobs(tmp_path / ".flux")) == 1
    assert returns_big.get(kept.execution_id).output[:2] == b"m-"


def doomed_is_gone(database_url: str, execution_id: str) -> bool:
    sql = "SELECT count(*) FROM executions WHERE execution_id = %s"
    return _rows(database_url, sql, execution_id) == [(0,)]
