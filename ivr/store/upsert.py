"""One idempotent insert-or-update for SQLite and PostgreSQL (INSERT … ON CONFLICT), so two
instances writing the same row at the same moment both succeed instead of one failing."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def upsert(connection, table, values: dict, key: tuple, changes: dict | None = None, where=None):
    """Insert `values`; when a row with the same `key` columns exists, apply `changes` to it
    (nothing, when `changes` is empty), only if `where` holds for it, when given."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    if changes:
        statement = statement.on_conflict_do_update(index_elements=list(key), set_=changes, where=where)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    return connection.execute(statement)
