"""Nothing Twilio was told is recorded is lost when the database is down: status callbacks are
answered 2xx, kept on local disk, and every call of the outage has its final status and duration
once the database is back. Callers asking for a person meanwhile still reach one (a <Dial>).

The outages are real: PostgreSQL refuses connections (ALLOW_CONNECTIONS false, backends
terminated); SQLite is locked by another writer holding an exclusive transaction.
"""
from __future__ import annotations

import datetime
import threading
import time

import pytest
from sqlalchemy import select

from ivr.store import database
from ivr.store.calls import CallRecords
from ivr.store.database import open_database
from ivr.store.spool import Spool
from ivr.store.schema import calls, voicemails
from like_twilio import BACKUP_LINE, call_params, dialed_numbers, parse_twiml, signed_post, wait_for
from outages import outage
from template_databases import sqlite_copy

MENU = "/voice/step?at=main:main-menu&lang=en&tries=0"


def sid(n: int) -> str:
    return f"CA{n:032d}"


#: How long a helpline write waits for SQLite's lock before it counts as failed and goes to the
#: spool (5 s in production, inside Twilio's timeout): every write of an outage waits it out in full,
#: so a shorter wait plays the same outage, with the same outcome, in a fifth of the time.
SQLITE_BUSY_SECONDS = 1


@pytest.fixture
def line(make_app, serve, database_url, monkeypatch):
    monkeypatch.setattr(database, "SQLITE_BUSY_SECONDS", SQLITE_BUSY_SECONDS)
    app = make_app(database_url=database_url)
    return serve(app)


def rows(app) -> dict:
    with app.extensions["ivr"].database.connect() as connection:
        return {row.call_sid: row for row in connection.execute(select(calls))}


def complete(line, n: int, duration: int):
    return signed_post(line.url + "/voice/status", call_params(sid(n), CallStatus="completed",
                                                               CallDuration=str(duration)))


def test_status_callbacks_during_an_outage_are_answered_and_every_call_has_its_end_once_the_database_is_back(
        line):
    before = range(0, 10)           # calls that began before the outage and end during it
    during = range(10, 20)          # calls that begin and end during it
    for n in before:
        assert signed_post(line.url + "/voice/incoming", call_params(sid(n))).status_code == 200
    line.app.extensions["ivr"].calls.flush()

    with outage(line.app.extensions["ivr"].settings.database_url):
        answers = []
        for n in during:
            started = signed_post(line.url + "/voice/incoming", call_params(sid(n)))
            assert started.status_code == 200 and parse_twiml(started.text) is not None
        for n in [*before, *during]:
            answers.append(complete(line, n, 30 + n).status_code)
        assert answers == [204] * 20, answers

    every = {sid(n): 30 + n for n in [*before, *during]}
    assert wait_for(lambda: {s: (r.status, r.duration_seconds) for s, r in rows(line.app).items()}
                    == {s: ("completed", d) for s, d in every.items()}, timeout=20), rows(line.app)
    settled = rows(line.app)
    assert all(settled[sid(n)].started_at is not None for n in during)     # their starts, too
    assert line.app.extensions["ivr"].calls.waiting_records() == 0


def test_callbacks_sent_twice_at_the_same_moment_during_an_outage_leave_one_end_per_call(line):
    with outage(line.app.extensions["ivr"].settings.database_url):
        barrier = threading.Barrier(8)
        answers = []

        def send(n):
            barrier.wait()
            answers.append(complete(line, n % 4, 60).status_code)
        threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert answers == [204] * 8

    assert wait_for(lambda: {s: (r.status, r.duration_seconds) for s, r in rows(line.app).items()}
                    == {sid(n): ("completed", 60) for n in range(4)}, timeout=20), rows(line.app)


def test_a_caller_asking_for_a_person_during_an_outage_is_put_through_to_the_backup_line(line):
    signed_post(line.url + "/voice/incoming", call_params(sid(1)))
    with outage(line.app.extensions["ivr"].settings.database_url):
        asked = signed_post(line.url + MENU, call_params(sid(1), Digits="0"))

    assert asked.status_code == 200
    assert dialed_numbers(parse_twiml(asked.text)) == [BACKUP_LINE]


def test_a_voicemail_left_during_an_outage_is_kept_and_written_once_the_database_is_back(line):
    signed_post(line.url + "/voice/incoming", call_params(sid(7)))
    with outage(line.app.extensions["ivr"].settings.database_url):
        left = signed_post(line.url + "/voice/done?at=main:leave-voicemail&lang=es&tries=0",
                           call_params(sid(7), RecordingUrl="https://api.twilio.com/recordings/RE1",
                                       RecordingDuration="42"))
        assert left.status_code == 200
        assert BACKUP_LINE not in dialed_numbers(parse_twiml(left.text))     # their message is kept

    def kept():
        with line.app.extensions["ivr"].database.connect() as connection:
            return connection.execute(select(voicemails.c.call_sid, voicemails.c.duration_seconds,
                                             voicemails.c.language)).all()
    assert wait_for(lambda: kept() == [(sid(7), 42, "es")], timeout=20), kept()
    # The call's own row comes back from the spool on its own schedule: polled, not looked up once.
    assert wait_for(lambda: getattr(rows(line.app).get(sid(7)), "outcome", None) == "voicemail", timeout=20)


def test_a_callers_end_during_a_sqlite_lock_is_answered_after_one_wait_for_the_lock_not_one_per_record(
        tmp_path, sqlite_template, monkeypatch):
    """A caller who asked for a person hangs up while another writer holds the SQLite file: the wait
    their end closes and the end itself both go to the spool. The helpline waits for the lock once
    (the first failure tells every store the database is unavailable), not once for the wait and
    again for the status, which at 5 s each is past Twilio's 6 s read timeout for the callback."""
    busy = 2
    monkeypatch.setattr(database, "SQLITE_BUSY_SECONDS", busy)
    url = sqlite_copy(sqlite_template, tmp_path)
    engine = open_database(url)
    records = CallRecords(engine, flush_every=3600, spool=Spool(tmp_path / "spool"))   # no writer thread flush
    at = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=datetime.timezone.utc)
    records.call_started(sid(3), "+16175550100", at.timestamp())
    records.flush()
    records.waiting_for_a_person(sid(3), at)               # noted in memory, not written yet

    with outage(url):
        began = time.monotonic()
        records.call_status(sid(3), "completed", 75, "", at + datetime.timedelta(seconds=75))
        answered_in = time.monotonic() - began

    assert busy <= answered_in < 2 * busy, answered_in         # one wait for the lock, not two
    records.flush()                                            # the database is back: the spool is written
    row = records.get(sid(3))
    assert (row.status, row.duration_seconds, row.outcome, row.waited_seconds) == ("completed", 75, "abandoned", 75)
    records.close()
    engine.dispose()
