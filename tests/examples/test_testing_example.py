"""`examples/testing_my_workflow.py` and its pytest file, run as a user runs them: the demo
with `python`, the tests with `python -m pytest`, each in a scratch directory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clean_env

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

pytestmark = pytest.mark.slow


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_prints_a_virtual_day(tmp_path: Path) -> None:
    result = _run(tmp_path, str(EXAMPLES / "testing_my_workflow.py"))
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "State: COMPLETED"
    assert out[1].startswith("Output: {'reservation': 'reservation-A-1'")
    assert out[2:7] == [
        "  2030-01-01 09:00 reserve_stock: 1 attempt(s)",
        "  2030-01-01 09:00 charge_card: 2 attempt(s)",
        "  2030-01-01 09:10 sleep_deadline: 1 attempt(s)",
        "  2030-01-01 09:10 sleep: 1 attempt(s)",
        "  2030-01-02 09:10 ship: 1 attempt(s)",
    ]
    assert out[7:] == ["Virtual duration: 1 day, 0:10:00", "Real time under a second: True"]
    assert list(tmp_path.iterdir()) == []  # no database, no .flux directory


def test_the_users_tests_pass(tmp_path: Path) -> None:
    test_file = EXAMPLES / "testing_my_workflow_test.py"
    result = _run(tmp_path, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b6 passed\b", result.stdout), result.stdout
