"""A test harness for your own workflows: inline runs on an in-memory store, virtual time,
fault injection and simulated crashes. See docs/testing.md.

    from flux.testing import harness

    with harness() as h:
        result = h.run(my_workflow, "input")
        assert result.succeeded
"""

from flux.testing.faults import Call, Fault
from flux.testing.harness import Harness, HarnessStore, harness
from flux.testing.loop import VirtualClock, VirtualTimeLoop
from flux.testing.process import SimulatedCrash
from flux.testing.results import Attempt, RunResult, StepRecord
from flux.testing.schedules import Fire, ScheduledWorkflow, fire_times

__all__ = [
    "Attempt",
    "Call",
    "Fault",
    "Fire",
    "Harness",
    "HarnessStore",
    "RunResult",
    "ScheduledWorkflow",
    "SimulatedCrash",
    "StepRecord",
    "VirtualClock",
    "VirtualTimeLoop",
    "fire_times",
    "harness",
]
