"""P5, P6 and P8: script jobs (``POST /jobs/submit``) on Flux's real server and worker.

flux-core has no script jobs, so only Flux is measured; the reference column shows what the
job platform seed claims (the targets table).

- P5, ingestion: a server with no worker (``--no-worker``), so submissions stay queued and
  only taking them in is measured. ``jobs_load`` submits N bash jobs from a process of its
  own, 48 at a time, in the form of the job document's curl example; then the listing must
  count all N stored. Once as multipart, once (on a fresh server) as JSON. The server's CPU
  time per submission is read from ``/proc``.
- P6 and P8 use one server as shipped, with its embedded worker (``flux start server``
  without ``--no-worker``: the worker is a child process of the server), and
  ``jobs.sandbox = "bwrap"``: every job must report that it ran in bubblewrap.
- P6, bash jobs end to end (``echo hi``, its logs checked): one at a time (queued ->
  started, the dispatch latency, and the sandbox's cost); at a steady rate well below
  capacity (dispatch while other jobs run); a burst of M submitted at once by
  ``jobs_load`` (throughput: first submit -> last COMPLETED, with the CPU time each
  process spent per job).
- P8, dependencies: the same small script with a package list (the first run installs it,
  later runs find it in the cache) and without one, one run at a time, alternated. The
  script looks the package up, so the output proves the cache was mounted (and that
  without the list the package is not there).

A run is timed from sending its submit to the end of its ``GET /jobs/{id}/logs?follow=true``
stream (the server pushes ``end`` as the job finishes, so there is no polling interval in
the number); "queued -> started" and attempt times are the server's and worker's own
timestamps (``createdAt``: the submit, stored; ``attempts[0].startedAt``: the worker begins
the attempt, before dependencies and sandbox; ``finishedAt``), the same clock. Only
COMPLETED jobs with the expected logs or output count; any other end is ``wrong result``.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.cluster import Cluster, running_cluster
from benchmarks.cputime import CpuTimes, child_pids, cpu_times, machine_busy
from benchmarks.engines import FLUX, Engine
from benchmarks.harness import Settings, WorkloadFailed, parse_result, run_isolated
from benchmarks.http_json import HttpJson
from benchmarks.recovery import Deadline
from benchmarks.report import ERROR, TIMEOUT, UNAVAILABLE, WRONG, Cell, Row, Target
from benchmarks.server_group import guarded, in_threads, sigterm_as_exit

IDS = ("P5", "P6", "P8")
# The reference column: the job platform seed's claims (targets table), on the rows they are
# about; flux-core has no script jobs.
CLAIMS = {
    "p5_rate": "seed claims 9,000/min",
    "p6_dispatch": "seed: < 50 ms dispatch, p95 < 500 ms",
    "p8_node_cold": "seed: cache cuts cold start ~40%",
    "p8_python_cold": "seed: cache cuts cold start ~40%",
}

P5_JOBS, P5_QUICK_JOBS = 5_000, 1_000
P5_WARMUP_JOBS = 200
P5_CONNECTIONS = 48
P6_SEQUENTIAL, P6_QUICK_SEQUENTIAL = 100, 30
P6_STEADY, P6_QUICK_STEADY = 100, 30
P6_STEADY_RATE = 10.0  # jobs/s, well below what one worker completes on 2 cores
P6_BURST, P6_QUICK_BURST = 500, 100
P6_BURST_CONNECTIONS = 8
P8_RUNS, P8_QUICK_RUNS = 40, 10
WARMUP_RUNS = 5
# How often the COMPLETED count is read while a burst runs. It only decides when waiting
# stops: the rate is computed from the jobs' own completion times.
COUNT_POLL_S = 0.2
SANDBOX = "bwrap"
JOBS_ENV = {"FLUX_JOBS__SANDBOX": SANDBOX}

Cells = dict[str, Cell]


@dataclass(frozen=True)
class Script:
    """One job as submitted: the form of ``curl -F`` in docs/jobs.md."""

    runtime: str
    filename: str
    source: str
    expected: Callable[[dict[str, Any]], str]  # what is wrong with a finished job, or ""
    dependencies: tuple[str, ...] = ()

    def form(self, name: str, index: int) -> tuple[dict[str, str], dict[str, Any]]:
        fields = {"name": name, "runtime": self.runtime, "payload": f'{{"i": {index}}}'}
        # A failed attempt should show at once, not after retries with backoff.
        fields["maxRetries"] = "0"
        if self.dependencies:
            fields["dependencies"] = "[" + ", ".join(f'"{d}"' for d in self.dependencies) + "]"
        files = {"script": (self.filename, self.source.encode(), "application/octet-stream")}
        return fields, files

    def with_dependencies(
        self, expected: Callable[[dict[str, Any]], str], *packages: str
    ) -> Script:
        return Script(self.runtime, self.filename, self.source, expected, packages)


def finished(job: dict[str, Any], *, logs: str | None = None, output: Any = None) -> str:
    """What is wrong with ``job`` (a ``GET /jobs/{id}`` view), or "" when it COMPLETED in
    the bwrap sandbox with these logs and this output."""
    if job.get("state") != "COMPLETED":
        return f"state {job.get('state')!r} ({job.get('error') or job.get('logs', '')[-200:]!r})"
    attempts = job.get("attempts") or []
    sandbox = attempts[-1].get("sandbox") if attempts else None
    if sandbox != SANDBOX:
        return f"ran in sandbox {sandbox!r}, not {SANDBOX}"
    if logs is not None and job.get("logs") != logs:
        return f"logs {job.get('logs')!r} != {logs!r}"
    if output is not None and job.get("output") != output:
        return f"output {job.get('output')!r} != {output!r}"
    return ""


def outputs(value: Any) -> Callable[[dict[str, Any]], str]:
    return lambda job: finished(job, output=value)


BASH = Script("bash", "job.sh", "echo hi\n", lambda job: finished(job, logs="hi\n"))


def node_lookup(package: str) -> Script:
    """A Node job that says whether ``package`` can be required (without loading it)."""
    source = (
        "module.exports = async () => {\n"
        f"  try {{ require.resolve({package!r}); return 'found'; }}\n"
        "  catch (err) { return 'missing'; }\n"
        "};\n"
    )
    return Script("node", "job.js", source, outputs("missing"))


def python_lookup(package: str) -> Script:
    """A Python job that says whether ``package`` can be imported (without importing it)."""
    source = (
        "import importlib.util, json, os\n"
        f"found = importlib.util.find_spec({package!r}) is not None\n"
        'with open(os.environ["FLUX_OUTPUT"], "w") as out:\n'
        '    json.dump("found" if found else "missing", out)\n'
    )
    return Script("python", "job.py", source, outputs("missing"))


# (label, package, its import name, script) of P8: tiny real packages without dependencies
# of their own, and not already installed beside the interpreter the job runs on (six is,
# with pyenv's Python, so it would be found without the cache).
P8_CASES = (
    ("node", "is-number", node_lookup("is-number")),
    ("python", "inflection", python_lookup("inflection")),
)


def rows_for(ids: set[str]) -> dict[str, Row]:
    rows = {
        "p5_rate": Row(
            "P5", "POST /jobs/submit (multipart), accepted + stored", "/s", Target(">=", 1000.0)
        ),
        "p5_p50": Row("P5", "submit call under that load, p50", "ms"),
        "p5_p95": Row("P5", "submit call under that load, p95", "ms"),
        "p5_cpu": Row("P5", "server CPU per submission (multipart)", "ms"),
        "p5_json": Row("P5", "POST /jobs/submit (JSON body), accepted + stored", "/s"),
        "p6_dispatch": Row(
            "P6", "bash job alone, queued -> started, p95", "ms", Target("<=", 20.0)
        ),
        "p6_dispatch_p50": Row("P6", "bash job alone, queued -> started, p50", "ms"),
        "p6_sandbox": Row("P6", "bash job alone, attempt (sandbox) time, median", "ms"),
        "p6_e2e": Row("P6", "bash job alone, submit -> COMPLETED, median", "ms"),
        "p6_steady": Row("P6", f"bash jobs at {P6_STEADY_RATE:g}/s, queued -> started, p95", "ms"),
        "p6_rate": Row(
            "P6", "bash burst, 1 worker, first submit -> last COMPLETED", "/s", Target(">=", 100.0)
        ),
        "p6_burst_wait": Row("P6", "bash burst, queued -> started, p95 (queueing)", "ms"),
        "p6_cpu": Row("P6", "bash burst, CPU/job: server + worker + sandbox", "ms"),
        "p6_busy": Row("P6", "bash burst, whole machine busy (shared box)", "%"),
    }
    for label, package, _ in P8_CASES:
        rows[f"p8_{label}_cold"] = Row(
            "P8", f"{label} + {package}, first run (installs), submit -> COMPLETED", "s"
        )
        rows[f"p8_{label}_extra"] = Row(
            "P8",
            f"{label} + {package}, warm cache vs none, extra (median of pairs)",
            "ms",
            Target("<=", 20.0),
        )
    return {key: row for key, row in rows.items() if row.id in ids}


def run(engines: list[Engine], settings: Settings, ids: set[str]) -> list[Row]:
    rows = rows_for(ids)
    flux = next(engine for engine in engines if engine.name == FLUX)
    with sigterm_as_exit():
        cells = measure(flux, settings, ids)
    for key, row in rows.items():
        cell = row.cells[flux.name] = cells.get(key, Cell.failed(ERROR, "not measured"))
        settings.log(f"{row.id} {flux.name} {row.metric}: {cell.text(row.unit)}")
        for engine in engines:
            if engine is not flux:
                row.cells[engine.name] = Cell.claim(CLAIMS.get(key, "-"))
    return list(rows.values())


def measure(engine: Engine, settings: Settings, ids: set[str]) -> Cells:
    keys = rows_for(ids)
    if engine.unavailable:
        return dict.fromkeys(keys, Cell.failed(UNAVAILABLE, engine.unavailable))
    cells: Cells = {}
    if "P5" in ids:
        cells |= measure_ingest(engine, settings)
    if not ids & {"P6", "P8"}:
        return cells
    sandboxed = [key for key, row in keys.items() if row.id in ("P6", "P8")]
    if shutil.which("bwrap") is None:
        missing = Cell.failed(UNAVAILABLE, "bwrap is not installed (apt-get install bubblewrap)")
        return cells | dict.fromkeys(sandboxed, missing)
    try:
        with running_cluster(engine, embedded_worker=True, env=JOBS_ENV) as cluster:
            cluster.wait_workers(1)
            settings.log(f"{engine.name}: server {cluster.url} with its embedded worker is up")
            if "P6" in ids:
                cells |= measure_bash(cluster, settings)
            if "P8" in ids:
                for label, package, script in P8_CASES:
                    cells |= measure_deps(cluster, settings, label, package, script)
    except WorkloadFailed as exc:
        cells |= {key: cells.get(key, Cell.failed(exc.status, exc.detail)) for key in sandboxed}
    return cells


def server_pid(cluster: Cluster) -> int:
    return cluster.processes["server"].pid


def embedded_worker_pid(cluster: Cluster) -> int | None:
    """The server's child running ``flux ... start worker``, or None when not found."""
    for pid in child_pids(server_pid(cluster)):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"start" in command and b"worker" in command:
            return pid
    return None


