"""Clusters of real server and worker processes, on SQLite or on a PostgreSQL database of
their own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.worker.processes import Cluster

POSTGRES = os.environ.get("FLUX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
WORKFLOWS = Path(__file__).with_name("workflows.py")

pytestmark = pytest.mark.slow


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            raise
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not postgres_available():
        pytest.skip("PostgreSQL SKIPPED: unreachable")
    name = f"flux_acceptance_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{POSTGRES.rpartition('/')[0]}/{name}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def effects(tmp_path: Path) -> Path:
    return tmp_path / "effects.txt"


def make_cluster(tmp_path: Path, effects: Path, database_url: str | None = None) -> Cluster:
    extra = {"ACCEPTANCE_EFFECTS": str(effects), "FLUX_WORKERS__LEASE_TTL": "3"}
    if database_url:
        extra["FLUX_DATABASE_URL"] = database_url
    return Cluster(tmp_path, extra)


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []
