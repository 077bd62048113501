"""The one schema of Flux, shared by SQLite and PostgreSQL.

Declared with SQLAlchemy Core so that the migrations, the statements the adapters compile and
the schema check in the tests all read the same definition. Timestamps are timezone-aware
UTC: TIMESTAMPTZ on PostgreSQL; on SQLite the adapter stores fixed-width ISO-8601 text, whose
text order is time order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
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
    # Distributed mode (docs/distributed.md): who holds the run, under which fencing epoch,
    # until when; how many times a worker claimed it; why the server failed it.
    Column("worker_name", Text, nullable=True),
    Column("lease_epoch", Integer, nullable=False, default=0, server_default="0"),
    _timestamp("lease_expires_at", nullable=True),
    Column("attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("error", Text, nullable=True),
    # Not before this time: the execution waits CREATED until then (a job's `runAt`).
    _timestamp("run_at", nullable=True),
    # Queues and limits (docs/production.md): higher priorities are dispatched first; the
    # limit keys the run is admitted under (`flux.domain.limits.RunLimits`), NULL without.
    Column("priority", Integer, nullable=False, default=0, server_default="0"),
    Column("concurrency_key", Text, nullable=True),
    Column("concurrency_limit", Integer, nullable=True),
    Column("rate_key", Text, nullable=True),
    Column("rate_limit", Integer, nullable=True),
    Column("rate_period", Float, nullable=True),
    Index(None, "workflow_name", "created_at"),
    # Newest first across every workflow and state: the unfiltered lists (migration 0007).
    Index(None, "created_at", "execution_id"),
    # The dispatch queue: SCHEDULED rows oldest first; also serves filters on state alone.
    Index(None, "state", "created_at"),
    Index(None, "parent_execution_id"),
    Index(None, "worker_name"),
    Index(None, "lease_expires_at"),
    # The timer's queue: CREATED rows whose run_at has come, earliest first.
    Index(None, "state", "run_at"),
)

# Queued top-level runs with a priority other than the default, in dispatch order. Partial,
# so that a run at priority 0 (most runs) costs it nothing: those are read in created_at
# order through (state, created_at) (`lease_statements._band`).
_PRIORITIZED = "state = 'SCHEDULED' AND parent_execution_id IS NULL AND priority <> 0"
Index(
    "ix_executions_priority",
    executions.c.priority.desc(),
    executions.c.created_at,
    executions.c.execution_id,
    sqlite_where=text(_PRIORITIZED),
    postgresql_where=text(_PRIORITIZED),
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

# What a script job adds to its execution; the script itself is the execution's input.
jobs = Table(
    "jobs",
    metadata,
    Column(
        "execution_id",
        Text,
        ForeignKey("executions.execution_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("runtime", Text, nullable=False),
    _timestamp("created_at"),
    # Listing is newest first, by name, by type or unfiltered.
    Index(None, "name", "created_at"),
    Index(None, "type", "created_at"),
    Index(None, "created_at"),
)

# Output of steps while they run, as the worker ships it in chunks.
execution_logs = Table(
    "execution_logs",
    metadata,
    Column(
        "execution_id",
        Text,
        ForeignKey("executions.execution_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("step_id", Text, primary_key=True),
    # The chunk's offset (in characters) in the step's output; "offset" is reserved in SQL.
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
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

# Uploaded workflow files, by content hash. The server parses them (never imports them);
# workers fetch the source to run it.
workflows = Table(
    "workflows",
    metadata,
    Column("name", Text, primary_key=True),
    Column("version", Text, primary_key=True),
    Column("filename", Text, nullable=True),
    Column("source", Text, nullable=False),
    Column("metadata", Text, nullable=False),  # JSON: secret_requests, requests, schedule
    _timestamp("created_at"),
    Index(None, "name", "created_at"),
)

workers = Table(
    "workers",
    metadata,
    Column("name", Text, primary_key=True),
    Column("session_token_hash", Text, nullable=False),
    Column("resources", Text, nullable=False),  # JSON, the worker's last report
    Column("packages", Text, nullable=False),  # JSON list of {name, version}
    Column("python_version", Text, nullable=False),
    Column("platform", Text, nullable=False),
    Column("max_concurrency", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    # The SSE connection the worker holds now: a stale connection closing on another replica
    # must not release the leases the worker took under its new one.
    Column("connection_id", Text, nullable=True),
    _timestamp("registered_at"),
    _timestamp("last_seen_at"),
)

# Schedules (docs/schedules.md): what to start and when; `revision` fences concurrent
# writers (every update names the revision it read).
schedules = Table(
    "schedules",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("workflow_name", Text, nullable=False),
    Column("input", Text, nullable=False),  # JSON
    Column("spec", Text, nullable=False),  # JSON: the schedule's to_dict()
    Column("overlap", String(16), nullable=False),
    Column("catchup", String(16), nullable=False),
    Column("catchup_limit", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    _timestamp("created_at"),
    _timestamp("updated_at"),
    _timestamp("next_fire_at", nullable=True),
    _timestamp("last_fire_at", nullable=True),
    Column("last_execution_id", Text, nullable=True),
    Column("fired", Integer, nullable=False, default=0, server_default="0"),
    Column("skipped", Integer, nullable=False, default=0, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("revision", Integer, nullable=False, default=0, server_default="0"),
    # The scheduler's queue: active schedules, earliest next fire first.
    Index(None, "state", "next_fire_at"),
)

# One row per fire time: its primary key is what makes a fire time start one run even when
# several replicas fire at once. `execution_id` is NULL for a skipped fire.
schedule_fires = Table(
    "schedule_fires",
    metadata,
    Column(
        "schedule_id",
        Text,
        ForeignKey("schedules.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("fire_time", DateTime(timezone=True), primary_key=True),
    Column("execution_id", Text, nullable=True),
    _timestamp("created_at"),
)

# Slots of concurrency and rate limits (docs/production.md, "Queues and limits"). A run is
# admitted by inserting a row numbered below the limit's capacity in its claim's
# transaction, so the primary key makes over-admission impossible, whatever the number of
# replicas and workers. A concurrency slot is deleted when its run stops holding a worker;
# a rate slot stays, busy until `free_at`, and is reused after.
limit_slots = Table(
    "limit_slots",
    metadata,
    Column("kind", String(16), primary_key=True),  # "concurrency" | "rate"
    Column("limit_key", Text, primary_key=True),
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("execution_id", Text, nullable=False),
    Column("capacity", Integer, nullable=False),  # the limit when the slot was taken
    _timestamp("acquired_at"),
    _timestamp("free_at", nullable=True),
)

# API keys (docs/security.md): a key reads `flux_<id>_<secret>`; only sha256(secret) is kept,
# so a lost key cannot be shown again, only revoked and replaced. Created by migration 0006.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Text, primary_key=True),  # 12 hex characters, public (logs, the list)
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),  # admin | operator | viewer | worker
    Column("secret_hash", Text, nullable=False),  # sha256 hex of the secret part
    _timestamp("created_at"),
    Column("created_by", Text, nullable=True),  # the creator's label; NULL for the first key
    _timestamp("revoked_at", nullable=True),
    _timestamp("last_used_at", nullable=True),
)

# Who did what (docs/audit.md), appended in batches by the server's audit writer. The id is
# only the list's tie-breaker and the cursor's second half; (at) serves the list and
# retention, (action, at) the list of one action. Created by migration 0006.
audit_log = Table(
    "audit_log",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    _timestamp("at"),
    Column("actor", Text, nullable=False),
    Column("role", Text, nullable=True),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=True),
    Column("status", Integer, nullable=True),
    Column("client", Text, nullable=True),
    Column("detail", Text, nullable=True),  # JSON text
    Index(None, "at"),
    Index(None, "action", "at"),
)
