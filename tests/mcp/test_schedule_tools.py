"""Schedules through the MCP tools: create, list, preview, pause, resume, delete, and one
that really fires."""

from __future__ import annotations

import time
from datetime import datetime

import anyio
import pytest

from tests.mcp.conftest import call, call_error, streamable_http_session

pytestmark = pytest.mark.slow


async def test_create_list_preview_pause_resume_delete(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        created = await call(
            session,
            "create_schedule",
            name="mcp-weekday-mornings",
            workflow_name="hello_world",
            cron="0 9 * * 1-5",
            timezone="Europe/Lisbon",
            input="team",
        )
        listed = await call(session, "list_schedules")
        preview = await call(session, "preview_schedule", schedule="mcp-weekday-mornings", count=3)
        paused = await call(session, "pause_schedule", schedule=created["id"])
        resumed = await call(session, "resume_schedule", schedule="mcp-weekday-mornings")
        deleted = await call(session, "delete_schedule", schedule="mcp-weekday-mornings")
        gone = await call_error(session, "pause_schedule", schedule="mcp-weekday-mornings")
    assert (created["name"], created["workflow"], created["input"]) == (
        "mcp-weekday-mornings",
        "hello_world",
        "team",
    )
    assert created["state"] == "active" and created["source"] == "api"
    assert created["id"].startswith("sch-") and created["next_fire_at"]
    assert created["id"] in {s["id"] for s in listed["schedules"]}
    times = [datetime.fromisoformat(t) for t in preview["fire_times"]]
    assert len(times) == 3 and all(
        (t.hour, t.minute, t.weekday() < 5) == (9, 0, True) for t in times
    )
    assert paused["state"] == "paused" and resumed["state"] == "active"
    assert deleted == {"deleted": "mcp-weekday-mornings"}
    assert "not found" in gone


async def test_preview_a_timing_without_storing_it(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        before = await call(session, "list_schedules")
        preview = await call(
            session, "preview_schedule", cron="30 2 * * *", timezone="America/New_York", count=2
        )
        interval = await call(session, "preview_schedule", interval_seconds=90, count=2)
        after = await call(session, "list_schedules")
    assert [datetime.fromisoformat(t).strftime("%H:%M") for t in preview["fire_times"]] == [
        "02:30",
        "02:30",
    ]
    assert preview["description"]
    first, second = (datetime.fromisoformat(t) for t in interval["fire_times"])
    assert (second - first).total_seconds() == 90
    assert before == after


async def test_schedule_refusals_are_tool_errors(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        bad_cron = await call_error(
            session, "create_schedule", name="bad", workflow_name="hello_world", cron="61 * * * *"
        )
        bad_zone = await call_error(
            session, "preview_schedule", cron="0 9 * * *", timezone="Mars/Olympus"
        )
        no_timing = await call_error(
            session, "create_schedule", name="none", workflow_name="hello_world"
        )
        unknown = await call_error(
            session, "create_schedule", name="x", workflow_name="no_such_flow", cron="0 9 * * *"
        )
        neither = await call_error(session, "preview_schedule")
        both = await call_error(session, "preview_schedule", schedule="x", cron="0 9 * * *")
        overlap = await call_error(
            session,
            "create_schedule",
            name="y",
            workflow_name="hello_world",
            cron="0 9 * * *",
            overlap="sometimes",
        )
    assert "invalid request" in bad_cron and "61 * * * *" in bad_cron
    assert "Mars/Olympus" in bad_zone
    assert "cron" in no_timing
    assert "no_such_flow" in unknown
    assert "give a stored schedule" in neither
    assert "not both" in both
    assert "overlap" in overlap


async def test_an_interval_schedule_starts_runs(mcp_url: str) -> None:
    async with streamable_http_session(mcp_url) as session:
        created = await call(
            session,
            "create_schedule",
            name="mcp-every-second",
            workflow_name="hello_world",
            interval_seconds=1,
            input="tick",
        )
        deadline = time.monotonic() + 30
        while True:
            listed = await call(session, "list_schedules")
            [schedule] = [s for s in listed["schedules"] if s["id"] == created["id"]]
            if schedule["runs_started"] >= 1 and schedule["last_execution_id"]:
                break
            assert time.monotonic() < deadline, schedule
            await anyio.sleep(0.1)
        run = await call(
            session, "get_execution_status", execution_id=schedule["last_execution_id"]
        )
        await call(session, "delete_schedule", schedule=created["id"])
    assert run["workflow_name"] == "hello_world" and run["input"] == "tick"
