"""Queues and limits: priority and limit keys on executions, an index of queued runs with a
priority, and the slots of concurrency and rate limits.

Revision ID: 0005
Revises: 0004
Create Date: 2025-05-01

Written out in full (not from `schema.metadata`), like 0001. Only columns that SQLite can
add in place (nullable, or NOT NULL with a default) and new indexes and tables: nothing
rebuilds `executions` (a rebuild would drop it, and with foreign keys on, every event).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_PRIORITIZED = "state = 'SCHEDULED' AND parent_execution_id IS NULL AND priority <> 0"


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("concurrency_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("concurrency_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rate_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rate_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rate_period", sa.Float(), nullable=True))
    op.create_index(
        "ix_executions_priority",
        "executions",
        [sa.text("priority DESC"), "created_at", "execution_id"],
        sqlite_where=sa.text(_PRIORITIZED),
        postgresql_where=sa.text(_PRIORITIZED),
    )
    op.create_table(
        "limit_slots",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("limit_key", sa.Text(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("execution_id", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        _timestamp("acquired_at"),
        _timestamp("free_at", nullable=True),
        sa.PrimaryKeyConstraint("kind", "limit_key", "slot", name="pk_limit_slots"),
    )


def downgrade() -> None:
    op.drop_table("limit_slots")
    op.drop_index("ix_executions_priority", table_name="executions")
    with op.batch_alter_table("executions") as batch:
        for name in (
            "rate_period",
            "rate_limit",
            "rate_key",
            "concurrency_limit",
            "concurrency_key",
            "priority",
        ):
            batch.drop_column(name)
