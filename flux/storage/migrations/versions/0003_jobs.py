"""Script jobs: run_at on executions, the jobs table, live step output.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01

Written out in full (not from `schema.metadata`), like 0001. Adding a nullable column and
an index does not make SQLite's batch mode rebuild `executions` (a rebuild would drop the
table, which with foreign keys on deletes the events of every execution).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _execution_id() -> sa.Column[str]:
    return sa.Column("execution_id", sa.Text(), nullable=False)


def _on_execution(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["execution_id"],
        ["executions.execution_id"],
        name=f"fk_{table}_execution_id_executions",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(_timestamp("run_at", nullable=True))
        batch.create_index("ix_executions_state_run_at", ["state", "run_at"])
    _create_jobs()
    _create_execution_logs()


def _create_jobs() -> None:
    op.create_table(
        "jobs",
        _execution_id(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("runtime", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("execution_id", name="pk_jobs"),
        _on_execution("jobs"),
    )
    op.create_index("ix_jobs_name_created_at", "jobs", ["name", "created_at"])
    op.create_index("ix_jobs_type_created_at", "jobs", ["type", "created_at"])
    op.create_index("ix_jobs_created_at", "jobs", ["created_at"])


def _create_execution_logs() -> None:
    op.create_table(
        "execution_logs",
        _execution_id(),
        sa.Column("step_id", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _timestamp("time"),
        sa.PrimaryKeyConstraint("execution_id", "step_id", "position", name="pk_execution_logs"),
        _on_execution("execution_logs"),
    )


def downgrade() -> None:
    op.drop_table("execution_logs")
    op.drop_index("ix_jobs_created_at", table_name="jobs")
    op.drop_index("ix_jobs_type_created_at", table_name="jobs")
    op.drop_index("ix_jobs_name_created_at", table_name="jobs")
    op.drop_table("jobs")
    with op.batch_alter_table("executions") as batch:
        batch.drop_index("ix_executions_state_run_at")
        batch.drop_column("run_at")
