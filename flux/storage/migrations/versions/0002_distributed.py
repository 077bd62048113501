"""Distributed mode: leases on executions, the workflow catalog, the worker registry.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01

Written out in full (not from `schema.metadata`), like 0001.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _alter_executions()
    _create_workflows()
    _create_workers()


def _alter_executions() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("worker_name", sa.Text(), nullable=True))
        batch.add_column(sa.Column("lease_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(_timestamp("lease_expires_at", nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.drop_index("ix_executions_state")
        batch.create_index("ix_executions_state_created_at", ["state", "created_at"])
        batch.create_index("ix_executions_worker_name", ["worker_name"])
        batch.create_index("ix_executions_lease_expires_at", ["lease_expires_at"])


def _create_workflows() -> None:
    op.create_table(
        "workflows",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("name", "version", name="pk_workflows"),
    )
    op.create_index("ix_workflows_name_created_at", "workflows", ["name", "created_at"])


def _create_workers() -> None:
    op.create_table(
        "workers",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("session_token_hash", sa.Text(), nullable=False),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("packages", sa.Text(), nullable=False),
        sa.Column("python_version", sa.Text(), nullable=False),
        sa.Column("platform", sa.Text(), nullable=False),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("connection_id", sa.Text(), nullable=True),
        _timestamp("registered_at"),
        _timestamp("last_seen_at"),
        sa.PrimaryKeyConstraint("name", name="pk_workers"),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_index("ix_workflows_name_created_at", table_name="workflows")
    op.drop_table("workflows")
    with op.batch_alter_table("executions") as batch:
        batch.drop_index("ix_executions_lease_expires_at")
        batch.drop_index("ix_executions_worker_name")
        batch.drop_index("ix_executions_state_created_at")
        batch.create_index("ix_executions_state", ["state"])
        for name in ("error", "attempts", "lease_expires_at", "lease_epoch", "worker_name"):
            batch.drop_column(name)
