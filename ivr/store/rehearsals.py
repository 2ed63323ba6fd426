"""The rehearsals `ivr twilio rehearse` runs, and every webhook request of their calls: the CLI
registers one, the helpline recognises its call and records what Twilio sent, the CLI reads it back
(they run in different processes: the database is what they share)."""
from __future__ import annotations

import datetime
import json
import threading
import time
import uuid

from sqlalchemy import select, update

from ..utc import utc
from .schema import call_steps, calls, offers, rehearsal_callbacks, rehearsals, waits

def not_a_rehearsal(call_sid_column):
    """A WHERE clause keeping only calls that are not a rehearsal's: left out of reports, the Calls
    page, the Now board's numbers and notices."""
    return call_sid_column.not_in(select(rehearsals.c.call_sid).where(rehearsals.c.call_sid.is_not(None)))


#: How long an instance goes by what it last read of the active rehearsals, so that outside a
#: rehearsal the calls' hot paths (a call's first request, each offer pass, each webhook the witness
#: sees) cost one query a second per process, not one each. `ivr twilio rehearse` waits longer than
#: this between registering a rehearsal and placing its call.
KNOWN_FOR_SECONDS = 1.0


class Rehearsals:
    def __init__(self, engine, monotonic=time.monotonic):
        self.engine = engine
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._read_at, self._known = float("-inf"), []

    def known_active(self, now: datetime.datetime) -> list:
        """The active rehearsals as read at most KNOWN_FOR_SECONDS ago (see there)."""
        with self._lock:
            if self._monotonic() - self._read_at >= KNOWN_FOR_SECONDS:
                self._known, self._read_at = self.active(now), self._monotonic()
            return self._known

    def may_be_a_rehearsal(self, from_number: str, to_number: str, now: datetime.datetime) -> bool:
        """Whether a call from `from_number` to `to_number` could be an active rehearsal's."""
        return any(r.stand_in == from_number and r.helpline_number == to_number for r in self.known_active(now))

    # -- the CLI ------------------------------------------------------------------------------------
    def start(self, helpline_number: str, stand_in: str, now: datetime.datetime,
              lasts: datetime.timedelta) -> str:
        rehearsal_id = uuid.uuid4().hex
        with self.engine.begin() as connection:
            connection.execute(rehearsals.insert().values(
                id=rehearsal_id, helpline_number=helpline_number, stand_in=stand_in, started_at=utc(now),
                ends_at=utc(now + lasts)))
        return rehearsal_id

    def placed(self, rehearsal_id: str, caller_sid: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(rehearsals).where(rehearsals.c.id == rehearsal_id).values(caller_sid=caller_sid))

    def finish(self, rehearsal_id: str, seen: dict, now: datetime.datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(rehearsals).where(rehearsals.c.id == rehearsal_id).values(
                finished_at=utc(now), seen=json.dumps(seen, sort_keys=True)))

    def get(self, rehearsal_id: str):
        with self.engine.connect() as connection:
            return connection.execute(select(rehearsals).where(rehearsals.c.id == rehearsal_id)).first()

    def callbacks(self, rehearsal_id: str) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(rehearsal_callbacks).where(
                rehearsal_callbacks.c.rehearsal_id == rehearsal_id).order_by(rehearsal_callbacks.c.id)))

    def offers_of(self, call_sid: str) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(offers).where(offers.c.call_sid == call_sid).order_by(
                offers.c.created_at)))

    def steps(self, call_sid: str) -> list:
        """(step, answer) of the call's path, in order."""
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(select(call_steps.c.step, call_steps.c.answer).where(
                call_steps.c.call_sid == call_sid).order_by(call_steps.c.at, call_steps.c.id))]

    def outcome(self, call_sid: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(select(calls.c.outcome).where(calls.c.call_sid == call_sid)).scalar()

    def wait_state(self, call_sid: str) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(select(waits.c.state).where(waits.c.call_sid == call_sid)).scalar()

    # -- the helpline -------------------------------------------------------------------------------
    def claim_call(self, from_number: str, to_number: str, call_sid: str, now: datetime.datetime) -> bool:
        """Whether this incoming call is an active rehearsal's (the first such call is; one UPDATE)."""
        if not from_number or not to_number or not call_sid:
            return False
        with self.engine.begin() as connection:
            return bool(connection.execute(update(rehearsals).where(
                (rehearsals.c.stand_in == from_number) & (rehearsals.c.helpline_number == to_number)
                & rehearsals.c.call_sid.is_(None) & rehearsals.c.finished_at.is_(None)
                & (rehearsals.c.ends_at > utc(now))).values(call_sid=call_sid)).rowcount)

    def stand_ins(self) -> dict:
        """call_sid -> the number that stands in as the professional, for rehearsals not finished."""
        with self.engine.connect() as connection:
            return dict(connection.execute(select(rehearsals.c.call_sid, rehearsals.c.stand_in).where(
                rehearsals.c.call_sid.is_not(None) & rehearsals.c.finished_at.is_(None))).all())

    def active(self, now: datetime.datetime) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(rehearsals).where(
                rehearsals.c.finished_at.is_(None) & (rehearsals.c.ends_at > utc(now)))))

    def leg_sids(self, call_sid: str) -> tuple:
        with self.engine.connect() as connection:
            return tuple(connection.execute(select(offers.c.id, offers.c.leg_sid).where(
                offers.c.call_sid == call_sid)).all())

    def record_callback(self, rehearsal_id: str, route: str, status: int, signature: str, call_sid: str,
                        now: datetime.datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(rehearsal_callbacks.insert().values(
                rehearsal_id=rehearsal_id, route=route[:100], status=status, signature=signature[:20],
                call_sid=call_sid[:64], at=utc(now)))
