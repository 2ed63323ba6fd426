"""Alembic brings every database the helpline meets to the newest tables — a fresh one, one made by
create_all before there were migrations, one that two workers start on at the same moment — on a
SQLite file and on a real PostgreSQL."""
from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner

from ivr.cli import main
from ivr.store.calls import CallRecords
from ivr.store.database import (ensure_schema, head_revision, migrations_config,
                                open_database, schema_revision)
from ivr.store.schema import calls, metadata

ROOT = Path(__file__).resolve().parents[2]
TABLES = set(metadata.tables) | {"alembic_version"}
WHEN = datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def database_url(empty_database_url):
    """The migrations' tests start from a database with no tables."""
    return empty_database_url


@pytest.fixture
def engine(database_url):
    engine = open_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def environment(tmp_path):
    """os.environ without the helpline's own settings, and an instance folder of the test's own."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("IVR_", "TWILIO_", "DATABASE_URL"))}
    return {**env, "IVR_INSTANCE_DIR": str(tmp_path / "instance")}


def table_names(engine) -> set:
    return set(sqlalchemy.inspect(engine).get_table_names())


def differences_from_schema_py(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


def version_rows(engine) -> list:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()


def a_call_is_recorded(engine, call_sid: str = "CA" + "1" * 32) -> bool:
    records = CallRecords(engine, hash_key="test")
    records.call_status(call_sid, "completed", 42, "key", WHEN)
    row = records.get(call_sid)
    return row is not None and (row.status, row.duration_seconds) == ("completed", 42)


def test_a_fresh_database_gets_the_tables_of_schema_py_at_the_newest_revision(engine):
    ensure_schema(engine)

    assert table_names(engine) == TABLES
    assert version_rows(engine) == [head_revision()]
    assert differences_from_schema_py(engine) == []
    assert a_call_is_recorded(engine)


def test_migrating_twice_changes_nothing(engine):
    ensure_schema(engine)
    assert a_call_is_recorded(engine)

    ensure_schema(engine)

    assert version_rows(engine) == [head_revision()]
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(calls)).scalar() == 1


def before_migrations():
    """The tables as create_all made them before there were migrations (revision 0001's shape)."""
    old = sqlalchemy.MetaData()
    S, D, I = sqlalchemy.String, sqlalchemy.DateTime(timezone=True), sqlalchemy.Integer
    C = sqlalchemy.Column
    old_calls = sqlalchemy.Table("calls", old, C("call_sid", S(64), primary_key=True),
                                 C("caller_key", S(40), nullable=False, index=True), C("started_at", D),
                                 C("ended_at", D), C("status", S(20), nullable=False), C("duration_seconds", I))
    old_callbacks = sqlalchemy.Table("callbacks", old, C("id", I, primary_key=True, autoincrement=True),
                                     C("call_sid", S(64), nullable=False, unique=True),
                                     C("caller_key", S(40), nullable=False), C("number", S(32), nullable=False),
                                     C("language", S(10), nullable=False), C("requested_at", D, nullable=False),
                                     C("status", S(20), nullable=False))
    old_voicemails = sqlalchemy.Table("voicemails", old, C("id", I, primary_key=True, autoincrement=True),
                                      C("call_sid", S(64), nullable=False, unique=True),
                                      C("caller_key", S(40), nullable=False),
                                      C("recording_url", sqlalchemy.Text, nullable=False), C("duration_seconds", I),
                                      C("language", S(10), nullable=False), C("left_at", D, nullable=False))
    return old, old_calls, old_callbacks, old_voicemails


def test_a_database_made_by_create_all_is_stamped_and_keeps_its_calls(engine, caplog):
    old, old_calls, _, _ = before_migrations()
    old.create_all(engine)                                   # all there was before Alembic
    with engine.begin() as connection:
        connection.execute(old_calls.insert(), [{"call_sid": "CA-before", "caller_key": "k", "status": "completed"}])

    with caplog.at_level(logging.INFO):
        ensure_schema(engine)

    assert "tables made before migrations: marked as revision 0001" in caplog.text
    assert "Running upgrade  -> 0001" not in caplog.text       # stamped, not created again
    assert version_rows(engine) == [head_revision()]
    assert differences_from_schema_py(engine) == []
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.select(calls.c.call_sid)).scalars().all() == ["CA-before"]
    assert a_call_is_recorded(engine)


