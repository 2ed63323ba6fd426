"""A helpline told to stop (SIGTERM to gunicorn's master, as a deploy or systemd sends it) writes the
call records its workers still hold before it exits: to the database, or — if the database cannot
take them then — to the spool on disk, which the next start writes. No caller's start or step is lost.

The records are made to wait for real: another connection holds SQLite's write lock, so no worker
can write while the calls are made and the stop begins (readers go on: the database is in WAL mode).
"""
from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import threading
from urllib.parse import urljoin

from like_twilio import CALLER, call_params, parse_twiml, signed_post, wait_for

#: Each call: the language menu (English), the main menu (topic 2), and that topic's menu (again).
KEYS = ("1", "2", "1")


def sid(n: int) -> str:
    return f"CA{n:032d}"


@contextlib.contextmanager
def write_locked(database: str):
    """No other writer on the SQLite file until the block ends (or `release()` is called)."""
    locker = sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    released = threading.Event()

    def release():
        if not released.is_set():
            released.set()
            locker.execute("ROLLBACK")
    try:
        yield release
    finally:
        release()
        locker.close()


def make_calls(url: str, count: int, first: int = 0) -> list:
    """`count` calls, each answered at every menu of KEYS; [(call_sid, step, key), ...] they took."""
    taken = []
    for n in range(first, first + count):
        params = call_params(sid(n))
        answer = signed_post(url + "/voice/incoming", params)
        assert answer.status_code == 200, answer.text
        at = url + "/voice/incoming"
        for key in KEYS:
            at = urljoin(at, parse_twiml(answer.text).find("Gather").get("action"))
            answer = signed_post(at, {**params, "Digits": key})
            assert answer.status_code == 200, answer.text
            taken.append((sid(n), at.split("at=", 1)[1].split("&", 1)[0], key))
    return taken


def recorded(database: str) -> tuple:
    """({call_sid: caller_key} of the call starts, sorted [(call_sid, step, answer)]) in the database."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        starts = dict(connection.execute("SELECT call_sid, caller_key FROM calls WHERE started_at IS NOT NULL"))
        steps = sorted(connection.execute("SELECT call_sid, step, answer FROM call_steps"))
    return starts, steps


def kept_on_disk(files: list) -> tuple:
    """The same, from the spool's JSON lines."""
    records = [json.loads(line) for path in files for line in path.read_text().splitlines() if line.strip()]
    starts = {r["call_sid"]: r["caller_key"] for r in records if r["kind"] == "start"}
    steps = sorted((r["call_sid"], r["step"], r["answer"]) for r in records if r["kind"] == "step")
    return starts, steps


def test_a_stopped_helpline_writes_the_call_starts_and_steps_its_workers_still_hold(served, tmp_path):
    database = tmp_path / "helpline.db"
    helpline = served("helpline", f"sqlite:///{database}", workers=2)
    with write_locked(str(database)) as release:
        taken = make_calls(helpline.url, 4)
        assert recorded(str(database)) == ({}, [])          # all of it waits in the workers' memory
        helpline.process.send_signal(signal.SIGTERM)
        # Both workers have stopped taking requests and hold what they noted; the lock goes well
        # inside SQLite's 5 s wait, so their last writes find the database free.
        assert wait_for(lambda: helpline.log_text().count("Worker exiting") == 2, timeout=10), helpline.log_text()
        release()
        assert helpline.process.wait(timeout=25) == 0

    starts, steps = recorded(str(database))
    assert sorted(starts) == [sid(n) for n in range(4)] and all(starts.values())
    assert steps == sorted(taken)
    assert helpline.spooled() == []
    assert helpline.log_text().count("wrote its call records") == 2       # each worker, before it exited


def test_with_the_database_locked_at_the_stop_the_records_go_to_disk_and_the_next_start_writes_them(
        served, tmp_path):
    database = tmp_path / "helpline.db"
    url = f"sqlite:///{database}"
    helpline = served("helpline", url)
    with write_locked(str(database)):
        taken = make_calls(helpline.url, 3)
        assert helpline.stop(timeout=25) == 0
        assert recorded(str(database)) == ({}, [])
    # The worker finished (it was not killed at graceful_timeout) with its records on disk.
    assert "wait on disk for the database" in helpline.log_text()
    kept = helpline.spooled()
    starts, steps = kept_on_disk(kept)
    assert sorted(starts) == [sid(n) for n in range(3)] and all(starts.values())
    assert steps == sorted(taken)
    assert not any(CALLER[1:] in path.read_text() for path in kept)      # only the keyed hash

    # The next start on the same instance folder writes them once its writer runs (its first call).
    again = served("helpline", url)
    everything = sorted(taken + make_calls(again.url, 1, first=100))

    def all_written() -> bool:
        # One record at a time, in the order kept: wait for the last, not just for the first few.
        starts_now, steps_now = recorded(str(database))
        return steps_now == everything and starts_now.items() >= starts.items() and bool(starts_now.get(sid(100)))

    assert wait_for(all_written, timeout=10), recorded(str(database))      # each step once, same keyed hashes
    assert wait_for(lambda: again.spooled() == [], timeout=5)        # a file goes once all of it is written
    assert again.stop() == 0
