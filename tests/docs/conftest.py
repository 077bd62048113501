"""Lists the documentation blocks marked `<!-- not-run: reason -->` after the run, so that
what the docs tests did not run is always in plain sight."""

from __future__ import annotations

import pytest

NOT_RUN = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    not_run = terminalreporter.config.stash.get(NOT_RUN, [])
    if not_run:
        terminalreporter.section(f"documentation blocks not run ({len(not_run)})")
        for line in not_run:
            terminalreporter.write_line(line)
