"""An index for the newest executions first, whatever their workflow or state.

Revision ID: 0007
Revises: 0006
Create Date: 2025-06-15

The dashboard's unfiltered execution list (and `GET /executions/search` without filters)
orders every run by (created_at, execution_id) descending; without this index the database
sorts the whole table for its first page (about 60 ms at 100,000 runs on SQLite). Written out
in full like 0005 and 0006: one new index, nothing rebuilt.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NAME = "ix_executions_created_at_execution_id"


def upgrade() -> None:
    op.create_index(_NAME, "executions", ["created_at", "execution_id"])


def downgrade() -> None:
    op.drop_index(_NAME, table_name="executions")
