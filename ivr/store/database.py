"""Opens the database and brings its tables up to date (Alembic, migrations/), once, even when
several workers start together."""
from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import sqlite3
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

log = logging.getLogger(__name__)
SCHEMA_LOCK_ID = 0x1E1F11E   # the PostgreSQL advisory lock this project takes while migrating
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision that holds the tables metadata.create_all made before there were migrations.
FIRST_REVISION = "0001"
FIRST_TABLES = frozenset({"calls", "callbacks", "voicemails"})
SQLITE_BUSY_SECONDS = 5
#: SQLite connections kept open for the next request (more are opened, and closed after, when busy).
SQLITE_POOL_KEPT = 8


def open_database(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A write waits this long for another writer's lock before it counts as failed (and its
        # record goes to the spool): inside Twilio's 6 s read timeout (#rt=6000) for a webhook's answer.
        # Connections are kept and reused (opening one, its pragmas, and closing it — where SQLite
        # checkpoints the WAL when the last one goes — cost more than the statements of a
        # request), but no request ever queues for one: past SQLITE_POOL_KEPT, a request opens a
        # connection of its own (max_overflow=-1). Behind a bounded pool, requests queued while
        # others waited on the lock, and answered a caller after 7 s, past that timeout.
        file = ":memory:" not in url and url.rstrip("/") not in ("sqlite:", "sqlite:/")
        pooling = {"poolclass": QueuePool, "pool_size": SQLITE_POOL_KEPT, "max_overflow": -1} if file else {}
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
                               **pooling)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                               connect_args={"connect_timeout": 3})
    return engine


def database_unavailable(context) -> bool:
    """Whether a failed statement (SQLAlchemy's ExceptionContext) means the database cannot be used
    now — a lost or refused connection, a SQLite file locked or unopenable — rather than a mistake
    in one statement (a duplicate key, a serialization conflict) that the next may not meet."""
    if getattr(context, "is_pre_ping", False):
        return False            # a pooled connection found stale and replaced: the database answers
    if context.is_disconnect:
        return True
    error = context.original_exception
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return "locked" in message or "busy" in message or "unable to open" in message
    return context.connection is None and isinstance(context.sqlalchemy_exception, OperationalError)


def ping(engine: Engine) -> None:
    """Ask the database the smallest question; raises SQLAlchemyError when it cannot answer."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")   # first: the next pragma may wait
    # WAL lets readers go on while one writes. The switch needs the file to itself for a moment and
    # may answer 'locked' at once when another worker is starting too: it is kept once made, so
    # only the first connections ever try, and they try again a few times.
    for attempt in range(20):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            time.sleep(0.05 * (attempt + 1))
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrations_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built here rather than read from an .ini: migrations/ on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return _migration_scripts()[0]


@functools.cache
def _migration_scripts() -> tuple[str, frozenset]:
    """The newest revision and every one this version knows, read from the migration files once a
    process: they do not change under a running process, and reading them cost each start 10 ms."""
    script = ScriptDirectory.from_config(migrations_config())
    return script.get_current_head(), frozenset(known.revision for known in script.walk_revisions())


def schema_revision(engine: Engine) -> str | None:
    """The revision the database's tables are at; None before any migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_schema(engine: Engine) -> None:
    """Run the migrations up to the newest under a lock, so two workers starting at once do not race."""
    with schema_lock(engine) as connection:
        head, known = _migration_scripts()
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return
        config = migrations_config(connection)
        if current is None and FIRST_TABLES <= set(inspect(connection).get_table_names()):
            log.info("tables made before migrations: marked as revision %s", FIRST_REVISION)
            command.stamp(config, FIRST_REVISION)
        elif current is not None and current not in known:
            # Newer code has migrated it (a rollback, a rolling deploy): the line keeps answering
            # with the tables as they are rather than refuse to start.
            log.warning("the database is at revision %s, which this version does not know: "
                        "tables left as they are", current)
            return
        command.upgrade(config, "head")


@contextlib.contextmanager
def schema_lock(engine: Engine):
    """A connection in a transaction that only one process at a time holds (per database)."""
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
