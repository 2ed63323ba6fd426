"""Opens the database and makes sure its tables exist, once, even when several workers start together."""
from __future__ import annotations

import contextlib
import fcntl
import logging
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from .schema import metadata

log = logging.getLogger(__name__)
SCHEMA_LOCK_ID = 0x1E1F11E   # the PostgreSQL advisory lock this project takes while creating tables


def open_database(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                               connect_args={"connect_timeout": 3})
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")        # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def ensure_schema(engine: Engine) -> None:
    """Create missing tables under a lock, so two workers starting at once do not race."""
    with _schema_lock(engine) as connection:
        metadata.create_all(connection)


@contextlib.contextmanager
def _schema_lock(engine: Engine):
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SCHEMA_LOCK_ID})
            yield connection
        return
    database = engine.url.database
    lock_path = Path(database + ".lock") if database and database != ":memory:" else None
    if lock_path is None:
        with engine.begin() as connection:
            yield connection
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            with engine.begin() as connection:
                yield connection
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
