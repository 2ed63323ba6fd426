"""The spool keeps what the database could not take, on disk, until it is written: in order, once,
never lost to a killed process, never replayed while its writer still lives."""
from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ivr.store.spool import Spool

AT = datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


def collect(spool: Spool) -> list:
    seen = []
    spool.replay(lambda kind, fields: seen.append((kind, fields)))
    return seen


def test_records_come_back_in_the_order_kept_with_their_times_and_the_file_is_then_gone(tmp_path):
    spool = Spool(tmp_path)
    spool.keep("start", [{"call_sid": "CA1", "started_at": AT}])
    spool.keep("status", [{"call_sid": "CA1", "status": "completed", "duration": 42, "at": AT}])

    assert spool.waiting() and spool.count() == 2
    assert collect(spool) == [("start", {"call_sid": "CA1", "started_at": AT}),
                              ("status", {"call_sid": "CA1", "status": "completed", "duration": 42, "at": AT})]
    assert not spool.waiting() and list(tmp_path.iterdir()) == []
    assert collect(spool) == []                  # written once, never twice


def test_a_file_still_being_written_by_a_living_process_is_not_replayed_by_another(tmp_path):
    writer, other = Spool(tmp_path), Spool(tmp_path)
    writer.keep("step", [{"call_sid": "CA1", "step": "main:menu", "answer": "1", "at": AT}])

    assert collect(other) == []                  # the writer holds its file
    writer.close()
    assert [kind for kind, _ in collect(other)] == ["step"]


def test_when_writing_fails_midway_only_the_records_not_yet_written_are_kept_for_the_next_try(tmp_path):
    spool = Spool(tmp_path)
    spool.keep("status", [{"call_sid": f"CA{n}", "status": "completed", "at": AT} for n in range(5)])
    written = []

    def apply(kind, fields):
        if fields["call_sid"] == "CA3":
            raise ConnectionError("the database went away again")
        written.append(fields["call_sid"])

    with pytest.raises(ConnectionError):
        spool.replay(apply)
    assert written == ["CA0", "CA1", "CA2"] and spool.count() == 2
    assert [fields["call_sid"] for _, fields in collect(spool)] == ["CA3", "CA4"]


def test_a_torn_last_line_is_skipped_and_everything_before_it_is_written(tmp_path, caplog):
    spool = Spool(tmp_path)
    spool.keep("outcome", [{"call_sid": "CA1", "outcome": "talked", "at": AT}])
    spool.close()
    (path,) = tmp_path.iterdir()
    with open(path, "ab") as handle:
        handle.write(b'{"kind":"status","call_sid":"CA1","sta')      # the power went mid-write

    assert [fields["call_sid"] for _, fields in collect(spool)] == ["CA1"]
    assert "unreadable record 2" in caplog.text


def test_records_kept_by_a_process_that_is_then_killed_are_all_there(tmp_path):
    script = textwrap.dedent(f"""
        import datetime, os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from ivr.store.spool import Spool
        spool = Spool({str(tmp_path)!r})
        at = datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc)
        for n in range(50):
            spool.keep("status", [{{"call_sid": f"CA{{n}}", "status": "completed", "at": at}}])
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    finished = subprocess.run([sys.executable, "-c", script], timeout=60)

    assert finished.returncode == -signal.SIGKILL
    assert [fields["call_sid"] for _, fields in collect(Spool(tmp_path))] == [f"CA{n}" for n in range(50)]


def test_the_spool_file_is_readable_by_its_owner_only(tmp_path):
    spool = Spool(tmp_path)
    spool.keep("start", [{"call_sid": "CA1", "caller_key": "k", "started_at": AT}])
    (path,) = tmp_path.iterdir()
    assert os.stat(path).st_mode & 0o077 == 0
