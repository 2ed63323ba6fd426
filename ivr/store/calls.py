"""Records calls without slowing a caller down: writes wait in a queue for a background thread.

A menu press never waits on the database. Call starts are queued; a call's end (Twilio's status
callback, which may be retried) is written at once and idempotently.
"""
from __future__ import annotations

import datetime
import logging
import queue
import threading

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .schema import calls

log = logging.getLogger(__name__)
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


class CallRecords:
    def __init__(self, engine: Engine, flush_every: float = 0.25):
        self.engine = engine
        self.flush_every = flush_every
        self._queue: queue.Queue = queue.Queue(maxsize=100_000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- queued ------------------------------------------------------------------------------
    def call_started(self, call_sid: str, caller_key: str, at: datetime.datetime) -> None:
        if not call_sid:
            return
        self._start_writer()
        try:
            self._queue.put_nowait({"call_sid": call_sid[:64], "caller_key": caller_key, "started_at": at})
        except queue.Full:
            log.error("call record queue is full; call %s not recorded", call_sid)

    def flush(self) -> None:
        """Write everything queued so far (tests, shutdown)."""
        batch = []
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if batch:
            self._write_starts(batch)

    def _start_writer(self) -> None:
        # Started lazily, so each gunicorn worker gets its own thread after the fork.
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="call-records", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch = [first]
            try:
                while len(batch) < 500:
                    batch.append(self._queue.get(timeout=self.flush_every))
            except queue.Empty:
                pass
            self._write_starts(batch)

    def _write_starts(self, batch: list) -> None:
        try:
            with self.engine.begin() as connection:
                known = set(connection.scalars(select(calls.c.call_sid).where(
                    calls.c.call_sid.in_([row["call_sid"] for row in batch]))))
                fresh = {row["call_sid"]: row for row in batch if row["call_sid"] not in known}
                if fresh:
                    connection.execute(calls.insert(), list(fresh.values()))
        except IntegrityError:
            for row in batch:       # another instance wrote one of them: go one by one
                self._write_one_start(row)
        except SQLAlchemyError as error:
            log.error("could not record %d call start(s): %s", len(batch), error.__class__.__name__)

    def _write_one_start(self, row: dict) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(calls.insert(), [row])
        except IntegrityError:
            pass
        except SQLAlchemyError as error:
            log.error("could not record call start: %s", error.__class__.__name__)

    # -- immediate ---------------------------------------------------------------------------
    def call_status(self, call_sid: str, status: str, duration: int | None,
                    caller_key: str, at: datetime.datetime) -> None:
        """Apply a status callback; the same callback twice changes nothing the second time."""
        values = {"status": status[:20]}
        if status in FINAL_STATUSES:
            values["duration_seconds"] = duration
        with self.engine.begin() as connection:
            row = connection.execute(select(calls.c.status, calls.c.ended_at)
                                     .where(calls.c.call_sid == call_sid)).first()
            if row is None:
                connection.execute(calls.insert(), [{"call_sid": call_sid, "caller_key": caller_key,
                                                     "started_at": None, **values,
                                                     "ended_at": at if status in FINAL_STATUSES else None}])
                return
            if row.status in FINAL_STATUSES and status not in FINAL_STATUSES:
                return          # a late 'ringing' or 'in-progress' never reopens an ended call
            if status in FINAL_STATUSES and row.ended_at is None:
                values["ended_at"] = at
            connection.execute(update(calls).where(calls.c.call_sid == call_sid).values(**values))

    def get(self, call_sid: str):
        with self.engine.connect() as connection:
            return connection.execute(select(calls).where(calls.c.call_sid == call_sid)).first()