# P5 ---------------------------------------------------------------------------------------


def measure_ingest(engine: Engine, settings: Settings) -> Cells:
    n = P5_QUICK_JOBS if settings.quick else P5_JOBS
    cells = ingest_on_fresh_server(engine, settings, n, "multipart")
    return cells | ingest_on_fresh_server(engine, settings, n, "json")


def ingest_on_fresh_server(engine: Engine, settings: Settings, n: int, body_format: str) -> Cells:
    # A fresh server and database per format: the second must not find the first's rows.
    keys = ("p5_json",) if body_format == "json" else ("p5_rate", "p5_p50", "p5_p95", "p5_cpu")
    try:
        with running_cluster(engine) as cluster:
            return guarded(keys, lambda: ingest(cluster, settings, n, body_format))
    except WorkloadFailed as exc:
        return dict.fromkeys(keys, Cell.failed(exc.status, exc.detail))


def ingest(cluster: Cluster, settings: Settings, n: int, body_format: str) -> Cells:
    deadline = Deadline.after(settings.timeout_s)
    # The first requests pay one-off costs (imports, prepared statements): not timed.
    load(cluster, P5_WARMUP_JOBS, P5_CONNECTIONS, body_format, "p5-warmup", deadline)
    before = cpu_times(server_pid(cluster))
    result = load(cluster, n, P5_CONNECTIONS, body_format, "p5", deadline)
    server_cpu = cpu_times(server_pid(cluster)) - before
    stored = int(cluster.client.get("/jobs", name="p5", limit=1).expect(200).json()["count"])
    if result["accepted"] != n or stored != n:
        errors = "; ".join(result["errors"]) or "no error answer"
        detail = f"{result['accepted']} of {n} accepted, {stored} stored ({errors})"
        raise WorkloadFailed(WRONG, detail)
    rate = n / result["elapsed_s"]
    cpu_ms = server_cpu.own * 1000 / n
    client_ms = result["cpu_s"] * 1000 / n
    settings.log(
        f"P5 {body_format}: {n} jobs in {result['elapsed_s']:.2f} s, {rate:.0f} /s; "
        f"CPU per job: server {cpu_ms:.2f} ms, load generator {client_ms:.2f} ms"
    )
    note = f"{n:,} jobs, {P5_CONNECTIONS} in flight"
    if body_format == "json":
        return {"p5_json": Cell(rate, detail=f"{note}, server CPU {cpu_ms:.2f} ms/job")}
    return {
        "p5_rate": Cell(rate, detail=note),
        "p5_p50": Cell(result["p50_ms"]),
        "p5_p95": Cell(result["p95_ms"]),
        "p5_cpu": Cell(cpu_ms, detail=f"load generator {client_ms:.2f} ms"),
    }


