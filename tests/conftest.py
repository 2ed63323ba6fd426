"""Shared fixtures: the shipped call flows, loaded once and checked, and a fixed clock."""
import datetime
import functools
import logging
import os
from pathlib import Path

import pytest

from ivr.calls import engine as menus
from ivr.flow import model
from ivr.flow.loader import load_flows
from template_databases import ReusedPostgres, sqlite_copy

#: The development server's line per request (werkzeug's INFO) is read by no test but the privacy
#: ones, which ask for it (caplog.set_level(..., logger="werkzeug")); formatting it into every
#: test's captured log cost about a tenth of an HTTP test's CPU.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

SHIPPED_FLOWS = Path(__file__).resolve().parents[1] / "flows"
#: A Wednesday afternoon in New York; the shipped flows have no hours step, so any instant would do.
NOW = datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc)


@functools.cache
def _shipped():
    return load_flows(SHIPPED_FLOWS, today=NOW.date())


def shipped_menus() -> list:
    """Every menu (language menus too) in the shipped flows, read from the FlowSet itself."""
    flows = _shipped().flows
    if flows is None:
        return []
    return sorted((ref for ref, step in flows.steps.items() if isinstance(step, model.Menu)), key=str)


def pytest_generate_tests(metafunc):
    # A test that asks for `menu` runs once per menu of the shipped flows, so a menu staff add
    # later is covered without anyone editing the tests.
    if "menu" in metafunc.fixturenames:
        menus = shipped_menus()
        metafunc.parametrize("menu", menus, ids=[str(ref) for ref in menus])


@pytest.fixture(scope="session")
def shipped_flows() -> model.FlowSet:
    result = _shipped()
    assert result.errors == [], "\n".join(str(p) for p in result.errors)
    return result.flows


@pytest.fixture(scope="session")
def shipped_flows_dir() -> Path:
    return SHIPPED_FLOWS


@pytest.fixture
def now() -> datetime.datetime:
    return NOW


@pytest.fixture
def call(shipped_flows, now):
    """Dial the shipped helpline and do these things in turn; the last Turn comes back."""
    def dial(*events):
        turn = menus.begin(shipped_flows, now)
        for event in events:
            turn = menus.advance(shipped_flows, turn.state, event, now)
        return turn
    return dial


@pytest.fixture
def at(shipped_flows, now):
    """A caller waiting at `step` in `language` does `event`: the Turn that follows."""
    def answer(step, event, language="en", tries=0):
        ref = step if isinstance(step, model.Ref) else model.Ref.parse(step, "main")
        return menus.advance(shipped_flows, menus.CallState(ref, language, tries), event, now)
    return answer


# -- a real PostgreSQL -----------------------------------------------------------------------------
POSTGRES_URL = os.environ.get("IVR_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _admin():
    import sqlalchemy

    return sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _new_postgres_database(template: str | None = None) -> str:
    """A new PostgreSQL database (a copy of `template` when given); its URL. Skips on a laptop
    without a server, and fails under CI=true, where .ci/run makes sure there is one."""
    import uuid

    import sqlalchemy

    admin = _admin()
    name = "ivr_test_" + uuid.uuid4().hex[:12]
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    except sqlalchemy.exc.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    finally:
        admin.dispose()
    return sqlalchemy.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    import sqlalchemy

    admin = _admin()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sqlalchemy.engine.make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def _migrated(url: str) -> str:
    from ivr.store.database import ensure_schema, open_database

    engine = open_database(url)
    ensure_schema(engine)
    engine.dispose()          # a template is copied only while nobody is connected to it
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """The helpline's tables, migrated once per test process into a SQLite file each test copies."""
    path = tmp_path_factory.mktemp("schema") / "helpline.db"
    _migrated(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template():
    """The helpline's tables, migrated once per test process into a PostgreSQL database each test's
    own is made from (CREATE DATABASE ... TEMPLATE); this process's own, so no other copies it."""
    url = _new_postgres_database()
    try:
        yield _migrated(url).rsplit("/", 1)[-1]
    finally:
        _drop_postgres_database(url)


@pytest.fixture
def empty_postgres_url():
    """A new, empty PostgreSQL database for one test, dropped after it (the server is
    IVR_TEST_DATABASE_URL's, default postgres@127.0.0.1:5432/test)."""
    url = _new_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def reused_postgres(postgres_template):
    """This test process's PostgreSQL databases, each lent to one test at a time and emptied after it."""
    admin = _admin()
    databases = ReusedPostgres(lambda: _new_postgres_database(postgres_template), _drop_postgres_database, admin)
    yield databases
    databases.close()
    admin.dispose()


@pytest.fixture
def postgres_url(reused_postgres):
    """A PostgreSQL database with the helpline's tables and no rows, the test's alone while it runs."""
    url = reused_postgres.take()
    yield url
    reused_postgres.give_back(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template) -> str:
    """The same test on a SQLite file and on a real PostgreSQL database, each the test's own with
    the tables made (copied from a template migrated once per run: tests/store/test_migrations.py
    migrates empty ones itself)."""
    if request.param == "sqlite":
        return sqlite_copy(sqlite_template, tmp_path)
    return request.getfixturevalue("postgres_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> str:
    """A database with no tables yet, on SQLite and on PostgreSQL: for the migrations' own tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("empty_postgres_url")


@pytest.fixture
def engine(database_url):
    """An engine on the test's own database (a SQLite file, a fresh PostgreSQL), its tables made."""
    from ivr.store.database import ensure_schema, open_database

    engine = open_database(database_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()
