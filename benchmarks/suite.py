"""The benchmark runner: options, engines, groups, and the printed report."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import jobs_group, local_engine, server_group
from benchmarks.cputime import load_average
from benchmarks.engines import Engine, flux_core_engine, flux_engine
from benchmarks.harness import Settings
from benchmarks.report import Row, missed_targets, render_notes, render_table, write_json

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
FLUX_CORE_VENV = BENCHMARKS / ".venvs" / "flux-core"

# One module per benchmark group; each has IDS and run(engines, settings, ids) -> rows.
GROUPS = (local_engine, server_group, jobs_group)
KNOWN_IDS = tuple(bench_id for group in GROUPS for bench_id in group.IDS)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Measure Flux and, in the same run, flux-core from PyPI.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs and sizes (smoke test)")
    parser.add_argument("--only", help=f"comma-separated ids out of {', '.join(KNOWN_IDS)}")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds per workload process or server measurement (default 120)",
    )
    args = parser.parse_args(argv)
    args.ids = selected_ids(parser, args.only)
    return args


def selected_ids(parser: argparse.ArgumentParser, only: str | None) -> set[str]:
    if not only:
        return set(KNOWN_IDS)
    ids = {part.strip().upper() for part in only.split(",") if part.strip()}
    unknown = sorted(ids - set(KNOWN_IDS))
    if unknown:
        parser.error(f"unknown benchmark id {', '.join(unknown)}; known: {', '.join(KNOWN_IDS)}")
    return ids


def log(message: str) -> None:
    # Progress goes to stderr so stdout carries only the report.
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_at_start = load_average()
    settings = Settings(quick=args.quick, timeout_s=args.timeout, log=log)
    engines = [flux_engine(REPO), flux_core_engine(FLUX_CORE_VENV, log)]
    for engine in engines:
        log(engine.describe())
    rows: list[Row] = []
    for group in GROUPS:
        wanted = args.ids & set(group.IDS)
        if wanted:
            rows += group.run(engines, settings, wanted)
    meta = run_metadata(engines, args.quick, time.perf_counter() - started)
    # The box is shared: the load average says how much else ran beside the suite.
    meta["load_average"] = {"start": load_at_start, "end": load_average()}
    print_report(rows, engines, meta)
    if args.json:
        write_json(args.json, rows, meta, engines[0].name)
    return 0


def print_report(rows: list[Row], engines: list[Engine], meta: dict[str, Any]) -> None:
    subject, references = engines[0].name, [engine.name for engine in engines[1:]]
    print(f"Flux benchmarks, {meta['date']}, {meta['machine']}, quick={meta['quick']}")
    load = meta.get("load_average")
    if load:
        print(f"  load average (1, 5, 15 min): {load['start']} at start, {load['end']} at end")
    for engine in engines:
        print(f"  {engine.describe()}")
    print()
    print(render_table(rows, subject, references))
    notes = render_notes(rows)
    if notes:
        print("\nNotes:")
        print("\n".join(f"  {note}" for note in notes))
    missed = missed_targets(rows, subject)
    print(
        f"\n{subject} misses {len(missed)} target(s)" + (": " + "; ".join(missed) if missed else "")
    )
    print(f"suite took {meta['duration_s']:.0f} s")


def run_metadata(engines: list[Engine], quick: bool, duration_s: float) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_summary(),
        "quick": quick,
        "duration_s": round(duration_s, 1),
        "engines": {
            engine.name: {
                "version": engine.version,
                "python": engine.python_version,
                "unavailable": engine.unavailable,
            }
            for engine in engines
        },
    }


def machine_summary() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}"