def load(
    cluster: Cluster,
    n: int,
    connections: int,
    body_format: str,
    name: str,
    deadline: Deadline,
    *,
    ids: bool = False,
) -> Any:
    """Run ``jobs_load`` in a process of its own; its JSON result."""
    command = [sys.executable, "-m", "benchmarks.jobs_load", cluster.url, str(n)]
    command += [str(connections), body_format, name, *(["ids"] if ids else [])]
    remaining = deadline.at - time.monotonic()
    if remaining <= 0:
        raise deadline.expired("the load to start")
    env = cluster.engine.environment()
    stdout, stderr, code = run_isolated(command, str(cluster.workdir), env, remaining)
    if code != 0:
        lines = stderr.strip().splitlines()
        raise WorkloadFailed(ERROR, f"load generator: {lines[-1] if lines else code}")
    return parse_result(stdout)


# P6 ---------------------------------------------------------------------------------------


def measure_bash(cluster: Cluster, settings: Settings) -> Cells:
    alone = ("p6_dispatch", "p6_dispatch_p50", "p6_sandbox", "p6_e2e")
    cells = guarded(alone, lambda: bash_alone(cluster, settings))
    cells |= guarded(("p6_steady",), lambda: bash_steady(cluster, settings))
    burst = ("p6_rate", "p6_burst_wait", "p6_cpu", "p6_busy")
    return cells | guarded(burst, lambda: bash_burst(cluster, settings))


