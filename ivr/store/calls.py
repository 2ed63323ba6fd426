"""A call's records, as the rest of the helpline asks for them: its status, outcome, callback, voicemail.

A call's end (Twilio's status callback, which may be retried) is written at once and idempotently;
a status only moves forward. What a call does on the way (its start, steps, wait) is queued by the
write-behind writer (call_writer.py), which this class owns: it also keeps on disk, in order, any
write here the database refuses, so a record the helpline has acknowledged is never dropped.
"""
from __future__ import annotations

import datetime
import logging

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..twilio import statuses
from .. import metrics
from .call_writer import CallWriter, NotWritten
from .spool import Spool
from .schema import calls, callbacks, voicemails

log = logging.getLogger(__name__)
FINAL_STATUSES = statuses.FINAL_STATUSES
LONGEST_CALL = 7 * 24 * 3600


def _seconds_between(earlier, later) -> int | None:
    if earlier is None or later is None:
        return None
    if earlier.tzinfo is None:
        earlier = earlier.replace(tzinfo=datetime.timezone.utc)
    if later.tzinfo is None:
        later = later.replace(tzinfo=datetime.timezone.utc)
    return max(0, int((later - earlier).total_seconds()))


class CallRecords:
    """The records API; the writer (`writer`) queues what a call does on the way and keeps on disk, in
    order, whatever the database refuses, from here too."""

    def __init__(self, engine: Engine, flush_every: float = 0.25, hash_key: str = "",
                 spool: Spool | None = None):
        self.engine = engine
        self.hash_key = hash_key
        self.spool = spool
        self.writer = CallWriter(engine, self._apply_kept, flush_every=flush_every, hash_key=hash_key, spool=spool)

    # -- the writer's (see call_writer.py) -----------------------------------------------------
    @property
    def database_down(self) -> bool:
        """A write failed a moment ago and the database has not taken one since: whatever would
        wait for it (asking for a person, closing a wait) should not make a caller wait too."""
        return self.writer.database_down

    def ensure_schema(self) -> bool:
        """Create the tables if needed; False (and a log line) while the database is unreachable."""
        return self.writer.ensure_schema()

    def call_started(self, call_sid: str, number: str, at: float) -> None:
        """Note a call's start (`at`: time.time()); the number never leaves this process's memory."""
        self.writer.call_started(call_sid, number, at)

    def step_taken(self, call_sid: str, step: str, answer: str, at: float) -> None:
        """Note a step of a call's path (an append: a menu press never waits for the database)."""
        self.writer.step_taken(call_sid, step, answer, at)

    def waiting_for_a_person(self, call_sid: str, at: datetime.datetime) -> None:
        """The caller asked for a person (rung or on hold): the wait starts now, if not already."""
        self.writer.waiting_for_a_person(call_sid, at)

    def flush(self, replay: bool = True) -> None:
        """Write everything queued so far, and what the spool holds once the database is back."""
        self.writer.flush(replay=replay)

    def close(self) -> None:
        """Write what waits and stop the writer (an app that is being shut down, a test's end)."""
        self.writer.close()

    def start(self) -> None:
        """At start-up: write records a stopped process left in the spool without waiting for a call."""
        self.writer.start()

    def waiting_records(self) -> int:
        """Records not yet in the database: in memory, and kept on disk (for /readyz and /metrics)."""
        return self.writer.waiting_records()

    # -- immediate ---------------------------------------------------------------------------
    def call_status(self, call_sid: str, status: str, duration: int | None,
                    caller_key: str, at: datetime.datetime, sequence: int | None = None) -> None:
        """Apply a status callback (`sequence`: its SequenceNumber, if sent); the same callback twice,
        or one older than a status already applied, changes nothing. With
        the database unavailable it is kept on disk and written later: Twilio does not send it
        again once answered. Raises only if neither the database nor the disk can keep it."""
        if duration is not None and not 0 <= duration <= LONGEST_CALL:
            duration = None
        try:
            if not self.ensure_schema():
                raise NotWritten()
            if status in FINAL_STATUSES:
                self.writer.flush_waits()    # to tell a caller who gave up waiting from one who did not
            if self.writer.database_down:    # the wait just failed: no second wait for the same lock
                raise NotWritten()
            self._write_status(call_sid, status, duration, caller_key, at, sequence)
        except SQLAlchemyError:
            record = {"call_sid": call_sid, "status": status, "duration": duration,
                      "caller_key": caller_key, "at": at, "sequence": sequence}
            if not self.writer.keep_for_later("status", record):
                raise

    def _apply_kept(self, kind: str, fields: dict) -> None:
        """Write one record of ours from the spool (the writer replays it), as it would have been
        written at the time."""
        if kind == "status":
            self._write_status(fields["call_sid"], fields["status"], fields["duration"],
                               fields["caller_key"], fields["at"], fields.get("sequence"))
        elif kind == "outcome":
            self.writer.with_row(fields["call_sid"],
                                 self._outcome_change(fields["call_sid"], fields["outcome"], fields["at"]))
        elif kind == "voicemail":
            self._insert_voicemail(fields)
        else:
            log.error("a kept record of unknown kind %r: skipped", kind)

    def _write_status(self, call_sid, status, duration, caller_key, at, sequence=None) -> None:
        try:
            self._apply_status(call_sid, status, duration, caller_key, at, sequence)
        except IntegrityError:
            # The queued start (or another instance) inserted the row meanwhile: now it exists.
            self._apply_status(call_sid, status, duration, caller_key, at, sequence)

    def _apply_status(self, call_sid, status, duration, caller_key, at, sequence=None) -> None:
        """One INSERT … ON CONFLICT DO UPDATE … WHERE: the status is written only if it comes later in
        a call's life than the one stored (and, where both callbacks carry Twilio's SequenceNumber,
        was sent later), so callbacks handled at the same moment, twice or out of order, leave the
        call at its furthest status whatever the interleaving."""
        new_rank = statuses.rank(status)
        if new_rank is None:
            log.warning("call %s: status %r is not one of Twilio's: ignored", call_sid, status[:20])
            return
        final = statuses.is_final(status)
        row = {"call_sid": call_sid, "caller_key": caller_key, "started_at": None, "status": status,
               "status_sequence": sequence, "duration_seconds": duration if final else None,
               "ended_at": at if final else None}
        stored_rank = case(*[(calls.c.status == name, rank) for name, rank in statuses.RANKS.items()], else_=-1)
        later = stored_rank < new_rank
        if not final and sequence is not None:
            # A final status always wins over progress: it is never held back by a number.
            later = later & (calls.c.status_sequence.is_(None) | (calls.c.status_sequence < sequence))
        changes = {"status": status, "status_sequence": func.coalesce(sequence, calls.c.status_sequence)}
        if final:
            changes.update(duration_seconds=duration, ended_at=func.coalesce(calls.c.ended_at, at))
        with self.engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(calls).values(**row)
            connection.execute(statement.on_conflict_do_update(index_elements=["call_sid"], set_=changes,
                                                               where=later))
            if final:
                self._ended_unattended(connection, call_sid, at)

    @staticmethod
    def _ended_unattended(connection, call_sid, at) -> None:
        """Nothing else became of the call: they gave up waiting for a person, or heard what they
        called for and hung up. Conditional on no outcome yet, so a repeat counts nothing twice."""
        ended = connection.execute(select(calls.c.outcome, calls.c.waiting_since).where(
            calls.c.call_sid == call_sid)).first()
        if ended is None or ended.outcome is not None:
            return
        abandoned = ended.waiting_since is not None
        changed = connection.execute(update(calls).where(
            (calls.c.call_sid == call_sid) & calls.c.outcome.is_(None)).values(
            outcome="abandoned" if abandoned else "information",
            waited_seconds=_seconds_between(ended.waiting_since, at))).rowcount
        if changed and abandoned:
            metrics.abandoned.inc()

    def outcome(self, call_sid: str, outcome: str, at: datetime.datetime) -> None:
        """What became of the call: talked, callback, voicemail, overflow or abandoned. The first
        real outcome stays (a caller who talked and then hung up did not abandon)."""
        try:
            if not self.writer.flush_waits():    # the wait this outcome ends must be known first
                raise NotWritten()          # the database refused the wait: keep both, in order
            self.writer.with_row(call_sid, self._outcome_change(call_sid, outcome, at))
        except SQLAlchemyError:
            if not self.writer.keep_for_later("outcome", {"call_sid": call_sid, "outcome": outcome, "at": at}):
                raise

    @staticmethod
    def _outcome_change(call_sid: str, outcome: str, at: datetime.datetime):
        def apply(connection):
            row = connection.execute(select(calls.c.outcome, calls.c.waiting_since).where(
                calls.c.call_sid == call_sid)).first()
            if row.outcome in (None, "information", "abandoned") or outcome in ("talked",):
                if row.outcome == "talked":
                    return
                waited = _seconds_between(row.waiting_since, at)
                connection.execute(update(calls).where(calls.c.call_sid == call_sid).values(
                    outcome=outcome, waited_seconds=waited))
                if outcome == "talked" and waited is not None:
                    metrics.time_to_human.observe(waited)
                elif outcome == "abandoned" and row.outcome != "abandoned":
                    metrics.abandoned.inc()
        return apply

    def callback_requested(self, call_sid: str, caller_key: str, number: str, language: str,
                           at: datetime.datetime, status: str = "pending", helpline_number: str = "") -> None:
        """Keep a caller's request to be called back: one per call, the latest number typed."""
        self.ensure_schema()
        values = {"caller_key": caller_key, "number": number, "language": language,
                  "requested_at": at, "status": status, "helpline_number": helpline_number[:32]}
        for _ in range(2):
            try:
                with self.engine.begin() as connection:
                    done = connection.execute(update(callbacks).where(
                        (callbacks.c.call_sid == call_sid) & (callbacks.c.status != "done")).values(**values)).rowcount
                    if not done:
                        connection.execute(callbacks.insert(), [{"call_sid": call_sid, **values}])
                return
            except IntegrityError:
                continue

    def confirm_callback(self, call_sid: str) -> bool:
        with self.engine.begin() as connection:
            return bool(connection.execute(update(callbacks).where(
                (callbacks.c.call_sid == call_sid) & (callbacks.c.status == "unconfirmed")).values(
                status="pending")).rowcount) or bool(connection.execute(select(callbacks.c.id).where(
                    (callbacks.c.call_sid == call_sid) & (callbacks.c.status == "pending"))).first())

    def forget_unconfirmed_callback(self, call_sid: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(callbacks).where(
                (callbacks.c.call_sid == call_sid) & (callbacks.c.status == "unconfirmed")))

    def pending_callbacks(self) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(callbacks).where(callbacks.c.status == "pending")
                                           .order_by(callbacks.c.requested_at)))

    def voicemail_left(self, call_sid: str, caller_key: str, recording_url: str, duration: int | None,
                       language: str, at: datetime.datetime, helpline_number: str = "") -> None:
        """Keep a voicemail's record (the recording itself stays at Twilio); on disk meanwhile if
        the database is unavailable."""
        record = {"call_sid": call_sid, "caller_key": caller_key, "recording_url": recording_url,
                  "duration_seconds": duration, "language": language, "left_at": at,
                  "helpline_number": helpline_number[:32]}
        try:
            if not self.ensure_schema():
                raise NotWritten()
            self._insert_voicemail(record)
        except SQLAlchemyError:
            if not self.writer.keep_for_later("voicemail", record):
                raise

    def _insert_voicemail(self, record: dict) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(voicemails.insert(), [record])
        except IntegrityError:
            pass

    def get(self, call_sid: str):
        with self.engine.connect() as connection:
            return connection.execute(select(calls).where(calls.c.call_sid == call_sid)).first()

