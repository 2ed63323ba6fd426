"""Who is away, and who is on a helpline call right now: kept in the database for every instance.

Busy and free come from Twilio's callbacks, which may arrive twice or out of order: each leg's
state is remembered, so a late 'accepted' after 'ended' changes nothing, and a busy mark whose
end never arrived expires on its own.
"""
from __future__ import annotations

import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..routing.choose import Presence
from .schema import legs, presence

MISSED_REST_SECONDS = 120
MISSED_STATUSES = {"no-answer", "busy", "failed"}


def utc(moment: datetime.datetime) -> datetime.datetime:
    """Stored as UTC: SQLite keeps no offset, so a New York 'now' would read back five hours off."""
    return moment.astimezone(datetime.timezone.utc) if moment.tzinfo else moment


def _epoch(moment) -> float:
    if moment.tzinfo is None:          # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


class PresenceStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def snapshot(self, now: datetime.datetime, busy_expires_minutes: int = 180) -> Presence:
        now = utc(now)
        stale_before = now.timestamp() - busy_expires_minutes * 60
        away, busy, idle = set(), set(), {}
        with self.engine.connect() as connection:
            # Someone who just let a helpline call ring out is not rung again for a little while.
            rested = now - datetime.timedelta(seconds=MISSED_REST_SECONDS)
            for row in connection.execute(select(legs.c.professional_id).where(
                    (legs.c.state == "missed") & (legs.c.updated_at > rested))):
                busy.add(row.professional_id)
            for row in connection.execute(select(presence)):
                if row.away:
                    away.add(row.professional_id)
                if row.busy_leg_sid and row.busy_since is not None and _epoch(row.busy_since) > stale_before:
                    busy.add(row.professional_id)
                if row.idle_since is not None:
                    idle[row.professional_id] = _epoch(row.idle_since)
        return Presence(frozenset(away), frozenset(busy), idle)

    def status(self, professional_id: str):
        with self.engine.connect() as connection:
            return connection.execute(select(presence).where(
                presence.c.professional_id == professional_id)).first()

    def set_away(self, professional_id: str, away: bool, now: datetime.datetime) -> None:
        self._upsert(professional_id, utc(now), away=away)

    def leg_accepted(self, professional_id: str, leg_sid: str, call_sid: str, now: datetime.datetime) -> bool:
        """The professional pressed 1: busy with this leg. False if the leg had already ended."""
        now = utc(now)
        try:
            with self.engine.begin() as connection:
                row = connection.execute(select(legs.c.state).where(legs.c.leg_sid == leg_sid)).first()
                if row is not None:
                    return row.state == "accepted"   # a repeat changes nothing; after 'ended', stays ended
                connection.execute(legs.insert(), [{"leg_sid": leg_sid, "professional_id": professional_id,
                                                    "call_sid": call_sid, "state": "accepted", "updated_at": now}])
        except IntegrityError:
            return True                              # the same press, recorded by another instance
        self._upsert(professional_id, now, busy_leg_sid=leg_sid, busy_since=now)
        return True

    def leg_ended(self, professional_id: str, leg_sid: str, call_sid: str, now: datetime.datetime,
                  status: str = "completed") -> None:
        """The leg is over (completed, no answer, busy, failed, canceled): free again if it was this
        leg. One they let ring out makes them rest a moment; one canceled because a colleague took
        the call does not."""
        now = utc(now)
        with self.engine.begin() as connection:
            row = connection.execute(select(legs.c.state).where(legs.c.leg_sid == leg_sid)).first()
            if row is not None and row.state == "ended":
                return
            if row is None or row.state == "missed":
                if row is None:    # never accepted: never busy with it
                    state = "missed" if status in MISSED_STATUSES else "ended"
                    connection.execute(legs.insert(), [{"leg_sid": leg_sid, "professional_id": professional_id,
                                                        "call_sid": call_sid, "state": state, "updated_at": now}])
                return
            connection.execute(update(legs).where(legs.c.leg_sid == leg_sid).values(state="ended", updated_at=now))
            connection.execute(update(presence).where(
                (presence.c.professional_id == professional_id) & (presence.c.busy_leg_sid == leg_sid)
            ).values(busy_leg_sid=None, busy_since=None, idle_since=now, updated_at=now))

    def _upsert(self, professional_id: str, now: datetime.datetime, **values) -> None:
        for _ in range(2):
            try:
                with self.engine.begin() as connection:
                    done = connection.execute(update(presence).where(
                        presence.c.professional_id == professional_id).values(updated_at=now, **values)).rowcount
                    if not done:
                        connection.execute(presence.insert(), [{"professional_id": professional_id, "away": False,
                                                                "updated_at": now, **values}])
                return
            except IntegrityError:
                continue       # another instance inserted it first: update on the next pass
