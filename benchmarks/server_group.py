"""P3, P4 and P7: each engine's real server and workers, driven over HTTP.

Per engine: one server (``flux start server``) on a free loopback port in a fresh directory,
``workloads/server.py`` uploaded with ``POST /workflows``, worker ``w1`` started and waited
for; then P3 (sync runs, one at a time), P4 (async throughput) and P7 (a second worker,
then SIGKILL mid-step: see ``recovery``). Everything is stopped before the next engine.
"""

from __future__ import annotations

import signal
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from benchmarks import recovery
from benchmarks.cluster import Cluster, running_cluster
from benchmarks.engines import FLUX, FLUX_CORE, Engine
from benchmarks.harness import WORKLOADS, Settings, WorkloadFailed
from benchmarks.http_json import HttpError, HttpJson
from benchmarks.report import ERROR, TIMEOUT, UNAVAILABLE, WRONG, Cell, Row, Target

IDS = ("P3", "P4", "P7")
WORKLOAD = WORKLOADS / "server.py"

P4_RUNS = 2_000
# flux-core completes a handful of runs per second: 2,000 would take minutes.
FLUX_CORE_P4_RUNS = 200
P4_QUICK_RUNS = {FLUX: 500, FLUX_CORE: 50}
SUBMIT_THREADS = 4
# The listing is asked for a count this often while P4 waits: often enough to time the
# end within a few percent, rarely enough to cost the server next to nothing.
COUNT_POLL_S = 0.05

Cells = dict[str, Cell]


def rows_for(ids: set[str]) -> dict[str, Row]:
    rows = {
        "p3_p50": Row("P3", "sync run via server + 1 worker, p50", "ms", Target("<=", 5.0)),
        "p3_p95": Row("P3", "sync run via server + 1 worker, p95", "ms", Target("<=", 15.0)),
        "p4_rate": Row(
            "P4", "async runs, 1 worker, submit -> all COMPLETED", "/s", Target(">=", 500.0)
        ),
        "p4_submit": Row("P4", "async runs, run/async requests accepted", "/s"),
        **recovery.rows(),
    }
    return {key: row for key, row in rows.items() if row.id in ids}


def run(engines: list[Engine], settings: Settings, ids: set[str]) -> list[Row]:
    rows = rows_for(ids)
    with sigterm_as_exit():
        for engine in engines:
            cells = measure_engine(engine, settings, ids)
            for key, row in rows.items():
                cell = row.cells[engine.name] = cells.get(key, Cell.failed(ERROR, "not measured"))
                settings.log(f"{row.id} {engine.name} {row.metric}: {cell.text(row.unit)}")
    return list(rows.values())


@contextmanager
def sigterm_as_exit() -> Iterator[None]:
    # Killed with SIGTERM, Python would exit without running `finally`, leaving servers
    # and workers behind; as SystemExit, the clusters are stopped on the way out.
    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def measure_engine(engine: Engine, settings: Settings, ids: set[str]) -> Cells:
    keys = rows_for(ids)
    if engine.unavailable:
        return dict.fromkeys(keys, Cell.failed(UNAVAILABLE, engine.unavailable))
    cells: Cells = {}
    try:
        with running_cluster(engine, WORKLOAD) as cluster:
            cluster.start_worker("w1")
            cluster.wait_workers(1)
            settings.log(f"{engine.name}: server {cluster.url} and worker w1 are up")
            if "P3" in ids:
                cells |= guarded(("p3_p50", "p3_p95"), lambda: measure_sync(cluster, settings))
            if "P4" in ids:
                cells |= guarded(("p4_rate", "p4_submit"), lambda: measure_async(cluster, settings))
            if "P7" in ids:
                cells |= guarded(
                    tuple(recovery.rows()), lambda: recovery.measure(cluster, settings)
                )
    except WorkloadFailed as exc:
        # The cluster could not be started (or stopped): every cell not yet filled says why.
        cells = {key: cells.get(key, Cell.failed(exc.status, exc.detail)) for key in keys}
    return cells


def guarded(keys: tuple[str, ...], measure: Callable[[], Cells]) -> Cells:
    try:
        return measure()
    except WorkloadFailed as exc:
        return dict.fromkeys(keys, Cell.failed(exc.status, exc.detail))
    except HttpError as exc:
        return dict.fromkeys(keys, Cell.failed(ERROR, str(exc)))
    except (KeyError, TypeError, ValueError) as exc:
        # A reply without the expected fields (e.g. no execution_id).
        detail = f"unexpected reply: {type(exc).__name__}: {exc}"
        return dict.fromkeys(keys, Cell.failed(ERROR, detail))


# P3 ---------------------------------------------------------------------------------------


def measure_sync(cluster: Cluster, settings: Settings) -> Cells:
    runs, warmup = (50, 5) if settings.quick else (300, 20)
    path = cluster.flavor.run_path("hello", "sync")
    deadline = time.monotonic() + settings.timeout_s
    # Warm-up runs are checked too: an engine that only breaks on its first runs is caught.
    wrong = [problem for run in range(warmup) if (problem := sync_once(cluster, path, run)[1])]
    times_ms: list[float] = []
    while len(times_ms) < runs and time.monotonic() < deadline:
        elapsed_ms, problem = sync_once(cluster, path, warmup + len(times_ms))
        times_ms.append(elapsed_ms)
        wrong += [problem] if problem else []
    if not times_ms:
        raise WorkloadFailed(TIMEOUT, f"{settings.timeout_s:g} s (warm-up alone)")
    p50 = statistics.median(times_ms)
    if wrong:
        # The number is kept in the note, but a wrong engine gets no cell value.
        total = warmup + len(times_ms)
        detail = f"{len(wrong)} of {total} runs, e.g. {wrong[0]}; p50 {p50:.1f} ms unchecked"
        raise WorkloadFailed(WRONG, detail)
    note = f"{len(times_ms)} of {runs} runs" if len(times_ms) < runs else ""
    p95 = statistics.quantiles(times_ms, n=100, method="inclusive")[94]
    return {"p3_p50": Cell(p50, detail=note), "p3_p95": Cell(p95)}


