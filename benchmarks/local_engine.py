"""P1 and P2: the engine run in-process with local `.run()`, no server.

P1 times a one-task workflow; P2 times one workflow fanning out to n trivial tasks with
``parallel(*tasks)`` and with ``task.map(list)``.
"""

from __future__ import annotations

import statistics

from benchmarks.engines import FLUX_CORE, Engine
from benchmarks.harness import Settings, WorkloadFailed, run_workload
from benchmarks.report import SKIPPED, UNAVAILABLE, Cell, Row, Target

IDS = ("P1", "P2")

FANOUT_SIZES = (1_000, 2_000, 10_000)
FANOUT_TARGETS = {1_000: Target("<=", 0.2), 10_000: Target("<=", 2.0)}
FANOUT_MODES = {"parallel": "parallel(*tasks)", "map": "task.map(list)"}
# flux-core's fan-out is quadratic: 2,000 tasks already take ~20 s, 10,000 would take minutes.
FLUX_CORE_MAX_FANOUT = 2_000
# Stop repeating a fan-out once this much time went into it; one slow run is enough.
REPEAT_BUDGET_S = 20.0


def run(engines: list[Engine], settings: Settings, ids: set[str]) -> list[Row]:
    rows: list[Row] = []
    if "P1" in ids:
        rows += p1_rows(engines, settings)
    if "P2" in ids:
        for mode in FANOUT_MODES:
            rows += fanout_rows(mode, engines, settings)
    return rows


def p1_rows(engines: list[Engine], settings: Settings) -> list[Row]:
    median = Row("P1", "1-task workflow .run(), median", "ms", Target("<=", 1.0))
    p95 = Row("P1", "1-task workflow .run(), p95", "ms")
    runs, warmup = (50, 5) if settings.quick else (300, 30)
    for engine in engines:
        median.cells[engine.name], p95.cells[engine.name] = measure_hello(
            engine, runs, warmup, settings
        )
        settings.log(f"P1 {engine.name}: median {median.cells[engine.name].text('ms')}")
    return [median, p95]


def measure_hello(engine: Engine, runs: int, warmup: int, settings: Settings) -> tuple[Cell, Cell]:
    if engine.unavailable:
        cell = Cell.failed(UNAVAILABLE, engine.unavailable)
        return cell, cell
    args = ["--runs", str(runs), "--warmup", str(warmup)]
    try:
        times = run_workload(engine, "hello.py", args, settings.timeout_s)["times_ms"]
    except WorkloadFailed as exc:
        cell = Cell.failed(exc.status, exc.detail)
        return cell, cell
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94]
    return Cell(statistics.median(times)), Cell(p95)


def fanout_rows(mode: str, engines: list[Engine], settings: Settings) -> list[Row]:
    label = FANOUT_MODES[mode]
    by_size = {
        n: Row("P2", f"{label}, {n:,} tasks", "s", FANOUT_TARGETS.get(n)) for n in FANOUT_SIZES
    }
    # Doubling n doubles a linear engine's time and quadruples a quadratic one's.
    scaling = Row("P2", f"{label}, time(2,000) / time(1,000)", "x", target_text="~2x (linear)")
    for engine in engines:
        for n, row in by_size.items():
            row.cells[engine.name] = measure_fanout(engine, mode, n, settings)
            settings.log(f"P2 {engine.name} {mode} n={n:,}: {row.cells[engine.name].text('s')}")
        scaling.cells[engine.name] = ratio(
            by_size[2_000].cells[engine.name], by_size[1_000].cells[engine.name]
        )
    return [*by_size.values(), scaling]


def measure_fanout(engine: Engine, mode: str, n: int, settings: Settings) -> Cell:
    if engine.unavailable:
        return Cell.failed(UNAVAILABLE, engine.unavailable)
    skipped = skip_reason(engine, n, settings)
    if skipped:
        return Cell.failed(SKIPPED, skipped)
    repeats = 1 if settings.quick else 3
    args = ["--mode", mode, "--n", str(n), "--repeats", str(repeats)]
    args += ["--budget", str(REPEAT_BUDGET_S)]
    try:
        times = run_workload(engine, "fanout.py", args, settings.timeout_s)["times_s"]
    except WorkloadFailed as exc:
        return Cell.failed(exc.status, exc.detail)
    note = f"{len(times)} of {repeats} runs" if len(times) < repeats else ""
    return Cell(statistics.median(times), detail=note)


def skip_reason(engine: Engine, n: int, settings: Settings) -> str:
    if engine.name != FLUX_CORE:
        return ""
    if n > FLUX_CORE_MAX_FANOUT:
        return "quadratic, takes minutes"
    if settings.quick and n > 1_000:
        return "--quick"
    return ""


def ratio(larger: Cell, smaller: Cell) -> Cell:
    if larger.value is None or smaller.value is None or smaller.value <= 0:
        return Cell.failed(SKIPPED, "needs both sizes")
    return Cell(larger.value / smaller.value)
