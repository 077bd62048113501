"""Tools for schedules: start a workflow by cron, at an interval, or once at a time."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from flux.mcp.calls import CHANGES, DESTRUCTIVE, READ_ONLY, FluxCalls, data

ScheduleKey = Annotated[str, Field(description="The schedule's id (sch-...) or its name.")]
Cron = Annotated[
    str | None,
    Field(description="5-field cron expression, e.g. '0 9 * * 1-5' (09:00 on weekdays)."),
]
Timezone = Annotated[
    str | None,
    Field(description="IANA timezone the cron is read in, e.g. 'Europe/Lisbon'; default UTC."),
]
Interval = Annotated[float | None, Field(gt=0, description="Start a run every this many seconds.")]
OnceAt = Annotated[
    str | None,
    Field(description="ISO-8601 time of a single run, e.g. '2030-01-01T09:00:00+00:00'."),
]


def register(server: MCPServer[Any], flux: FluxCalls) -> None:
    client = flux.client

    @server.tool(annotations=READ_ONLY)
    async def list_schedules() -> dict[str, Any]:
        """List schedules: name, workflow, timing, state (active or paused), next and last
        fire time, runs started and skipped, the last error, and where each came from (api,
        a workflow's own schedule, a DAG's cron)."""
        schedules = await flux(client.list_schedules)
        return {"schedules": [data(s) for s in schedules]}

    @server.tool(annotations=CHANGES)
    async def create_schedule(
        name: Annotated[str, Field(description="Unique name; the other tools accept it.")],
        workflow_name: Annotated[
            str, Field(description="Registered workflow to start (or flux.job for a job).")
        ],
        cron: Cron = None,
        timezone: Timezone = None,
        interval_seconds: Interval = None,
        once_at: OnceAt = None,
        input: Annotated[Any, Field(description="JSON input every run gets.")] = None,
        overlap: Annotated[
            Literal["skip", "allow"],
            Field(description="skip: no new run while the previous one still runs."),
        ] = "skip",
        catchup: Annotated[
            Literal["skip", "latest", "all"],
            Field(
                description="Fire times missed while the server was down: run none, the "
                "latest, or all of them."
            ),
        ] = "latest",
    ) -> dict[str, Any]:
        """Create a schedule that starts a workflow. Give exactly one of cron (with an
        optional timezone), interval_seconds or once_at. Returns the schedule with its id
        and next_fire_at. Check an expression first with preview_schedule."""
        schedule = await flux(
            client.create_schedule,
            name,
            workflow_name,
            input=input,
            cron=cron,
            timezone=timezone,
            interval_seconds=interval_seconds,
            once_at=once_at,
            overlap=overlap,
            catchup=catchup,
        )
        return data(schedule)

    @server.tool(annotations=CHANGES)
    async def pause_schedule(schedule: ScheduleKey) -> dict[str, Any]:
        """Stop a schedule from starting runs until resume_schedule; runs already started
        go on."""
        return data(await flux(client.pause_schedule, schedule))

    @server.tool(annotations=CHANGES)
    async def resume_schedule(schedule: ScheduleKey) -> dict[str, Any]:
        """Let a paused schedule start runs again from now on; fire times that passed while
        it was paused are not caught up."""
        return data(await flux(client.resume_schedule, schedule))

    @server.tool(annotations=DESTRUCTIVE)
    async def delete_schedule(schedule: ScheduleKey) -> dict[str, Any]:
        """Delete a schedule; runs it already started are kept."""
        await flux(client.delete_schedule, schedule)
        return {"deleted": schedule}

    @server.tool(annotations=READ_ONLY)
    async def preview_schedule(
        schedule: Annotated[
            str | None,
            Field(description="A stored schedule's id or name; or leave it out and give a timing."),
        ] = None,
        cron: Cron = None,
        timezone: Timezone = None,
        interval_seconds: Interval = None,
        once_at: OnceAt = None,
        count: Annotated[int, Field(ge=1, le=100, description="How many fire times.")] = 10,
    ) -> dict[str, Any]:
        """The next fire times of a stored schedule, or of a timing (cron with timezone,
        interval_seconds or once_at) without storing anything, with a plain-words
        description. Times are in the schedule's timezone."""
        timing = {
            "cron": cron,
            "timezone": timezone,
            "interval_seconds": interval_seconds,
            "once_at": once_at,
        }
        given = {key: value for key, value in timing.items() if value is not None}
        if schedule is not None and given:
            raise ToolError(
                f"give either a stored schedule or a timing, not both ({', '.join(given)})"
            )
        if schedule is None and not given:
            raise ToolError(
                "give a stored schedule's id or name, or one of cron, interval_seconds, once_at"
            )
        preview = await flux(
            client.preview_schedule,
            schedule,
            count=count,
            cron=cron,
            timezone=timezone,
            interval_seconds=interval_seconds,
            once_at=once_at,
        )
        return data(preview)