def sync_once(cluster: Cluster, path: str, run: int) -> tuple[float, str]:
    """One ``run/sync`` request: its round trip in ms and what is wrong with its answer."""
    name = f"sync {run}"
    start = time.perf_counter_ns()
    reply = cluster.client.post_json(path, name)
    elapsed_ms = (time.perf_counter_ns() - start) / 1e6
    if reply.status == 202:
        raise WorkloadFailed(TIMEOUT, f"run {run}: the server's sync wait (HTTP 202)")
    problem = view_problem(reply.expect(200).json(), f"Hello, {name}")
    return elapsed_ms, f"run {run}: {problem}" if problem else ""


def view_problem(view: dict[str, Any], expected: Any) -> str:
    if view.get("state") != "COMPLETED":
        return f"state {view.get('state')!r}, not COMPLETED (output {view.get('output')!r})"
    if view.get("output") != expected:
        return f"output {view.get('output')!r} != {expected!r}"
    return ""


# P4 ---------------------------------------------------------------------------------------


def p4_runs(engine: str, quick: bool) -> int:
    if quick:
        return P4_QUICK_RUNS.get(engine, P4_QUICK_RUNS[FLUX])
    return FLUX_CORE_P4_RUNS if engine == FLUX_CORE else P4_RUNS


def measure_async(cluster: Cluster, settings: Settings) -> Cells:
    n = p4_runs(cluster.engine.name, settings.quick)
    names = [f"async {i}" for i in range(n)]
    deadline = time.monotonic() + settings.timeout_s
    start = time.perf_counter()
    execution_ids = submit_all(cluster, names)
    submitted_s = time.perf_counter() - start
    completed, elapsed_s = wait_completed(cluster, n, start, deadline)
    if completed == 0:
        raise WorkloadFailed(TIMEOUT, f"{settings.timeout_s:g} s, none COMPLETED")
    check_outputs(cluster, execution_ids, names)
    note = f"{n:,} runs" if completed == n else f"{completed:,} of {n:,} in {elapsed_s:.0f} s"
    return {
        "p4_rate": Cell(completed / elapsed_s, detail=note),
        "p4_submit": Cell(n / submitted_s, detail=f"{SUBMIT_THREADS} clients"),
    }


def submit_all(cluster: Cluster, names: list[str]) -> list[str]:
    path = cluster.flavor.run_path("trivial", "async")

    def submit(client: HttpJson, name: str) -> str:
        return client.post_json(path, name).expect(200, 201, 202).json()["execution_id"]

    return in_threads(cluster, names, submit)


def in_threads(
    cluster: Cluster, items: list[Any], work: Callable[[HttpJson, Any], Any]
) -> list[Any]:
    local = threading.local()
    clients: list[HttpJson] = []

    def call(item: Any) -> Any:
        if not hasattr(local, "client"):
            local.client = cluster.new_client()
            clients.append(local.client)
        return work(local.client, item)

    try:
        with ThreadPoolExecutor(SUBMIT_THREADS) as pool:
            return list(pool.map(call, items))
    finally:
        for client in clients:
            client.close()


def wait_completed(cluster: Cluster, n: int, start: float, deadline: float) -> tuple[int, float]:
    """Poll the COMPLETED count until it reaches n; fail early (once a second) on FAILED."""

    def count(state: str) -> int:
        return cluster.flavor.count(cluster.client, "trivial", state)

    completed, next_failed_check = 0, time.monotonic() + 1.0
    while time.monotonic() < deadline:
        completed = count("COMPLETED")
        if completed >= n:
            break
        if time.monotonic() >= next_failed_check:
            next_failed_check = time.monotonic() + 1.0
            failed = count("FAILED")
            if failed:
                raise WorkloadFailed(WRONG, f"{failed} of {n} async runs FAILED")
        time.sleep(COUNT_POLL_S)
    return completed, time.perf_counter() - start


def check_outputs(cluster: Cluster, execution_ids: list[str], names: list[str]) -> None:
    """Every run's output, read back outside the timed part."""
    unfinished = {"CREATED", "SCHEDULED", "CLAIMED", "RUNNING"}

    def problem(client: HttpJson, item: tuple[str, str]) -> str:
        execution_id, name = item
        view = client.get(cluster.flavor.status_path("trivial", execution_id)).expect(200).json()
        # A run still going at the deadline is not wrong, only late: the rate says so.
        if view.get("state") in unfinished:
            return ""
        found = view_problem(view, f"Hello, {name}")
        return f"{name}: {found}" if found else ""

    problems = in_threads(cluster, list(zip(execution_ids, names, strict=True)), problem)
    wrong = [found for found in problems if found]
    if wrong:
        raise WorkloadFailed(WRONG, f"{len(wrong)} of {len(names)}: " + "; ".join(wrong[:3]))
