"""Calls placed back to callers, one row per try keyed on the professional's leg (its CallSid):
Twilio's requests about a try — the <Dial> action, the professional's key, their leg's status
callback — may come twice, late or in any order, and each try is still counted once.

Each request adds its fact (the first value of a fact stays) and, in the same transaction, the
try is settled if the facts now say how it went: one conditional UPDATE claims the settling, so
the callback's attempts grow by one whoever settles it."""
from __future__ import annotations

import datetime
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from ..utc import utc
from .schema import callback_tries, callbacks

FACTS = ("dialing_at", "dial_status", "dial_seconds", "professional_said", "leg_status")
#: The outcome a try may still leave once settled: a late <Dial> action can say more.
UNCONFIRMED = "unconfirmed"


class CallbackTries:
    def __init__(self, engine: Engine):
        self.engine = engine

    def learn(self, leg_sid: str, callback_id: int, now: datetime.datetime,
              decide: Callable, **facts) -> str | None:
        """Keep `facts` about the try on `leg_sid`; `decide(row)` says (outcome, settled) from all
        facts known. The try's outcome once it is settled (None before)."""
        unknown = set(facts) - set(FACTS)
        if unknown:
            raise ValueError(f"not a fact of a callback try: {sorted(unknown)}")
        now = utc(now)
        facts = {name: value for name, value in facts.items() if value is not None}
        with self.engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(callback_tries).values(
                leg_sid=leg_sid[:64], callback_id=callback_id, updated_at=now, **facts)
            # The first value of each fact stays: a repeated or late request changes nothing.
            keep_first = {name: func.coalesce(callback_tries.c[name], statement.excluded[name]) for name in facts}
            connection.execute(statement.on_conflict_do_update(
                index_elements=["leg_sid"], set_={**keep_first, "updated_at": now}))
            # The row is this transaction's until it commits (the upsert holds it), so the facts
            # read here are every fact any request has kept so far.
            row = connection.execute(select(callback_tries).where(callback_tries.c.leg_sid == leg_sid[:64])).one()
            outcome, settled = decide(row)
            if not settled or outcome is None:
                return row.outcome
            if row.settled_at is None:
                self._settle(connection, row, outcome, now)
            elif row.outcome == UNCONFIRMED and outcome != UNCONFIRMED:
                self._refine(connection, row, outcome, now)
            return outcome if row.outcome in (None, UNCONFIRMED) else row.outcome

    @staticmethod
    def _settle(connection, row, outcome: str, now: datetime.datetime) -> None:
        claimed = connection.execute(update(callback_tries).where(
            (callback_tries.c.leg_sid == row.leg_sid) & callback_tries.c.settled_at.is_(None)).values(
            outcome=outcome, settled_at=now)).rowcount
        if claimed:
            values = {"attempts": callbacks.c.attempts + 1, "last_outcome": outcome, "last_tried_at": now}
            if outcome == "reached":
                values.update(status="done", number="")      # reached: the number is erased
            connection.execute(update(callbacks).where(
                (callbacks.c.id == row.callback_id) & (callbacks.c.status == "pending")).values(**values))

    @staticmethod
    def _refine(connection, row, outcome: str, now: datetime.datetime) -> None:
        """A try settled without knowing how the dial went learns it now (counted once already)."""
        changed = connection.execute(update(callback_tries).where(
            (callback_tries.c.leg_sid == row.leg_sid) & (callback_tries.c.outcome == UNCONFIRMED)).values(
            outcome=outcome)).rowcount
        if changed:
            values = {"last_outcome": outcome}
            if outcome == "reached":
                values.update(status="done", number="")
            connection.execute(update(callbacks).where(
                (callbacks.c.id == row.callback_id) & (callbacks.c.status == "pending")
                & (callbacks.c.last_outcome == UNCONFIRMED)).values(**values))

    def unheard_dials(self, since: datetime.datetime) -> list:
        """Tries counted when the professional's leg ended (outcome unconfirmed, settled since
        `since`) with no word of how their <Dial> to the caller went: the ones Twilio is asked about."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(callback_tries).where(
                (callback_tries.c.outcome == UNCONFIRMED) & callback_tries.c.dial_status.is_(None)
                & callback_tries.c.dialing_at.is_not(None) & (callback_tries.c.settled_at >= utc(since)))
                .order_by(callback_tries.c.settled_at)))

    def pending_request(self, callback_id: int):
        """The caller's request `callback_id` if it is still waiting for a call back, else None."""
        with self.engine.connect() as connection:
            return connection.execute(select(callbacks).where(
                (callbacks.c.id == callback_id) & (callbacks.c.status == "pending"))).first()

    def for_callback(self, callback_id: int) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(callback_tries).where(
                callback_tries.c.callback_id == callback_id).order_by(callback_tries.c.updated_at)))
