"""Schedules: the schedules table and one row per fire time.

Revision ID: 0004
Revises: 0003
Create Date: 2025-04-01

Written out in full (not from `schema.metadata`), like 0001. Only new tables: nothing
existing is rebuilt.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("workflow_name", sa.Text(), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("overlap", sa.String(16), nullable=False),
        sa.Column("catchup", sa.String(16), nullable=False),
        sa.Column("catchup_limit", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("next_fire_at", nullable=True),
        _timestamp("last_fire_at", nullable=True),
        sa.Column("last_execution_id", sa.Text(), nullable=True),
        _counter("fired"),
        _counter("skipped"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _counter("revision"),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
    )
    op.create_index("ix_schedules_state_next_fire_at", "schedules", ["state", "next_fire_at"])
    op.create_table(
        "schedule_fires",
        sa.Column("schedule_id", sa.Text(), nullable=False),
        _timestamp("fire_time"),
        sa.Column("execution_id", sa.Text(), nullable=True),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("schedule_id", "fire_time", name="pk_schedule_fires"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name="fk_schedule_fires_schedule_id_schedules",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("schedule_fires")
    op.drop_index("ix_schedules_state_next_fire_at", table_name="schedules")
    op.drop_table("schedules")
