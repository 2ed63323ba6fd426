"""Offers: each professional's call leg for a waiting caller, from placing it to its end.

A leg's state only moves forward (placing → ringing → answered → accepted → ended, or to missed,
canceled, failed), each move one conditional UPDATE: Twilio's callbacks "are made as separate HTTP
requests, and there is no guarantee they will arrive in the same order"
(https://www.twilio.com/docs/voice/api/call-resource, StatusCallback), and may come twice; a late
'ringing' never reopens a finished leg. A unique index lets nobody hold two live offers at once.
"""
from __future__ import annotations

import datetime
import uuid

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..twilio.statuses import FINAL_STATUSES
from ..utc import utc
from .schema import LIVE_OFFER_STATES, offers, presence
from .upsert import upsert

#: Which states each new state may follow.
MOVES = {
    "ringing": ("placing",),
    "answered": ("placing", "ringing"),
    "accepted": ("placing", "ringing", "answered"),
    "ended": ("accepted",),
    "missed": ("placing", "ringing", "answered"),
    "canceled": ("placing", "ringing", "answered"),
    "failed": ("placing",),
}
FINAL = ("ended", "missed", "canceled", "failed")
#: Twilio's final CallStatus values for a leg (the call resource's status list).
FINAL_LEG_STATUSES = FINAL_STATUSES


class OfferStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def claim(self, call_sid: str, round_: int, professional_id: str, now: datetime.datetime) -> str | None:
        """Reserve a professional for a caller; None when they already have a live offer."""
        offer_id = uuid.uuid4().hex
        now = utc(now)
        try:
            with self.engine.begin() as connection:
                connection.execute(offers.insert(), [{
                    "id": offer_id, "call_sid": call_sid, "round": round_, "professional_id": professional_id,
                    "state": "placing", "created_at": now, "updated_at": now}])
        except IntegrityError:
            return None                    # another instance offered them someone this instant
        return offer_id

    def placed(self, offer_id: str, leg_sid: str, now: datetime.datetime) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(update(offers).where(offers.c.id == offer_id).values(
                leg_sid=leg_sid, updated_at=utc(now))).rowcount == 1

    def move(self, offer_id: str, state: str, now: datetime.datetime) -> bool:
        """Move the offer to `state` if it may go there from where it is; False otherwise."""
        return self._move(offer_id, {before: state for before in MOVES[state]}, now) is not None

    def leg_over(self, offer_id: str, leg_status: str, now: datetime.datetime) -> str | None:
        """Twilio says the leg is over: the state it ended in (None if it was over already). One
        UPDATE whose new state depends on the stored one, so a professional pressing 1 as the leg
        ends cannot slip between two tries and leave the offer live."""
        return self._move(offer_id, self.final_moves(leg_status), now)

    @staticmethod
    def final_moves(leg_status: str) -> dict:
        """The state a live offer ends in, from the state it is in, for a leg's final status."""
        if leg_status == "canceled":
            return {before: "canceled" for before in MOVES["canceled"]}
        if leg_status == "failed":
            return {"placing": "failed", "ringing": "missed", "answered": "missed"}
        # completed after accepting: a talk that ended; otherwise (busy, no-answer, or answered
        # by someone or something that never pressed the key) a missed offer.
        return {"accepted": "ended", **{before: "missed" for before in MOVES["missed"]}}

    def _move(self, offer_id: str, moves: dict, now: datetime.datetime) -> str | None:
        """One conditional UPDATE: from each state in `moves` to its target; the state moved to."""
        new_state = case(*[(offers.c.state == before, after) for before, after in moves.items()],
                         else_=offers.c.state)
        with self.engine.begin() as connection:
            moved = connection.execute(update(offers).where(
                (offers.c.id == offer_id) & offers.c.state.in_(list(moves))).values(
                state=new_state, updated_at=utc(now))).rowcount == 1
            if not moved:
                return None
            # Ours until the commit: the state read is the one this UPDATE wrote.
            row = connection.execute(select(offers.c.state, offers.c.professional_id).where(
                offers.c.id == offer_id)).first()
            if row.state == "ended":
                # Their helpline call is over: longest-idle counts from now.
                upsert(connection, presence, {"professional_id": row.professional_id, "away": False,
                                              "idle_since": utc(now), "updated_at": utc(now)},
                       ("professional_id",), {"idle_since": utc(now), "updated_at": utc(now)})
            return row.state

    def get(self, offer_id: str):
        with self.engine.connect() as connection:
            return connection.execute(select(offers).where(offers.c.id == offer_id)).first()

    def for_caller(self, call_sid: str, live_only: bool = True) -> list:
        query = select(offers).where(offers.c.call_sid == call_sid)
        if live_only:
            query = query.where(offers.c.state.in_(LIVE_OFFER_STATES))
        with self.engine.connect() as connection:
            return list(connection.execute(query.order_by(offers.c.created_at)))

    def live(self) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(select(offers).where(offers.c.state.in_(LIVE_OFFER_STATES))))

    def stale(self, now: datetime.datetime, ringing_for: float, talking_for: float) -> list:
        """Live offers whose end may have been lost: ringing longer than a ring can last, or talking
        and not checked for a while."""
        now = utc(now)
        rang_before = now - datetime.timedelta(seconds=ringing_for)
        checked_before = now - datetime.timedelta(seconds=talking_for)
        with self.engine.connect() as connection:
            return list(connection.execute(select(offers).where(or_(
                and_(offers.c.state.in_(("placing", "ringing", "answered")),
                     offers.c.updated_at < rang_before,
                     or_(offers.c.checked_at.is_(None), offers.c.checked_at < rang_before)),
                and_(offers.c.state == "accepted", offers.c.updated_at < checked_before,
                     or_(offers.c.checked_at.is_(None), offers.c.checked_at < checked_before))))))

    def checked(self, offer_id: str, now: datetime.datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(offers).where(offers.c.id == offer_id).values(checked_at=utc(now)))
