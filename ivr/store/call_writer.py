"""The write-behind writer: what a call does is noted in memory and written by a background thread.

A menu press never waits on the database. A call's start, its steps and the moment its caller began
to wait for a person are queued in memory; a thread writes them a few times a second. Whatever the
database cannot take — it is down, locked, unreachable — goes to the spool on local disk (spool.py)
and is written once it is back: a record the helpline has acknowledged is never dropped. What the
records write at once (calls.py) comes here too when the database refuses it, behind whatever this
call still has in memory, so one thread replays everything in the order it happened.
"""
from __future__ import annotations

import atexit
import collections
import datetime
import itertools
import logging
import threading
import time
from typing import Callable

from sqlalchemy import case, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .. import metrics
from ..privacy import caller_key
from .database import database_unavailable, ensure_schema
from .spool import Spool
from .schema import calls

log = logging.getLogger(__name__)
#: Call starts written by one statement (SQLite allows 32,766 values in one, 3 a row here).
STARTS_PER_STATEMENT = 500
#: Call steps written by one statement (4 values a row).
STEPS_PER_STATEMENT = 500
#: While the database is down, how often the writer thread tries to write the spool (its probe).
PROBE_SECONDS = 1.0


class CallWriter:
    """The queues, their thread and the spool. `write_kept(kind, fields)` writes a kept record of a
    kind written at once (a status, an outcome, a voicemail: CallRecords), for the replay."""

    def __init__(self, engine: Engine, write_kept: Callable[[str, dict], None], flush_every: float = 0.25,
                 hash_key: str = "", spool: Spool | None = None):
        self.engine = engine
        self.write_kept = write_kept
        self.flush_every = flush_every
        self.hash_key = hash_key
        self.spool = spool
        # Deques: appending is atomic and costs a caller's request next to nothing. They hold a
        # fraction of a second of records: what the database refuses moves on to the spool.
        self._waiting: collections.deque = collections.deque()
        self._steps: collections.deque = collections.deque()     # (sid, step, answer, at)
        self._waits: collections.deque = collections.deque()     # (sid, when they asked)
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._write_lock = threading.Lock()     # flush() returns only once a batch is written
        self._stopping = threading.Event()
        self.schema_ready = False
        self._next_schema_try = 0.0
        # Set by a failed write: request threads then send records straight to the spool instead
        # of each waiting for a locked or unreachable database's timeout; only the writer thread
        # tries the database (by writing the spool), and clears it once that works.
        self._down = False
        self._next_probe = 0.0
        event.listen(engine, "handle_error", self._on_database_error)

    @property
    def database_down(self) -> bool:
        """A write failed a moment ago and the database has not taken one since: whatever would
        wait for it (asking for a person, closing a wait) should not make a caller wait too."""
        return self._down

    def _on_database_error(self, context) -> None:
        """Any store's statement that found the database unavailable (unreachable, or a SQLite file
        still locked after SQLITE_BUSY_SECONDS) says so here, so the next request sends its records
        to the spool (or its caller to the backup line) at once rather than waiting as long again.
        The writer's probe clears it once the database takes the spool (or when nothing is spooled)."""
        if database_unavailable(context):
            self._down = True
            self._start_writer()      # its probe is what says the database is back

    def ensure_schema(self) -> bool:
        """Create the tables if needed; False (and a log line) while the database is unreachable."""
        if self._down:
            return False            # a write failed: records go to the spool until the writer's probe works
        if not self.schema_ready and time.monotonic() >= self._next_schema_try:
            try:
                ensure_schema(self.engine)
                self.schema_ready = True
            except SQLAlchemyError as error:
                self._next_schema_try = time.monotonic() + 10     # no storm of retries
                log.error("database unavailable (%s): calls go on, records wait", error.__class__.__name__)
        return self.schema_ready

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Write what waits and stop the writer (an app that is being shut down, a test's end)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        # With the database down, what waits goes to the spool at once: a stopping worker does not
        # wait for one more try at the spool (the next process that starts on it writes it).
        self.flush(replay=not self._down)
        if getattr(self, "_atexit", False):
            atexit.unregister(self.flush)        # written already: nothing is left for the exit
            self._atexit = False
        if self.spool is not None:
            self.spool.close()

    def start(self) -> None:
        """At start-up: if records wait in the spool (a process stopped during an outage), start the
        writer now, so they are written without waiting for this process's first call."""
        if self.spool is not None and self.spool.waiting():
            self._start_writer()

    def waiting_records(self) -> int:
        """Records not yet in the database: in memory, and kept on disk (for /readyz and /metrics)."""
        in_memory = len(self._waiting) + len(self._steps) + len(self._waits)
        return in_memory + (self.spool.count() if self.spool is not None and self.spool.waiting() else 0)

    # -- queued ------------------------------------------------------------------------------
    def call_started(self, call_sid: str, number: str, at: float) -> None:
        """Note a call's start (`at`: time.time()). The number stays in this process's memory
        until the writer replaces it with its keyed hash; it is never written or logged."""
        if not call_sid:
            return
        metrics.calls.inc()
        if self._thread is None or not self._thread.is_alive():
            self._start_writer()
        self._waiting.append((call_sid[:64], number, at))

    def step_taken(self, call_sid: str, step: str, answer: str, at: float) -> None:
        """Note a step of a call's path (an append: a menu press never waits for the database)."""
        if call_sid:
            if self._thread is None or not self._thread.is_alive():
                self._start_writer()
            self._steps.append((call_sid[:64], step[:210], answer[:20], at))

    def waiting_for_a_person(self, call_sid: str, at: datetime.datetime) -> None:
        """The caller asked for a person (rung or on hold): the wait starts now, if not already.
        Noted in memory (they pressed 0 at a menu: no database on that path) and written soon."""
        if call_sid:
            if self._thread is None or not self._thread.is_alive():
                self._start_writer()
            self._waits.append((call_sid[:64], at))

    def flush(self, replay: bool = True) -> None:
        """Write everything queued so far (the writer thread, tests, shutdown); what the database
        refuses goes to the spool, and what the spool holds is written once the database is back."""
        with self._write_lock:
            self._flush_steps()
            if self._waits:
                if self.ensure_schema():
                    self._flush_waits()
                else:
                    self._spool_waits()
            taken = _take_all(self._waiting)
            if taken:
                batch = self._start_rows(taken)
                if not self._write_starts(batch) and not self._to_spool("start", batch):
                    self._waiting.extendleft(reversed(taken))     # keep them for the next try
        if replay:
            self._replay_spool()    # outside the lock: request threads may spool meanwhile

    def flush_waits(self) -> bool:
        """Write the waits noted so far, now (before a status or outcome that ends one); False if
        some are still not written (the database refused them: they went to the spool or wait here)."""
        with self._write_lock:
            if self._down:           # known unavailable: to the spool, not another wait for a lock
                self._spool_waits()
                return False
            self._flush_waits()
        return not self._waits

    def keep_for_later(self, kind: str, record: dict) -> bool:
        """An immediate write the database refused: to the spool, which the writer thread replays."""
        with self._write_lock:
            # What waits in memory for this call (its start, its wait) goes first, keeping the order.
            self._spool_memory()
            kept = self._to_spool(kind, [record])
        if kept and (self._thread is None or not self._thread.is_alive()):
            self._start_writer()
        return kept

    # -- the spool: what the database refused ----------------------------------------------
    def _to_spool(self, kind: str, records: list) -> bool:
        """Keep records the database refused on local disk; False if there is no disk to keep them."""
        if self.spool is None:
            return False
        self._down = True
        try:
            self.spool.keep(kind, records)
        except OSError as error:
            log.error("could not keep %d %s record(s) on disk either (%s): kept in memory",
                      len(records), kind, error.strerror or error.__class__.__name__)
            return False
        log.warning("database unavailable: %d %s record(s) kept on disk until it is back", len(records), kind)
        return True

    def _replay_spool(self) -> None:
        """Write what the spool holds; this is also the probe that says the database is back."""
        if self.spool is None:
            return
        if not self.spool.waiting():
            self._down = False
            return
        now = time.monotonic()
        if self._down and now < self._next_probe:
            return
        self._next_probe = now + PROBE_SECONDS
        if not self.schema_ready:
            self._down = False          # let ensure_schema try (it has its own pace)
            if not self.ensure_schema():
                self._down = True
                return
        try:
            written = self.spool.replay(self._apply_kept)
        except SQLAlchemyError as error:
            self._down = True
            log.warning("the database is not back yet (%s): records stay on disk", error.__class__.__name__)
            return
        except OSError as error:
            log.error("could not read records kept on disk: %s", error.strerror or error.__class__.__name__)
            return
        self._down = False
        if written:
            log.info("wrote %d record(s) kept on disk while the database was unavailable", written)

    def _apply_kept(self, kind: str, fields: dict) -> None:
        """Write one record from the spool, as it would have been written at the time."""
        if kind == "start":
            self._insert_starts([fields])
        elif kind == "step":
            self._insert_steps([(fields["call_sid"], fields["step"], fields["answer"], fields["at"])])
        elif kind == "wait":
            self._set_waiting_since(fields["call_sid"], fields["at"])
        else:
            self.write_kept(kind, fields)       # a status, an outcome, a voicemail: CallRecords writes it

    def _spool_memory(self) -> None:
        """Move what waits in memory to the spool (the database is known to be unavailable)."""
        self._spool_waits()
        taken = _take_all(self._waiting)
        if taken and not self._to_spool("start", self._start_rows(taken)):
            self._waiting.extendleft(reversed(taken))

    def _start_rows(self, taken: list) -> list:
        """Call starts as rows: only the keyed hash goes further than this process's memory,
        the spool on disk included."""
        return [{"call_sid": sid, "caller_key": caller_key(number, self.hash_key),
                 "started_at": datetime.datetime.fromtimestamp(at, datetime.timezone.utc)}
                for sid, number, at in taken]

    def _spool_waits(self) -> None:
        taken = _take_all(self._waits)
        if taken and not self._to_spool("wait", [{"call_sid": sid, "at": at} for sid, at in taken]):
            self._waits.extendleft(reversed(taken))

    # -- writing -----------------------------------------------------------------------------
    def _flush_steps(self) -> None:
        taken = _take_all(self._steps)
        if not taken:
            return
        utc = datetime.timezone.utc
        rows = [(sid, step, answer, datetime.datetime.fromtimestamp(at, utc)) for sid, step, answer, at in taken]
        try:
            if not self.ensure_schema():
                raise NotWritten()
            self._insert_steps(rows)
        except SQLAlchemyError as error:
            kept = [{"call_sid": sid, "step": step, "answer": answer, "at": at} for sid, step, answer, at in rows]
            if not self._to_spool("step", kept):
                log.error("could not record %d call step(s): %s", len(rows), error.__class__.__name__)
                self._steps.extendleft(reversed(taken))

    def _insert_steps(self, rows: list) -> None:
        # Multi-row VALUES, STEPS_PER_STATEMENT rows a statement: one driver call (one round trip to
        # PostgreSQL, where executemany makes one a row) during which SQLite lets go of the GIL, so
        # the request threads of a busy worker are not kept waiting while its writer inserts.
        with self.engine.begin() as connection:
            mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
            for first in range(0, len(rows), STEPS_PER_STATEMENT):
                chunk = rows[first:first + STEPS_PER_STATEMENT]
                values = ", ".join([f"({mark}, {mark}, {mark}, {mark})"] * len(chunk))
                connection.exec_driver_sql(f"INSERT INTO call_steps (call_sid, step, answer, at) VALUES {values}",
                                           tuple(itertools.chain.from_iterable(chunk)))

    def _flush_waits(self) -> None:
        while self._waits:
            try:
                call_sid, at = self._waits.popleft()
            except IndexError:
                break
            try:
                self._set_waiting_since(call_sid, at)
            except SQLAlchemyError as error:
                self._waits.appendleft((call_sid, at))
                if not self.spool:
                    log.error("could not record when a call began to wait: %s", error.__class__.__name__)
                self._spool_waits()
                return

    def _set_waiting_since(self, call_sid: str, at: datetime.datetime) -> None:
        self.with_row(call_sid, lambda connection: connection.execute(update(calls).where(
            (calls.c.call_sid == call_sid) & calls.c.waiting_since.is_(None)).values(waiting_since=at)))

    def with_row(self, call_sid: str, change) -> None:
        """Apply `change(connection)` to a call's row, made first if its queued start is not written yet."""
        self.ensure_schema()
        for _ in range(2):
            try:
                with self.engine.begin() as connection:
                    exists = connection.execute(select(calls.c.call_sid).where(calls.c.call_sid == call_sid)).first()
                    if exists is None:     # the queued start has not been written yet
                        connection.execute(calls.insert(), [{"call_sid": call_sid, "caller_key": "",
                                                             "status": "in-progress"}])
                    change(connection)
                return
            except IntegrityError:
                continue

    def _write_starts(self, batch: list) -> bool:
        if not self.ensure_schema():
            return False
        try:
            self._insert_starts(batch)
            return True
        except SQLAlchemyError as error:
            if self.spool is None:
                log.error("could not record %d call start(s): %s", len(batch), error.__class__.__name__)
            return False

    def _insert_starts(self, batch: list) -> None:
        """Insert call starts; a call whose end (or wait) was recorded first keeps that row and gains
        its start. One INSERT … ON CONFLICT, so a status callback writing the same row at the same
        moment, from this process or another instance, cannot make the start be lost."""
        rows = list({row["call_sid"]: row for row in batch}.values())   # one row per call
        with self.engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            for first in range(0, len(rows), STARTS_PER_STATEMENT):
                statement = dialect.insert(calls).values(rows[first:first + STARTS_PER_STATEMENT])
                excluded = statement.excluded
                connection.execute(statement.on_conflict_do_update(index_elements=["call_sid"], set_={
                    "started_at": func.coalesce(calls.c.started_at, excluded.started_at),
                    "caller_key": case((calls.c.caller_key == "", excluded.caller_key), else_=calls.c.caller_key),
                }))


    # -- the thread --------------------------------------------------------------------------
    def _start_writer(self) -> None:
        # Started lazily, so each gunicorn worker gets its own thread after the fork.
        if self._thread is not None and self._thread.is_alive():
            return
        with self._thread_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="call-records", daemon=True)
                self._thread.start()
                atexit.register(self.flush)      # a worker that stops writes what still waits
                self._atexit = True

    def _run(self) -> None:
        # Wake a few times a second and write whatever waits, in one transaction: a busy line
        # costs the request threads nothing but a queue put.
        while not self._stopping.wait(self.flush_every):
            self.flush()


class NotWritten(SQLAlchemyError):
    """The database is known to be unavailable (its tables could not be reached): not tried."""


def _take_all(queue: collections.deque) -> list:
    taken = []
    while queue:
        try:
            taken.append(queue.popleft())
        except IndexError:
            break
    return taken
