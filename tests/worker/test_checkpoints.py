"""Group commit across runs: one request per round trip, whatever the number of runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from flux.api.worker_protocol import (
    Checkpoint,
    CheckpointBatch,
    CheckpointBatchReply,
    CheckpointResult,
    EventRecord,
)
from flux.domain.events import ExecutionState
from flux.worker.checkpoints import CheckpointBatcher


def _checkpoint(seq: int, state: ExecutionState | None = None, epoch: int = 1) -> Checkpoint:
    event = EventRecord(
        seq=seq, id=f"e{seq}", type="TASK_STARTED", source_id="1", name="t", time=datetime.now(UTC)
    )
    return Checkpoint(epoch=epoch, events=[event], state=state)


class Recorder:
    def __init__(self, delay: float = 0.0, refuse: set[str] | None = None):
        self.batches: list[CheckpointBatch] = []
        self.delay = delay
        self.refuse = refuse or set()

    async def send(self, batch: CheckpointBatch) -> CheckpointBatchReply:
        self.batches.append(batch)
        await asyncio.sleep(self.delay)
        return CheckpointBatchReply(
            results=[
                CheckpointResult(
                    execution_id=item.execution_id,
                    ok=item.execution_id not in self.refuse,
                    status=409 if item.execution_id in self.refuse else 204,
                )
                for item in batch.items
            ]
        )


async def test_appends_of_one_turn_share_one_request() -> None:
    recorder = Recorder()
    batcher = CheckpointBatcher(recorder.send)
    results = await asyncio.gather(*(batcher.submit(f"run{i}", _checkpoint(0)) for i in range(50)))
    assert len(recorder.batches) == 1
    assert len(recorder.batches[0].items) == 50
    assert all(r.ok for r in results)


async def test_appends_of_one_run_merge_in_order() -> None:
    recorder = Recorder()
    batcher = CheckpointBatcher(recorder.send)
    await asyncio.gather(
        batcher.submit("run", _checkpoint(0)),
        batcher.submit("run", _checkpoint(1, ExecutionState.RUNNING)),
        batcher.submit("run", _checkpoint(2)),
    )
    (item,) = recorder.batches[0].items
    assert [e.seq for e in item.checkpoint.events] == [0, 1, 2]
    assert item.checkpoint.state is ExecutionState.RUNNING


async def test_appends_during_a_round_trip_leave_together_next() -> None:
    recorder = Recorder(delay=0.02)
    batcher = CheckpointBatcher(recorder.send)
    first = asyncio.ensure_future(batcher.submit("a", _checkpoint(0)))
    await asyncio.sleep(0.005)  # the first batch is on the wire now
    rest = [asyncio.ensure_future(batcher.submit(f"r{i}", _checkpoint(0))) for i in range(10)]
    await asyncio.gather(first, *rest)
    assert [len(b.items) for b in recorder.batches] == [1, 10]


async def test_results_are_per_run() -> None:
    recorder = Recorder(refuse={"lost"})
    batcher = CheckpointBatcher(recorder.send)
    ok, lost = await asyncio.gather(
        batcher.submit("fine", _checkpoint(0)), batcher.submit("lost", _checkpoint(0))
    )
    assert ok.ok and not lost.ok and lost.status == 409


async def test_a_failed_request_fails_every_run_in_it() -> None:
    async def broken(batch: CheckpointBatch) -> CheckpointBatchReply:
        raise ConnectionError("down")

    batcher = CheckpointBatcher(broken)
    outcomes = await asyncio.gather(
        batcher.submit("a", _checkpoint(0)),
        batcher.submit("b", _checkpoint(0)),
        return_exceptions=True,
    )
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    # The batcher recovers: the next append is sent normally.
    recorder = Recorder()
    batcher._send = recorder.send
    assert (await batcher.submit("c", _checkpoint(0))).ok


async def test_a_cancelled_waiter_does_not_lose_the_others() -> None:
    recorder = Recorder(delay=0.02)
    batcher = CheckpointBatcher(recorder.send)
    cancelled = asyncio.ensure_future(batcher.submit("run", _checkpoint(0)))
    kept = asyncio.ensure_future(batcher.submit("run", _checkpoint(1)))
    await asyncio.sleep(0.005)
    cancelled.cancel()
    assert (await kept).ok
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await batcher.drain()
