"""Which stored values are references to large outputs (for pruning the output store).

One read-only statement over every column that holds codec values. Only values shorter than
`MAX_REFERENCE_BYTES` whose first byte is the reference tag are returned; the length test
comes first and both databases answer it from the value's header (SQLite's record header,
PostgreSQL's TOAST pointer), so large values are never read. Run it in a thread: it opens its
own short-lived connection, like `flux.storage.migrate` does.
"""

from __future__ import annotations

from flux.codec.references import MAX_REFERENCE_BYTES, REFERENCE_TAG
from flux.errors import ConfigurationError


def referenced_values(url: str) -> list[bytes]:
    from sqlalchemy import LargeBinary, create_engine, func, literal, select, union_all
    from sqlalchemy.pool import NullPool

    from flux.storage import schema

    scheme, _, rest = url.partition("://")
    if scheme.lower() == "memory":
        raise ConfigurationError("memory:// keeps no values another process could prune for")
    if scheme.lower() == "postgresql":
        url = f"postgresql+psycopg://{rest}"  # SQLAlchemy's default would be psycopg2
    columns = [
        schema.events.c.value,
        schema.executions.c.input,
        schema.executions.c.output,
        schema.task_cache.c.value,
    ]
    tag = literal(REFERENCE_TAG, LargeBinary)
    statement = union_all(
        *(
            select(column.label("value")).where(
                column.is_not(None),
                func.length(column) < MAX_REFERENCE_BYTES,
                func.substr(column, 1, 1) == tag,
            )
            for column in columns
        )
    )
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [bytes(row[0]) for row in connection.execute(statement)]
    finally:
        engine.dispose()
