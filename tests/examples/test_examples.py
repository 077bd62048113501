"""The files of `examples/` as a user runs them: `python examples/NN_name.py` in a project
directory of its own, where Flux keeps its state under `./.flux`. Assertions are on what the
user sees on stdout, mostly the outputs the flux-core documents promise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

pytestmark = pytest.mark.slow

# flux-core's event types are `(str, Enum)`, which Python >= 3.11 formats as
# "ExecutionEventType.WORKFLOW_STARTED"; Flux formats them as "WORKFLOW_STARTED".
EVENT = r"(?:ExecutionEventType\.)?"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("FLUX_")}
    clean["PYTHONPATH"] = str(REPO)
    return {**clean, **(extra or {})}


def run_example(
    name: str, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=cwd,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert result.returncode == 0, f"{name} exited {result.returncode}:\n{result.stderr}"
    return result


def flux_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flux.cli.main", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def test_every_example_is_tested_and_listed_in_the_readme() -> None:
    files = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))
    source = Path(__file__).read_text()
    readme = (EXAMPLES / "README.md").read_text()
    assert len(files) >= 14
    assert [f for f in files if f'"{f}"' not in source] == []
    assert [f for f in files if f not in readme] == []


def test_hello_world(tmp_path: Path) -> None:
    result = run_example("01_hello_world.py", tmp_path)
    assert lines(result)[0] == "Hello, World"
    assert "Succeeded: True" in lines(result)
    assert (tmp_path / ".flux" / "flux.db").is_file()


def test_hello_world_uses_flux_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    result = run_example("01_hello_world.py", tmp_path, env={"FLUX_DATABASE_URL": url})
    assert lines(result)[0] == "Hello, World"
    assert (tmp_path / "elsewhere.db").is_file()
    assert not (tmp_path / ".flux" / "flux.db").exists()


def test_parallel(tmp_path: Path) -> None:
    result = run_example("02_parallel.py", tmp_path)
    assert lines(result) == ["['Hi, World', 'Hello, World', 'Hola, World']"]


def test_pipeline(tmp_path: Path) -> None:
    result = run_example("03_pipeline.py", tmp_path)
    assert lines(result) == ["pipeline(2) = 49", "pipeline(5) = 169"]


def test_map(tmp_path: Path) -> None:
    result = run_example("04_map.py", tmp_path)
    assert lines(result) == ["['APPLE', 'BANANA', 'CHERRY']"]


def test_state_management(tmp_path: Path) -> None:
    out = lines(run_example("05_state_management.py", tmp_path))
    assert out[:5] == [
        "Finished: True",
        "Succeeded: True",
        "Failed: False",
        "Cancelled: False",
        "Paused: False",
    ]
    events = out[5:-1]
    expected = [
        ("WORKFLOW_STARTED", "World"),
        ("TASK_STARTED", "['World']"),
        ("TASK_COMPLETED", "Hello, World"),
        ("WORKFLOW_COMPLETED", "Hello, World"),
    ]
    assert len(events) == len(expected)
    for line, (event_type, value) in zip(events, expected, strict=True):
        assert re.fullmatch(f"{EVENT}{event_type}: {re.escape(value)}", line), line
    assert out[-1] == "Output: Hello, World"


def test_error_handling(tmp_path: Path) -> None:
    out = lines(run_example("06_error_handling.py", tmp_path))
    assert out[0] == "risky_task: None"
    assert out[1] == "flaky_task: fallback result"
    events = [re.sub(f"^ *{EVENT}", "", line) for line in out[2:-2]]
    assert events == [
        "WORKFLOW_STARTED",
        "TASK_STARTED",
        *["TASK_RETRY_STARTED", "TASK_RETRY_FAILED"] * 3,
        "TASK_FALLBACK_STARTED",
        "TASK_FALLBACK_COMPLETED",
        "TASK_COMPLETED",
        "WORKFLOW_COMPLETED",
    ]
    assert out[-2] == "fragile_task failed: True, error: ValueError('bad input')"
    assert out[-1] == "rollbacks run: ['cleanup_function']"


def test_secrets_need_the_secret_to_be_set(tmp_path: Path) -> None:
    result = run_example("07_secrets.py", tmp_path, check=False)
    assert result.returncode == 1
    assert lines(result) == [
        "Failed: secret(s) not found: API_KEY",
        'Set the secret first: flux secrets set API_KEY "your-api-key-value"',
    ]


def test_secrets_set_with_the_cli(tmp_path: Path) -> None:
    flux_cli(tmp_path, "secrets", "set", "API_KEY", "your-api-key-value")
    result = run_example("07_secrets.py", tmp_path)
    assert lines(result)[0] == "API_KEY: your... (18 characters)"
    assert any(re.fullmatch(f"{EVENT}TASK_COMPLETED: None", line) for line in lines(result))
    assert "your-api-key-value" not in result.stdout + result.stderr


def test_caching_is_durable_across_processes(tmp_path: Path) -> None:
    first = lines(run_example("08_caching.py", tmp_path))
    assert first == [
        "First run: 332833500",
        "Second run: 332833500",
        "complex_calculation calls in this process: 1",
    ]
    second = lines(run_example("08_caching.py", tmp_path))
    assert second == [*first[:2], "complex_calculation calls in this process: 0"]


def test_metadata(tmp_path: Path) -> None:
    out = lines(run_example("09_metadata.py", tmp_path))
    assert len(out) == 3
    assert re.fullmatch(r"Task ID: \S+", out[0])
    assert out[1:] == ["Task Name: metadata_aware_task", "Output: xulf"]


def test_builtin_tasks_pause_and_resume(tmp_path: Path) -> None:
    out = lines(run_example("10_builtin_tasks.py", tmp_path))
    assert out[:3] == ["Paused: True", "Paused at: wait_for_approval", "Succeeded: True"]
    assert re.fullmatch(r"start_time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+", out[3])
    assert re.fullmatch(r"choice: option[123]", out[4])
    number = re.fullmatch(r"number: (\d+)", out[5])
    assert number and 1 <= int(number.group(1)) <= 100
    assert out[6].startswith("id: ") and uuid.UUID(out[6].removeprefix("id: ")).version == 4
    assert out[7] == "Same values as before the pause: True"


def test_graph(tmp_path: Path) -> None:
    out = lines(run_example("11_graph.py", tmp_path))
    assert out[0] == "Hello, World"
    names = [line.split(": ", 1)[1] for line in out[1:]]
    assert names == [
        "graph_workflow World",
        "get_name ['World']",
        "get_name World",
        "say_hello ['World']",
        "say_hello Hello, World",
        "graph_workflow Hello, World",
    ]


def test_cancellation(tmp_path: Path) -> None:
    out = lines(run_example("12_cancellation.py", tmp_path))
    assert out[:3] == ["Cleaning up", "Cancelled: True", "Finished: True"]
    assert re.fullmatch(r"State: (?:ExecutionState\.)?CANCELLED", out[3])
    events = [re.sub(f"^{EVENT}", "", line) for line in out[4:]]
    assert events == [
        "WORKFLOW_STARTED: cancellable_workflow",
        "TASK_STARTED: long_running_task",
        "TASK_STARTED: cleanup",
        "TASK_COMPLETED: cleanup",
        "WORKFLOW_CANCELLED: cancellable_workflow",
    ]


def test_subworkflows(tmp_path: Path) -> None:
    out = lines(run_example("13_subworkflows.py", tmp_path))
    greetings = "['Hello, Ada', 'Hello, Grace', 'Hello, Linus']"
    assert out == [
        greetings,
        "Child runs: ['call:greet', 'call:greet', 'call:greet']",
        f"Run again by id: {greetings}",
    ]


def test_pause_resume(tmp_path: Path) -> None:
    out = lines(run_example("14_pause_resume.py", tmp_path))
    assert out == [
        "Paused: True",
        "Waiting for approval of: {'order_id': 'A-1001', 'total': 125.0}",
        "Succeeded: True",
        "Output: charged 125.00 for A-1001",
        "Output: rejected by maria",
        "Orders charged: ['A-1001']",
    ]


def test_task_options(tmp_path: Path) -> None:
    flux_cli(tmp_path, "secrets", "set", "API_KEY", "your-api-key-value")
    out = lines(run_example("15_task_options.py", tmp_path))
    assert out[:3] == ["Task name: custom_task", "Succeeded: True", "Output: fallback"]
    errors = [line.strip() for line in out if line.startswith("    ")]
    assert len(errors) == 3
    assert all(e.startswith("TypeError(") and "'secrets'" in e for e in errors)
    assert re.fullmatch(f"{EVENT}TASK_FALLBACK_COMPLETED: custom_task", out[-3])


def test_configuration(tmp_path: Path) -> None:
    out = lines(run_example("16_configuration.py", tmp_path))
    assert out == [
        "Server port: 8000",
        "Worker bootstrap token: None",
        "After override: port 9000, token test-token",
        "After reload: port 9000",
        "After reset: port 8000",
        "Database: sqlite:///.flux/flux.db",
    ]


def test_configuration_from_the_environment_and_flux_toml(tmp_path: Path) -> None:
    (tmp_path / "flux.toml").write_text(
        '[flux]\nserver_port = 8100\n\n[flux.workers]\nbootstrap_token = "from-toml"\n'
    )
    out = lines(run_example("16_configuration.py", tmp_path, env={"FLUX_SERVER_PORT": "9100"}))
    assert out[:2] == ["Server port: 9100", "Worker bootstrap token: from-toml"]
    assert out[-2] == "After reset: port 9100"
