"""Who is away, who is on (or being offered) a helpline call, and who rests after a missed one:
read from the database, so every instance sees the same.

Busy is a live offer (see offers.py), so there is no busy mark to go stale: a leg whose end never
arrived is settled by asking Twilio (call control's reconcile), not by a timer.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ..utc import utc
from .schema import LIVE_OFFER_STATES, offers, presence
from .upsert import upsert

MISSED_REST_SECONDS = 120


@dataclass(frozen=True)
class Presence:
    """What the database knows right now: who is away, who is on a helpline call, idle since when."""
    away: frozenset = frozenset()
    busy: frozenset = frozenset()
    idle_since: dict = field(default_factory=dict)     # id -> epoch seconds of their last call's end
    resting: frozenset = frozenset()   # busy only because they let a call ring out moments ago


def _epoch(moment) -> float:
    if moment.tzinfo is None:          # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


class PresenceStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def snapshot(self, now: datetime.datetime) -> Presence:
        now = utc(now)
        away, live, missed, idle = set(), set(), set(), {}
        rested = now - datetime.timedelta(seconds=MISSED_REST_SECONDS)
        with self.engine.connect() as connection:
            for row in connection.execute(select(offers.c.professional_id, offers.c.state).where(
                    offers.c.state.in_(LIVE_OFFER_STATES)
                    | ((offers.c.state == "missed") & (offers.c.updated_at > rested)))):
                # On a call, being rung, or — having just let one ring out — resting a moment.
                (live if row.state in LIVE_OFFER_STATES else missed).add(row.professional_id)
            for row in connection.execute(select(presence)):
                if row.away:
                    away.add(row.professional_id)
                if row.idle_since is not None:
                    idle[row.professional_id] = _epoch(row.idle_since)
        return Presence(frozenset(away), frozenset(live | missed), idle, frozenset(missed - live))

    def status(self, professional_id: str) -> dict:
        """{'away': bool, 'on_a_call': bool} for one professional."""
        with self.engine.connect() as connection:
            row = connection.execute(select(presence.c.away).where(
                presence.c.professional_id == professional_id)).first()
            live = connection.execute(select(offers.c.state).where(
                (offers.c.professional_id == professional_id) & (offers.c.state == "accepted"))).first()
        return {"away": bool(row and row.away), "on_a_call": live is not None}

    def set_away(self, professional_id: str, away: bool, now: datetime.datetime) -> None:
        now = utc(now)
        with self.engine.begin() as connection:
            upsert(connection, presence, {"professional_id": professional_id, "away": away, "updated_at": now},
                   ("professional_id",), {"away": away, "updated_at": now})
