"""Callers waiting for a person, kept in the database so every instance sees the same line.

A wait starts when the caller first asks for a person and lasts across every round of ringing and
hold: `asked_at` never moves (except after a partner line that did not answer, when the caller
starts a fresh wait and is told so). Each change is one conditional UPDATE, so two instances
racing — a professional accepting while the caller presses a key — cannot both win. A caller who
hung up ('gone') never waits again, whatever request about their call comes late.
"""
from __future__ import annotations

import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Engine

from ..utc import aware, utc
from .schema import waits
from .upsert import upsert


class WaitStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def ask(self, call_sid: str, language: str, team: str, step: str, helpline_number: str,
            now: datetime.datetime):
        """The caller is at a connect or queue step: waiting from now, or still from their first ask.
        A wait that is 'gone' stays gone (the row comes back unchanged)."""
        now = utc(now)
        with self.engine.begin() as connection:
            upsert(connection, waits, {
                "call_sid": call_sid, "language": language, "team": team, "step": step, "asked_at": now,
                "state": "waiting", "round": 0, "step_round": 0, "helpline_number": helpline_number[:32],
                "updated_at": now,
            }, ("call_sid",), {
                "language": language, "team": team, "step": step, "state": "waiting", "next_step": None,
                "step_round": waits.c["round"], "updated_at": now,
            }, where=waits.c.state != "gone")
            return connection.execute(select(waits).where(waits.c.call_sid == call_sid)).first()

    def start_again(self, call_sid: str, now: datetime.datetime) -> None:
        """A fresh wait (the partner line did not answer): max_wait counts from now."""
        with self.engine.begin() as connection:
            connection.execute(update(waits).where((waits.c.call_sid == call_sid) & (waits.c.state != "gone")).values(
                asked_at=utc(now), updated_at=utc(now)))

    def get(self, call_sid: str):
        with self.engine.connect() as connection:
            return connection.execute(select(waits).where(waits.c.call_sid == call_sid)).first()

    def waiting(self) -> list:
        """Everyone waiting, longest first."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(waits).where(waits.c.state == "waiting")
                                           .order_by(waits.c.asked_at, waits.c.call_sid)))

    def claim_round(self, call_sid: str, seen_round: int, now: datetime.datetime) -> bool:
        """This instance, and no other, offers the caller now (the round it saw is still the latest)."""
        return self._change(and_(waits.c.call_sid == call_sid, waits.c["round"] == seen_round,
                                 waits.c.state == "waiting"),
                            now, round=seen_round + 1)

    def release_round(self, call_sid: str, claimed_round: int, now: datetime.datetime) -> bool:
        """Give back a round claimed for nobody (everyone chosen was taken by another instance)."""
        return self._change(and_(waits.c.call_sid == call_sid, waits.c["round"] == claimed_round),
                            now, round=claimed_round - 1)

    def connect(self, call_sid: str, now: datetime.datetime) -> bool:
        """A professional accepted: True for the first one only, and only while the caller waits."""
        return self._change(and_(waits.c.call_sid == call_sid, waits.c.state == "waiting"), now, state="connected")

    def leave(self, call_sid: str, next_step: str, now: datetime.datetime) -> bool:
        """The caller leaves the line for `next_step` (a key on hold, the wait is over), unless a
        professional has just accepted them."""
        return self._change(and_(waits.c.call_sid == call_sid, waits.c.state == "waiting"), now,
                            state="left", next_step=next_step)

    def gone(self, call_sid: str, now: datetime.datetime) -> bool:
        """The caller hung up (or their call ended some other way)."""
        return self._change(and_(waits.c.call_sid == call_sid, waits.c.state != "gone"), now, state="gone")

    def learn_queue(self, call_sid: str, queue_sid: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(waits).where(
                (waits.c.call_sid == call_sid) & waits.c.queue_sid.is_(None)).values(queue_sid=queue_sid[:64]))

    def ahead_of(self, row) -> int:
        """How many callers who can be taken by the same people have waited longer."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(waits).where(
                (waits.c.state == "waiting") & (waits.c.team == row.team) & (waits.c.language == row.language)
                & (waits.c.asked_at < row.asked_at))).scalar_one()

    def typical_wait(self, team: str, language: str, since: datetime.datetime) -> int | None:
        """Seconds that callers connected since `since` waited, on average; None without any."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(waits.c.asked_at, waits.c.updated_at).where(
                (waits.c.state == "connected") & (waits.c.team == team) & (waits.c.language == language)
                & (waits.c.updated_at >= utc(since)))).all()
        if not rows:
            return None
        return round(sum((aware(r.updated_at) - aware(r.asked_at)).total_seconds() for r in rows) / len(rows))

    def _change(self, where, now: datetime.datetime, **values) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(update(waits).where(where).values(updated_at=utc(now), **values)).rowcount == 1
