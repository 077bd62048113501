"""The one schema of Flux, shared by SQLite and PostgreSQL.

Declared with SQLAlchemy Core so that the migrations, the statements the adapters compile and
the schema check in the tests all read the same definition. Timestamps are timezone-aware
UTC: TIMESTAMPTZ on PostgreSQL; on SQLite the adapter stores fixed-width ISO-8601 text, whose
text order is time order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

# Named constraints keep future ALTERs (and SQLite batch migrations) deterministic.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _timestamp(name: str, *, nullable: bool = False) -> Column[datetime]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


executions = Table(
    "executions",
    metadata,
    Column("execution_id", Text, primary_key=True),
    Column("workflow_name", Text, nullable=False),
    Column("workflow_version", Text, nullable=True),
    Column("state", String(16), nullable=False),
    Column("input", LargeBinary, nullable=True),
    Column("output", LargeBinary, nullable=True),
    Column("parent_execution_id", Text, nullable=True),
    Column("requests", Text, nullable=True),
    _timestamp("created_at"),
    _timestamp("updated_at"),
    Index(None, "workflow_name", "created_at"),
    Index(None, "state"),
    Index(None, "parent_execution_id"),
)

events = Table(
    "events",
    metadata,
    # Deleting an execution (retention) takes its log with it.
    Column(
        "execution_id",
        Text,
        ForeignKey("executions.execution_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("source_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("value", LargeBinary, nullable=True),
    _timestamp("time"),
)

task_cache = Table(
    "task_cache",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", LargeBinary, nullable=False),
    _timestamp("expires_at", nullable=True),
    _timestamp("created_at"),
)

secrets = Table(
    "secrets",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", LargeBinary, nullable=False),
    _timestamp("created_at"),
    _timestamp("updated_at"),
)
