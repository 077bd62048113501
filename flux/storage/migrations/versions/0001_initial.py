"""Initial schema: executions, events, task_cache, secrets.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out in full rather than from `schema.metadata`, so that this revision keeps creating
what it created even after the schema moves on; a test compares the result to `schema.py`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _create_executions()
    _create_events()
    _create_task_cache_and_secrets()


def _create_executions() -> None:
    op.create_table(
        "executions",
        sa.Column("execution_id", sa.Text(), nullable=False),
        sa.Column("workflow_name", sa.Text(), nullable=False),
        sa.Column("workflow_version", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("input", sa.LargeBinary(), nullable=True),
        sa.Column("output", sa.LargeBinary(), nullable=True),
        sa.Column("parent_execution_id", sa.Text(), nullable=True),
        sa.Column("requests", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("execution_id", name="pk_executions"),
    )
    op.create_index(
        "ix_executions_workflow_name_created_at", "executions", ["workflow_name", "created_at"]
    )
    op.create_index("ix_executions_state", "executions", ["state"])
    op.create_index("ix_executions_parent_execution_id", "executions", ["parent_execution_id"])


def _create_events() -> None:
    op.create_table(
        "events",
        sa.Column("execution_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        _timestamp("time"),
        sa.PrimaryKeyConstraint("execution_id", "seq", name="pk_events"),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.execution_id"],
            name="fk_events_execution_id_executions",
            ondelete="CASCADE",
        ),
    )


def _create_task_cache_and_secrets() -> None:
    op.create_table(
        "task_cache",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        _timestamp("expires_at", nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("key", name="pk_task_cache"),
    )
    op.create_table(
        "secrets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_secrets"),
    )


def downgrade() -> None:
    op.drop_table("secrets")
    op.drop_table("task_cache")
    op.drop_table("events")
    op.drop_table("executions")
