"""`ivr presence WHO on|off|status`: staff set a professional available or away from a terminal, in the
database the running helpline reads (a SQLite file, or a real PostgreSQL)."""
import contextlib
import dataclasses
import datetime
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.store.database import ensure_schema, open_database
from ivr.store.offers import OfferStore
from ivr.store.presence import PresenceStore

#: Two people on shift at every hour of every day, so what `status` says does not depend on when
#: the test runs.
ROSTER = """\
timezone: America/New_York
backup_line: {name: Partner line, number: "+18006624357", languages: [en, es]}
professionals:
  - {name: Ana Rivera, phone: "+1 202 555 0101", languages: [en, es], shifts: {every-day: "00:00-24:00"}}
  - {name: Marisol Peña, phone: "+1 202 555 0102", languages: [es, en], shifts: {every-day: "00:00-24:00"}}
"""


@pytest.fixture
def flows(tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "roster.yaml").write_text(ROSTER, encoding="utf-8")
    return folder


@dataclasses.dataclass
class Ran:
    """What a terminal shows of one `ivr presence` run."""
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def ivr_presence(tmp_path, database_url, flows):
    """`ivr presence ...` on the test's database and roster: the command itself, in this process
    (click's runner: a new Python a run cost more than the run). The last test here runs it as a
    process of its own, as staff do."""
    env = {"IVR_INSTANCE_DIR": str(tmp_path / "instance"), "DATABASE_URL": database_url}

    def run(*arguments, roster=flows) -> Ran:
        where = ["--flows", str(roster)] if roster is not None else []
        with contextlib.chdir(tmp_path):
            result = CliRunner().invoke(main, ["presence", *arguments, *where], obj={"environ": env})
        return Ran(result.exit_code, result.stdout, result.stderr)
    return run


@pytest.fixture
def store(database_url):
    """The presence the helpline reads, on the same database (its tables made if the CLI has not yet)."""
    engine = open_database(database_url)
    ensure_schema(engine)
    yield PresenceStore(engine)
    engine.dispose()


def said(result: Ran) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_off_status_and_on_set_and_show_a_professional_by_name(ivr_presence, store):
    assert said(ivr_presence("Ana Rivera", "status")) == "Ana Rivera: AVAILABLE, on shift now."

    assert said(ivr_presence("Ana Rivera", "off")) == "Ana Rivera: AWAY, on shift now."
    now = datetime.datetime.now(datetime.timezone.utc)
    assert store.snapshot(now).away == {"ana-rivera"}            # what the helpline reads before ringing
    assert said(ivr_presence("Ana Rivera", "status")) == "Ana Rivera: AWAY, on shift now."

    assert said(ivr_presence("Ana Rivera", "on")) == "Ana Rivera: AVAILABLE, on shift now."
    assert store.snapshot(now).away == frozenset()
    assert said(ivr_presence("Ana Rivera", "status")) == "Ana Rivera: AVAILABLE, on shift now."


@pytest.mark.parametrize("who", ["marisol-pena", "Marisol Peña", "marisol peña"])
def test_a_professional_is_found_by_id_or_by_name_with_its_accents(ivr_presence, store, who):
    assert said(ivr_presence(who, "off")) == "Marisol Peña: AWAY, on shift now."
    assert store.snapshot(datetime.datetime.now(datetime.timezone.utc)).away == {"marisol-pena"}


def test_status_says_on_a_call_while_they_take_one(ivr_presence, store):
    offers, now = OfferStore(store.engine), datetime.datetime.now(datetime.timezone.utc)
    offers.move(offers.claim("CA" + "2" * 32, 1, "ana-rivera", now), "accepted", now)

    assert said(ivr_presence("ana-rivera", "status")) == "Ana Rivera: ON A CALL, on shift now."


def test_someone_not_on_the_roster_is_refused_with_a_clear_message_and_nothing_is_written(ivr_presence, store):
    result = ivr_presence("Nobody Here", "off")

    assert result.returncode != 0
    assert "'Nobody Here' is not on the roster" in result.stderr
    assert result.stdout == ""
    assert store.snapshot(datetime.datetime.now(datetime.timezone.utc)).away == frozenset()


def test_an_action_other_than_on_off_or_status_is_refused(ivr_presence):
    result = ivr_presence("Ana Rivera", "maybe")

    assert result.returncode == 2
    assert "'maybe' is not one of 'on', 'off', 'status'" in result.stderr


def test_without_flows_it_reads_the_shipped_roster(ivr_presence):
    result = ivr_presence("Ben Carter", "status", roster=None)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Ben Carter: AVAILABLE, ")     # on shift or not depends on the hour


def test_with_the_database_unreachable_it_says_so_and_exits_non_zero(tmp_path, flows):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("IVR_", "TWILIO_", "DATABASE_URL"))}
    env.update(IVR_INSTANCE_DIR=str(tmp_path / "instance"),
               DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")

    result = subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", "presence", "Ana Rivera",
                             "off", "--flows", str(flows)], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 1
    assert "the database is unavailable" in result.stderr