def bash_alone(cluster: Cluster, settings: Settings) -> Cells:
    runs = P6_QUICK_SEQUENTIAL if settings.quick else P6_SEQUENTIAL
    deadline = Deadline.after(settings.timeout_s)
    # The worker's first job finds the runtimes and probes the sandbox: not timed.
    for index in range(WARMUP_RUNS):
        run_one(cluster.client, BASH, "p6-warmup", index, deadline)
    e2e_ms: list[float] = []
    waits_ms: list[float] = []
    attempts_ms: list[float] = []
    while len(e2e_ms) < runs and deadline.open():
        elapsed_ms, job = run_one(cluster.client, BASH, "p6-alone", len(e2e_ms), deadline)
        e2e_ms.append(elapsed_ms)
        waits_ms.append(queued_to_started_ms(job))
        attempts_ms.append(attempt_ms(job))
    if not e2e_ms:
        raise WorkloadFailed(TIMEOUT, f"{settings.timeout_s:g} s (warm-up alone)")
    note = f"{len(e2e_ms)} jobs" if len(e2e_ms) == runs else f"{len(e2e_ms)} of {runs} jobs"
    return {
        "p6_dispatch": Cell(percentile(waits_ms, 95), detail=note),
        "p6_dispatch_p50": Cell(statistics.median(waits_ms)),
        "p6_sandbox": Cell(statistics.median(attempts_ms)),
        "p6_e2e": Cell(statistics.median(e2e_ms)),
    }