def test_a_database_from_the_first_version_with_only_calls_gets_the_other_tables(engine):
    old, old_calls, _, _ = before_migrations()
    old.create_all(engine, tables=[old_calls])
    with engine.begin() as connection:
        connection.execute(old_calls.insert(), [{"call_sid": "CA-before", "caller_key": "k", "status": "completed"}])

    ensure_schema(engine)

    assert table_names(engine) == TABLES
    assert differences_from_schema_py(engine) == []
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.select(calls.c.call_sid)).scalars().all() == ["CA-before"]


def test_a_database_migrated_by_newer_code_is_left_as_it_is_and_calls_are_still_recorded(engine, caplog):
    ensure_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'from-the-future'")

    with caplog.at_level(logging.WARNING, logger="ivr.store.database"):
        ensure_schema(engine)

    assert "at revision from-the-future, which this version does not know" in caplog.text
    assert version_rows(engine) == ["from-the-future"]
    assert a_call_is_recorded(engine)


def test_the_first_revision_can_be_undone(engine):
    ensure_schema(engine)

    with engine.begin() as connection:
        command.downgrade(migrations_config(connection), "base")

    assert table_names(engine) == {"alembic_version"}
    assert schema_revision(engine) is None


def test_an_in_memory_sqlite_database_is_migrated_too():
    engine = open_database("sqlite://")
    try:
        ensure_schema(engine)
        assert table_names(engine) == TABLES
        assert schema_revision(engine) == head_revision()
    finally:
        engine.dispose()


RACER = """
import sys
from ivr.store.database import ensure_schema, open_database

engine = open_database(sys.argv[1])
engine.connect().close()            # imported and connected: only the migration is left to race
print("ready", flush=True)
sys.stdin.readline()
ensure_schema(engine)
print("done", flush=True)
"""


def test_two_processes_migrating_a_fresh_database_at_the_same_moment_both_succeed(database_url, environment):
    racers = [subprocess.Popen([sys.executable, "-c", RACER, database_url], cwd=ROOT, env=environment,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    try:
        for racer in racers:
            assert racer.stdout.readline() == "ready\n", racer.stderr.read()
        for racer in racers:
            racer.stdin.write("go\n")
            racer.stdin.flush()
        outcomes = [racer.communicate(timeout=60) for racer in racers]
    finally:
        for racer in racers:
            racer.kill()
            racer.wait()

    for racer, (out, err) in zip(racers, outcomes):
        assert (racer.returncode, out) == (0, "done\n"), err
    engine = open_database(database_url)
    try:
        assert version_rows(engine) == [head_revision()]
        assert table_names(engine) == TABLES
    finally:
        engine.dispose()


def test_ivr_db_upgrade_migrates_database_url_and_says_so(database_url, environment):
    def ivr_db_upgrade() -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).parent / "ivr"), "db", "upgrade"], cwd=ROOT,
                              env={**environment, "DATABASE_URL": database_url},
                              capture_output=True, text=True, timeout=120)

    first, second = ivr_db_upgrade(), ivr_db_upgrade()

    assert first.returncode == 0, first.stderr
    assert first.stdout.endswith(f": at revision {head_revision()}, upgraded from no revision\n")
    assert second.returncode == 0, second.stderr
    assert second.stdout.endswith(f": at revision {head_revision()} already\n")
    engine = open_database(database_url)
    try:
        assert table_names(engine) == TABLES
    finally:
        engine.dispose()


def test_ivr_db_upgrade_refuses_a_database_migrated_by_newer_code(engine, database_url, environment):
    ensure_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'from-the-future'")

    result = CliRunner().invoke(main, ["db", "upgrade"], env={
        "DATABASE_URL": database_url, "IVR_INSTANCE_DIR": environment["IVR_INSTANCE_DIR"]})

    assert result.exit_code == 1
    assert "at revision from-the-future, which this version does not know" in result.output
