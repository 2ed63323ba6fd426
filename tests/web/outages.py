"""The database made unavailable to the helpline for as long as a `with` block lasts, for real:
PostgreSQL refuses connections (ALLOW_CONNECTIONS false, its backends terminated); a SQLite file
is locked by another writer holding an exclusive transaction. Shared by the tests of what is kept
through an outage (test_nothing_lost.py) and of outages under load (test_load_and_faults.py)."""
from __future__ import annotations

import contextlib
import sqlite3

import sqlalchemy

#: How long the SQLite locker waits for a writer of the helpline's to finish before it takes the
#: lock: under load one is always writing, and the outage must begin all the same.
SQLITE_LOCK_WAIT_SECONDS = 10


@contextlib.contextmanager
def outage(database_url: str):
    """The database, unavailable to the helpline until the block ends."""
    url = sqlalchemy.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        locker = sqlite3.connect(url.database, timeout=SQLITE_LOCK_WAIT_SECONDS, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")             # no other writer until it ends
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        return
    admin = sqlalchemy.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = url.database
    with admin.connect() as connection:
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        connection.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.dispose()