def bash_steady(cluster: Cluster, settings: Settings) -> Cells:
    """Jobs submitted one by one at P6_STEADY_RATE, without waiting for them: each finds
    the worker busy with earlier ones, but with capacity to spare."""
    n = P6_QUICK_STEADY if settings.quick else P6_STEADY
    deadline = Deadline.after(settings.timeout_s)
    start = time.monotonic()
    job_ids: list[str] = []
    for index in range(n):
        time.sleep(max(0.0, start + index / P6_STEADY_RATE - time.monotonic()))
        if not deadline.open():
            break
        job_ids.append(submit_one(cluster.client, BASH, "p6-steady", index))
    lag_s = time.monotonic() - start - (n - 1) / P6_STEADY_RATE
    wait_jobs(cluster, "p6-steady", len(job_ids), deadline)
    jobs = checked_jobs(cluster, BASH, job_ids, deadline)
    waits_ms = [queued_to_started_ms(job) for job in jobs]
    note = f"{len(jobs)} jobs" if len(jobs) == n else f"{len(jobs)} of {n} jobs"
    if lag_s > 1.0:
        note += f", submitted {lag_s:.1f} s late"  # the client could not keep the rate
    return {
        "p6_steady": Cell(
            percentile(waits_ms, 95), detail=f"p50 {percentile(waits_ms, 50):.1f} ms, {note}"
        )
    }


def bash_burst(cluster: Cluster, settings: Settings) -> Cells:
    n = P6_QUICK_BURST if settings.quick else P6_BURST
    deadline = Deadline.after(settings.timeout_s)
    server, worker = server_pid(cluster), embedded_worker_pid(cluster)
    cpu_before = (cpu_times(server), cpu_times(worker), machine_busy())
    result = load(cluster, n, P6_BURST_CONNECTIONS, "multipart", "p6-burst", deadline, ids=True)
    job_ids: list[str] = result["job_ids"]
    if result["accepted"] != n:
        errors = "; ".join(result["errors"]) or "no error answer"
        raise WorkloadFailed(WRONG, f"{result['accepted']} of {n} submissions accepted ({errors})")
    wait_jobs(cluster, "p6-burst", n, deadline)
    cpu_after = (cpu_times(server), cpu_times(worker), machine_busy())
    # Read back outside the timing: every job's logs, and the timestamps the numbers use.
    jobs = checked_jobs(cluster, BASH, job_ids, deadline)
    elapsed_s = max(timestamp(job["updatedAt"]) for job in jobs) - result["started_at"]
    note = f"{n} jobs" if len(jobs) == n else f"{len(jobs)} of {n} in {elapsed_s:.0f} s"
    note += f", submitted in {result['elapsed_s']:.1f} s"
    waits_ms = [queued_to_started_ms(job) for job in jobs]
    attempts = statistics.median(attempt_ms(job) for job in jobs)
    settings.log(f"P6 burst: {len(jobs)} of {n} in {elapsed_s:.2f} s ({note})")
    return {
        "p6_rate": Cell(len(jobs) / elapsed_s, detail=note),
        "p6_burst_wait": Cell(percentile(waits_ms, 95), detail=f"attempt median {attempts:.0f} ms"),
        **cpu_cells(cpu_before, cpu_after, jobs, result["cpu_s"], settings),
    }


