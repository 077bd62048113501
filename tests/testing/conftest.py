"""The harness needs no configuration, database or server: each test gets a fresh one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from flux.testing import Harness, harness

START = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def h() -> Iterator[Harness]:
    with harness(start=START) as instance:
        yield instance
