"""Test databases made from a template: the helpline's tables are migrated once per test process
and copied for each test (conftest.py's sqlite_template and postgres_template)."""
from __future__ import annotations

import shutil
from pathlib import Path


def sqlite_copy(template: Path, folder: Path) -> str:
    """A SQLite database in `folder` with the helpline's tables, copied from the migrated template."""
    path = folder / "helpline.db"
    if not path.exists():
        shutil.copyfile(template, path)
    return f"sqlite:///{path}"


class ReusedPostgres:
    """PostgreSQL databases with the helpline's tables, each lent to one test at a time and emptied
    when it is given back: a TRUNCATE of every table costs a tenth of what making a database from
    the template and dropping it did (0.7 s a test, most of it the server's CPU). One that cannot be
    emptied, or whose tables a test changed, is dropped instead, and a new one made when needed.

    `make()` makes a database from the template and returns its URL; `drop(url)` drops one;
    `admin` is an AUTOCOMMIT engine on the server's maintenance database."""

    def __init__(self, make, drop, admin):
        self.make, self.drop, self.admin = make, drop, admin
        self.free: list = []
        self.tables: frozenset | None = None      # the template's, read from the first database made

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        url = self.make()
        if self.tables is None:
            self.tables = self._tables(url)
        return url

    def give_back(self, url: str) -> None:
        try:
            self._empty(url)
        except Exception:            # noqa: BLE001 - whatever went wrong, a new database replaces it
            self.drop(url)
            return
        self.free.append(url)

    def close(self) -> None:
        while self.free:
            self.drop(self.free.pop())

    def _empty(self, url: str) -> None:
        import sqlalchemy

        name = sqlalchemy.engine.make_url(url).database
        with self.admin.connect() as connection:
            # A test that made it unavailable (an outage) and stopped before making it available again,
            # and whatever connection its threads still hold: neither reaches the next test.
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            connection.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        tables = self._tables(url)
        if tables != self.tables:
            raise RuntimeError(f"the test changed the tables of {name}")
        engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.begin() as connection:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")   # a straggler's lock: drop it instead
                emptied = ", ".join(f'"{table}"' for table in sorted(tables - {"alembic_version"}))
                connection.exec_driver_sql(f"TRUNCATE {emptied} RESTART IDENTITY CASCADE")
        finally:
            engine.dispose()

    @staticmethod
    def _tables(url: str) -> frozenset:
        import sqlalchemy

        engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
        try:
            with engine.connect() as connection:
                return frozenset(row[0] for row in connection.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        finally:
            engine.dispose()