def cpu_cells(
    before: tuple[CpuTimes, CpuTimes, tuple[float, float]],
    after: tuple[CpuTimes, CpuTimes, tuple[float, float]],
    jobs: list[dict[str, Any]],
    load_cpu_s: float,
    settings: Settings,
) -> Cells:
    """Where a burst's CPU went, per completed job: the server process, its worker process
    and the sandboxes (each attempt's own cgroup CPU time: the shell gate, bwrap and bash;
    not the kernel threads' share of tearing namespaces down); and how busy the whole
    machine was (every process, other work on a shared box included)."""
    server = after[0] - before[0]
    worker = after[1] - before[1]
    sandbox_s = sum(sandbox_cpu_ms(job) for job in jobs) / 1000
    busy_s = after[2][0] - before[2][0]
    total_s = after[2][1] - before[2][1]

    def per_job(seconds: float) -> float:
        return seconds * 1000 / len(jobs)

    parts = (per_job(server.own), per_job(worker.own), per_job(sandbox_s))
    split = f"{parts[0]:.1f} + {parts[1]:.1f} + {parts[2]:.1f}"
    busy = 100 * busy_s / total_s if total_s else 0.0
    settings.log(
        f"P6 burst CPU per job: server + worker + sandbox {split} ms, "
        f"load generator {per_job(load_cpu_s):.1f} ms; "
        f"machine {busy:.0f}% busy, {per_job(busy_s):.1f} ms per job (all processes)"
    )
    return {
        "p6_cpu": Cell(sum(parts), detail=split),
        "p6_busy": Cell(busy, detail=f"{per_job(busy_s):.0f} ms CPU per job, all processes"),
    }


def submit_one(client: HttpJson, script: Script, name: str, index: int) -> str:
    fields, files = script.form(name, index)
    return str(client.post_form("/jobs/submit", fields, files).expect(201).json()["jobId"])


def wait_jobs(cluster: Cluster, name: str, n: int, deadline: Deadline) -> int:
    """Poll the COMPLETED count of ``name`` until it is n; stop early (checked once a second)
    on a FAILED one."""

    def count(state: str) -> int:
        reply = cluster.client.get("/jobs", name=name, state=state, limit=1)
        return int(reply.expect(200).json()["count"])

    completed, next_failed_check = 0, time.monotonic() + 1.0
    while deadline.open():
        completed = count("COMPLETED")
        if completed >= n:
            break
        if time.monotonic() >= next_failed_check:
            next_failed_check = time.monotonic() + 1.0
            if count("FAILED") or count("CANCELLED"):
                break
        time.sleep(COUNT_POLL_S)
    return completed


def checked_jobs(
    cluster: Cluster, script: Script, job_ids: list[str], deadline: Deadline
) -> list[dict[str, Any]]:
    """The COMPLETED jobs among ``job_ids``, each checked; WRONG when one ended otherwise or
    with the wrong result, TIMEOUT when none COMPLETED. Jobs still queued or running (the
    deadline passed) are left out: the caller's note says how many counted."""

    def read(client: HttpJson, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}").expect(200).json()["job"]
        return job

    jobs = in_threads(cluster, job_ids, read)
    ended = [job for job in jobs if job.get("state") in ("COMPLETED", "FAILED", "CANCELLED")]
    wrong = [f"{job['jobId']}: {problem}" for job in ended if (problem := script.expected(job))]
    if wrong:
        raise WorkloadFailed(WRONG, f"{len(wrong)} of {len(jobs)}: " + "; ".join(wrong[:3]))
    if not ended:
        raise WorkloadFailed(TIMEOUT, f"{deadline.limit_s:g} s, none of {len(jobs)} COMPLETED")
    return ended


# P8 ---------------------------------------------------------------------------------------


def measure_deps(
    cluster: Cluster, settings: Settings, label: str, package: str, script: Script
) -> Cells:
    keys = (f"p8_{label}_cold", f"p8_{label}_extra")
    return guarded(keys, lambda: deps_runs(cluster, settings, label, package, script))


