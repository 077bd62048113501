"""The configured serializer end to end, and a tampered row met by replay."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import psycopg
import pytest

from flux import ExecutionContext, task, workflow
from flux.config import Configuration
from flux.errors import TamperedDataError
from flux.tasks import now, pause


@task
async def stamp(label: str) -> dict[str, object]:
    return {"label": label, "at": await now()}


@workflow
async def json_friendly(ctx: ExecutionContext[str]) -> dict[str, object]:
    value = await stamp(ctx.input)
    answer = await pause("confirm")
    return {**value, "answer": answer}


def test_json_serializer_runs_pauses_and_resumes(flux_config: Configuration) -> None:
    flux_config.override(serializer="json")
    ctx = json_friendly.run("j")
    assert ctx.is_paused
    done = json_friendly.resume(ctx.execution_id, {"ok": True})
    assert done.output["label"] == "j" and done.output["answer"] == {"ok": True}
    assert isinstance(done.output["at"], datetime)


def _flip_last_byte_of_task_output(database_url: str, execution_id: str) -> None:
    """Edit the database behind Flux's back, as an attacker with write access would."""
    select = "SELECT seq, value FROM events WHERE execution_id = {p} AND type = 'TASK_COMPLETED'"
    update = "UPDATE events SET value = {p} WHERE execution_id = {p} AND seq = {p}"
    if database_url.startswith("sqlite"):
        conn: Any = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        mark = "?"
    else:
        conn = psycopg.connect(database_url)
        mark = "%s"
    with conn:
        seq, value = conn.execute(select.format(p=mark), (execution_id,)).fetchone()
        forged = bytes(value[:-1]) + bytes([value[-1] ^ 1])
        conn.execute(update.format(p=mark), (forged, execution_id, seq))
    conn.close()


def test_a_tampered_row_is_refused_on_replay(database_url: str) -> None:
    ctx = json_friendly.run("t")
    _flip_last_byte_of_task_output(database_url, ctx.execution_id)
    with pytest.raises(TamperedDataError):
        json_friendly.resume(ctx.execution_id, "go")
