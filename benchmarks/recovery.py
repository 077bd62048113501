"""P7: a worker SIGKILLed in the middle of a step; how soon the run goes on elsewhere.

Two workers are connected. ``recover`` (workloads/server.py) runs three steps; step 2
sleeps on its first attempt. Once step 2 has been running for ``KILL_AFTER_S``, the worker
holding the run is SIGKILLed together with its process group (any runner child too), as a
machine loss would. Timed, on the one wall clock that the suite and the steps share:

- restart: SIGKILL -> step 2's body starting again on the surviving worker (the first thing
  the run does that needs the other worker to hold it and to have replayed step 1);
- completed: SIGKILL -> the status endpoint first showing COMPLETED (polled every 20 ms).

Checked: output [1, 2, 3]; steps 1 and 3 ran exactly once (step 1 had finished before the
kill, so running it again would double its side effect); step 2 restarted on the other
worker. The survivor and a fresh worker form the next trial's pair.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cluster import Cluster
from benchmarks.harness import Settings, WorkloadFailed
from benchmarks.report import ERROR, TIMEOUT, WRONG, Cell, Row, Target

KILL_AFTER_S = 0.5
# Longer than any recovery here: only the first attempt sleeps, and it is killed.
STEP2_SLEEP_S = 300.0
# Stop repeating once this much time went into P7 (flux-core takes about a minute a trial).
REPEAT_BUDGET_S = 45.0
STATUS_POLL_S = 0.02
FILE_POLL_S = 0.002
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def rows() -> dict[str, Row]:
    return {
        "p7_restart": Row(
            "P7", "SIGKILL mid-step -> step restarted on other worker", "s", Target("<=", 1.0)
        ),
        "p7_done": Row("P7", "SIGKILL mid-step -> run COMPLETED", "s"),
    }


@dataclass(frozen=True)
class Step:
    name: str
    worker: str
    at: float


@dataclass(frozen=True)
class Deadline:
    limit_s: float
    at: float

    @classmethod
    def after(cls, limit_s: float) -> Deadline:
        return cls(limit_s, time.monotonic() + limit_s)

    def open(self) -> bool:
        return time.monotonic() < self.at

    def expired(self, waiting_for: str) -> WorkloadFailed:
        return WorkloadFailed(TIMEOUT, f"{self.limit_s:g} s waiting for {waiting_for}")


@dataclass(frozen=True)
class Trial:
    restart_s: float
    done_s: float


def measure(cluster: Cluster, settings: Settings) -> dict[str, Cell]:
    trials_wanted = 1 if settings.quick else 3
    cluster.start_worker("w2")
    cluster.wait_workers(2)
    warm_up(cluster)
    trials: list[Trial] = []
    started = time.monotonic()
    while len(trials) < trials_wanted and time.monotonic() - started < REPEAT_BUDGET_S:
        if trials:
            # The killed worker is replaced so that the next trial has two workers again.
            cluster.wait_workers(1)
            cluster.start_worker(f"w{len(trials) + 2}")
            cluster.wait_workers(2)
        trials.append(one_trial(cluster, settings, len(trials)))
        trial = trials[-1]
        settings.log(
            f"P7 {cluster.engine.name} trial {len(trials)}: restarted after "
            f"{trial.restart_s:.3f} s, COMPLETED after {trial.done_s:.3f} s"
        )
    note = f"{len(trials)} of {trials_wanted} runs" if len(trials) < trials_wanted else ""
    return {
        "p7_restart": Cell(statistics.median(t.restart_s for t in trials), detail=note),
        "p7_done": Cell(statistics.median(t.done_s for t in trials)),
    }


def warm_up(cluster: Cluster) -> None:
    """One quick run of the same workflow, checked: loads it on a worker, proves it works."""
    log = cluster.workdir / "recover-warmup.log"
    reply = cluster.client.post_json(
        cluster.flavor.run_path("recover", "sync"), {"log": str(log), "sleep_s": 0}
    )
    view = reply.expect(200).json()
    if view.get("state") != "COMPLETED" or view.get("output") != [1, 2, 3]:
        raise WorkloadFailed(
            WRONG, f"warm-up: {view.get('state')}, output {view.get('output')!r} != [1, 2, 3]"
        )


def one_trial(cluster: Cluster, settings: Settings, index: int) -> Trial:
    log = cluster.workdir / f"recover-{index}.log"
    reply = cluster.client.post_json(
        cluster.flavor.run_path("recover", "async"), {"log": str(log), "sleep_s": STEP2_SLEEP_S}
    )
    execution_id = reply.expect(200, 201, 202).json()["execution_id"]
    deadline = Deadline.after(settings.timeout_s)
    holder = wait_step(cluster, log, deadline, attempt=1).worker
    if holder not in cluster.processes:
        raise WorkloadFailed(ERROR, f"step 2 ran on {holder!r}, not on a worker started here")
    time.sleep(KILL_AFTER_S)
    killed_at = time.time()
    cluster.kill(holder)
    restart = wait_step(cluster, log, deadline, attempt=2, execution_id=execution_id)
    done_at = wait_terminal(cluster, execution_id, deadline)
    check_trial(read_steps(log), holder, restart)
    return Trial(restart_s=restart.at - killed_at, done_s=done_at - killed_at)


def read_steps(log: Path) -> list[Step]:
    if not log.exists():
        return []
    text = log.read_text()
    # A line being written right now has no newline yet: it is read on the next poll.
    complete = text[: text.rfind("\n") + 1]
    return [parse_step(line) for line in complete.splitlines()]


def parse_step(line: str) -> Step:
    name, worker, at = line.split()
    return Step(name, worker, float(at))


def wait_step(
    cluster: Cluster, log: Path, deadline: Deadline, attempt: int, execution_id: str = ""
) -> Step:
    """Step 2's ``attempt``-th start; while waiting for a restart, also watch for the run
    ending without one (e.g. FAILED after the kill), every half second."""
    next_status = time.monotonic()
    while deadline.open():
        starts = [step for step in read_steps(log) if step.name == "step2"]
        if len(starts) >= attempt:
            return starts[attempt - 1]
        if execution_id and time.monotonic() >= next_status:
            next_status = time.monotonic() + 0.5
            view = status(cluster, execution_id)
            if view.get("state") in TERMINAL:
                raise WorkloadFailed(WRONG, f"run ended {view.get('state')} without restarting")
        time.sleep(FILE_POLL_S)
    raise deadline.expired("step 2 to " + ("start" if attempt == 1 else "restart after the kill"))


def status(cluster: Cluster, execution_id: str) -> dict:
    path = cluster.flavor.status_path("recover", execution_id)
    return cluster.client.get(path).expect(200).json()


def wait_terminal(cluster: Cluster, execution_id: str, deadline: Deadline) -> float:
    """The wall-clock time the run was first seen COMPLETED."""
    while deadline.open():
        view = status(cluster, execution_id)
        if view.get("state") == "COMPLETED":
            if view.get("output") != [1, 2, 3]:
                raise WorkloadFailed(WRONG, f"output {view.get('output')!r} != [1, 2, 3]")
            return time.time()
        if view.get("state") in TERMINAL:
            raise WorkloadFailed(WRONG, f"run ended {view.get('state')} after the restart")
        time.sleep(STATUS_POLL_S)
    raise deadline.expired("the run to complete after the restart")


def check_trial(steps: list[Step], killed: str, restart: Step) -> None:
    counts = {name: sum(1 for step in steps if step.name == name) for name in ("step1", "step3")}
    problems = [f"{name} ran {count} times" for name, count in counts.items() if count != 1]
    if restart.worker == killed:
        problems.append(f"step 2 restarted on the killed worker {killed}")
    if problems:
        raise WorkloadFailed(WRONG, "; ".join(problems))