def deps_runs(
    cluster: Cluster, settings: Settings, label: str, package: str, script: Script
) -> Cells:
    runs = P8_QUICK_RUNS if settings.quick else P8_RUNS
    deadline = Deadline.after(settings.timeout_s)
    with_deps = script.with_dependencies(outputs("found"), package)
    name = f"p8-{label}"
    # The cache is empty: this server's home is a fresh directory.
    cold_ms, _ = run_one(cluster.client, with_deps, name, 0, deadline)
    settings.log(f"P8 {label} + {package}: first run {cold_ms:.0f} ms (installs)")
    for index in range(WARMUP_RUNS):
        run_one(cluster.client, script, name, index, deadline)
        run_one(cluster.client, with_deps, name, index, deadline)
    # Per run: submit -> COMPLETED, the attempt, the sandbox's CPU time (its cgroup's), in ms.
    samples: dict[bool, list[tuple[float, float, float]]] = {True: [], False: []}
    # Alternated (ABBA), so that a change in the machine's load, or any cost of following
    # the other kind, falls on both alike.
    while len(samples[False]) < runs and deadline.open():
        index = len(samples[False])
        order = (True, False) if index % 2 == 0 else (False, True)
        for deps in order:
            elapsed_ms, job = run_one(
                cluster.client, with_deps if deps else script, name, index, deadline
            )
            samples[deps].append((elapsed_ms, attempt_ms(job), sandbox_cpu_ms(job)))
    pairs = min(len(samples[True]), len(samples[False]))
    if not pairs:
        raise WorkloadFailed(TIMEOUT, f"{settings.timeout_s:g} s (first run and warm-up)")
    warm_runs, none_runs = samples[True][:pairs], samples[False][:pairs]
    # The value is the median of the pairs' differences: the two runs of a pair are next to
    # each other in time, so a change of load on the shared box cancels out of each.
    extra, attempt_extra, cpu_extra = (
        statistics.median(w[i] - n[i] for w, n in zip(warm_runs, none_runs, strict=True))
        for i in range(3)
    )
    warm = statistics.median(run[0] for run in warm_runs)
    none = statistics.median(run[0] for run in none_runs)
    note = f"{pairs} pairs" if pairs == runs else f"{pairs} of {runs} pairs"
    settings.log(
        f"P8 {label}: submit -> COMPLETED, medians {warm:.1f} (warm cache) vs {none:.1f} ms "
        f"(none); per pair, median extra {extra:+.1f} ms, of the attempt {attempt_extra:+.1f} "
        f"ms, of the sandbox's CPU time {cpu_extra:+.1f} ms"
    )
    cut = 100 * (1 - warm / cold_ms)
    return {
        f"p8_{label}_cold": Cell(cold_ms / 1000, detail=f"warm cache {cut:.0f}% less"),
        f"p8_{label}_extra": Cell(
            extra,
            detail=f"attempt {attempt_extra:+.1f}, CPU {cpu_extra:+.1f}; {warm:.0f} vs "
            f"{none:.0f} ms; {note}",
        ),
    }


# One job at a time ------------------------------------------------------------------------


def run_one(
    client: HttpJson, script: Script, name: str, index: int, deadline: Deadline
) -> tuple[float, dict[str, Any]]:
    """Submit one job and follow it to its end: (submit -> end event in ms, the job)."""
    start = time.perf_counter()
    job_id = submit_one(client, script, name, index)
    end = client.event(f"/jobs/{job_id}/logs?follow=true", "end", deadline.at)
    elapsed_ms = (time.perf_counter() - start) * 1000
    if end is None:
        raise deadline.expired(f"{name} job {index} to end")
    job: dict[str, Any] = client.get(f"/jobs/{job_id}").expect(200).json()["job"]
    problem = script.expected(job)
    if problem:
        raise WorkloadFailed(WRONG, f"{name} job {index}: {problem}")
    return elapsed_ms, job


def timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def queued_to_started_ms(job: dict[str, Any]) -> float:
    started = timestamp(job["attempts"][0]["startedAt"])
    return (started - timestamp(job["createdAt"])) * 1000


def attempt_ms(job: dict[str, Any]) -> float:
    attempt = job["attempts"][-1]
    return (timestamp(attempt["finishedAt"]) - timestamp(attempt["startedAt"])) * 1000


def sandbox_cpu_ms(job: dict[str, Any]) -> float:
    """CPU time of the last attempt's sandbox (its cgroup: everything run inside)."""
    return float(job["attempts"][-1].get("usage", {}).get("cpu_seconds", 0.0)) * 1000


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
