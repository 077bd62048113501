"""`/schedules` through a real server (SQLite and PostgreSQL): an interval schedule fires
real runs of an uploaded workflow, pause stops it, and bad input is a 400 that stores
nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

HELLO = b"""
from flux import workflow

@workflow
async def hello(ctx):
    return f"hello {ctx.input}"
"""


async def _runs(client: httpx.AsyncClient) -> int:
    page = (await client.get("/executions", params={"workflow": "hello"})).json()
    count: int = page["count"]
    return count


async def _until(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_an_interval_schedule_fires_runs_until_paused(client: httpx.AsyncClient) -> None:
    await client.post("/workflows", files={"file": ("hello.py", HELLO, "text/x-python")})
    body = {
        "name": "greeter",
        "workflow": "hello",
        "input": "world",
        "interval_seconds": 1,
        "overlap": "allow",
    }

    created = await client.post("/schedules", json=body)

    assert created.status_code == 201, created.text
    view = created.json()
    assert (view["state"], view["source"], view["description"]) == ("active", "api", "every 1 s")

    async def two_runs() -> bool:
        return await _runs(client) >= 2

    await _until(two_runs)
    shown = (await client.get("/schedules/greeter")).json()
    assert shown["runs_started"] >= 2
    run = shown["recent_runs"][0]
    one = (await client.get(f"/executions/{run['execution_id']}")).json()
    assert (one["workflow_name"], one["input"]) == ("hello", "world")
    # How late runs start after their fire times is a Prometheus histogram.
    metrics = (await client.get("/metrics")).text
    lag_count = next(
        line for line in metrics.splitlines() if line.startswith("flux_schedule_lag_seconds_count")
    )
    assert float(lag_count.split()[-1]) >= 2

    paused = await client.post(f"/schedules/{view['id']}/pause")
    assert paused.json()["state"] == "paused"
    settled = await _runs(client)
    await asyncio.sleep(2.5)
    assert await _runs(client) == settled

    listed = (await client.get("/schedules")).json()
    assert [(s["name"], s["state"]) for s in listed] == [("greeter", "paused")]
    resumed = (await client.post("/schedules/greeter/resume")).json()
    assert resumed["state"] == "active" and resumed["next_fire_at"] is not None
    preview = (await client.get("/schedules/greeter/preview", params={"count": 3})).json()
    assert len(preview["fire_times"]) == 3
    assert (await client.delete("/schedules/greeter")).status_code == 204
    assert (await client.get("/schedules/greeter")).status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cron": "*/0 * * * *"}, "malformed cron expression"),
        ({"cron": "61 * * * *"}, "malformed cron expression"),
        ({"cron": "0 0 30 2 *"}, "never fires"),
        ({"cron": "0 9 * * *", "timezone": "Mars/Olympus_Mons"}, "unknown timezone"),
        ({"cron": "0 9 * * *", "catchup": "everything"}, "'catchup' must be one of"),
        ({"interval_seconds": "soon"}, "'interval_seconds' must be a number"),
    ],
)
async def test_bad_schedules_are_400_and_nothing_is_stored(
    client: httpx.AsyncClient, changes: dict[str, Any], message: str
) -> None:
    await client.post("/workflows", files={"file": ("hello.py", HELLO, "text/x-python")})
    body = {"name": "bad", "workflow": "hello", **changes}

    answer = await client.post("/schedules", json=body)

    assert answer.status_code == 400
    assert message in answer.json()["detail"]
    assert (await client.get("/schedules")).json() == []


async def test_unknown_things_duplicates_and_previews(client: httpx.AsyncClient) -> None:
    await client.post("/workflows", files={"file": ("hello.py", HELLO, "text/x-python")})
    body = {"name": "daily", "workflow": "hello", "cron": "0 9 * * *"}

    unknown = await client.post("/schedules", json={**body, "workflow": "nope"})
    first = await client.post("/schedules", json=body)
    again = await client.post("/schedules", json=body)
    not_json = await client.post(
        "/schedules", content=b"{", headers={"Content-Type": "application/json"}
    )
    preview = await client.post(
        "/schedules/preview",
        json={"cron": "30 2 * * *", "timezone": "America/New_York", "count": 400},
    )

    assert unknown.status_code == 404 and "workflow 'nope' not found" in unknown.text
    assert first.status_code == 201 and again.status_code == 409
    assert not_json.status_code == 400
    assert (await client.post("/schedules/nope/pause")).status_code == 404
    assert (await client.delete("/schedules/nope")).status_code == 404
    assert preview.status_code == 200
    # Within 400 days New York springs forward once: that day 02:30 does not exist.
    local = [t[11:] for t in preview.json()["fire_times"]]
    assert local.count("03:00:00-04:00") == 1
    assert {t for t in local if not t.startswith("03")} == {"02:30:00-04:00", "02:30:00-05:00"}
    assert len((await client.get("/schedules")).json()) == 1
