"""Without a harness nothing changes: the engine reads the machine's clock, with no hooks."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from flux import ExecutionContext, task, workflow
from flux.codec import Codec
from flux.engine.clock import SYSTEM_CLOCK, SystemClock
from flux.engine.engine import Engine
from flux.engine.runtime import Services
from flux.storage.memory import InMemoryStore
from flux.tasks import now


@task
async def noop() -> None:
    return None


@workflow
async def reads_now(ctx: ExecutionContext[None]) -> datetime:
    await noop()
    return await now()


class _NoSecrets:
    async def get(self, names: list[str]) -> dict[str, str]:
        return {}


def test_services_default_to_the_system_clock_and_no_hooks() -> None:
    services = Services(InMemoryStore(), Codec("pkl", os.urandom(32)), _NoSecrets())
    assert services.clock is SYSTEM_CLOCK and services.hooks is None
    assert isinstance(SYSTEM_CLOCK, SystemClock)
    assert abs(SYSTEM_CLOCK.time() - time.time()) < 1
    assert abs(SYSTEM_CLOCK.utcnow() - datetime.now(UTC)) < timedelta(seconds=1)


async def test_an_engine_without_a_harness_records_real_time() -> None:
    services = Services(InMemoryStore(), Codec("pkl", os.urandom(32)), _NoSecrets())
    before = datetime.now(UTC)
    ctx = await Engine(services).start(reads_now, None)
    after = datetime.now(UTC)
    assert ctx.has_succeeded
    assert all(before <= event.time <= after for event in ctx.events)
    assert before.astimezone().replace(tzinfo=None) <= ctx.output


async def test_now_outside_a_workflow_is_the_machines_time() -> None:
    assert abs(await now() - datetime.now()) < timedelta(seconds=1)
