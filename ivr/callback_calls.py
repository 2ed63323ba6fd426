"""Calling a caller back through the helpline, in plain Python: the professional's phone rings
first, and only when they press 1 does the helpline dial the caller — from its own number — and
join them. The professional never sees the caller's number, nor the caller theirs. Each try and
its outcome is kept; the number is erased once the caller was reached.
"""
from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from urllib.parse import quote

from babel import UnknownLocaleError
from babel.dates import format_time
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from .retries import retried
from .store.presence import utc
from .store.schema import callbacks
from .twilio_api import TwilioApi

#: What became of a try, from the <Dial> to the caller (DialCallStatus) or from the professional.
DIAL_OUTCOMES = {"no-answer": "no-answer", "busy": "busy", "failed": "failed", "canceled": "no-answer"}


class CallbackUnavailable(Exception):
    """The callback cannot be made (not pending, no roster number to show, Twilio not set up)."""


@dataclass(frozen=True)
class CallbackLinks:
    base: str

    def answered(self, callback_id: int) -> str:
        return f"{self.base}/voice/callback-offer?id={callback_id}"

    def status(self, callback_id: int) -> str:
        return retried(f"{self.base}/voice/callback-leg?id={callback_id}")     # the try is counted on it

    def leg_fallback(self, callback_id: int, language: str) -> str:
        return f"{self.base}/voice/leg-fallback?callback={callback_id}&lang={quote(language)}"


class CallbackCalls:
    def __init__(self, engine: Engine, api: TwilioApi, roster, clock):
        self.engine, self.api, self.roster, self.clock = engine, api, roster, clock

    def pending(self, callback_id: int):
        with self.engine.connect() as connection:
            return connection.execute(select(callbacks).where(
                (callbacks.c.id == callback_id) & (callbacks.c.status == "pending"))).first()

    def ring(self, callback_id: int, professional, links: CallbackLinks) -> str:
        """Ring `professional` for the callback; the leg's CallSid."""
        row = self.pending(callback_id)
        if row is None:
            raise CallbackUnavailable(f"no pending callback {callback_id}")
        roster = self.roster.current()
        caller_id = (roster.caller_id if roster is not None else "") or row.helpline_number
        if not caller_id:
            raise CallbackUnavailable("no helpline number to call from: set caller_id in roster.yaml")
        if not self.api.configured:
            raise CallbackUnavailable("TWILIO_ACCOUNT_SID is not set")
        seconds = roster.ringing.ring_seconds if roster is not None else 20
        machine = roster.ringing.machine_detection if roster is not None else False
        return self.api.ring(professional.phone, caller_id, links.answered(callback_id), links.status(callback_id),
                             seconds, machine, fallback_url=links.leg_fallback(callback_id, row.language))

    def asked_at(self, row, language: str) -> str:
        """'2:05 PM' (or '14:05' in Spanish): when the caller asked, on the roster's clock, as the
        language says times."""
        roster = self.roster.current()
        zone = zoneinfo.ZoneInfo(roster.timezone if roster is not None else "UTC")
        moment = row.requested_at if row.requested_at.tzinfo else row.requested_at.replace(tzinfo=datetime.timezone.utc)
        try:
            return format_time(moment.astimezone(zone), format="short", locale=language)
        except (UnknownLocaleError, ValueError):      # a language CLDR does not know: a 24-hour clock
            return f"{moment.astimezone(zone):%H:%M}"

    def caller_id(self, row) -> str:
        roster = self.roster.current()
        return (roster.caller_id if roster is not None else "") or row.helpline_number

    def tried(self, callback_id: int, outcome: str) -> None:
        """A try ended with `outcome`; 'reached' ends the callback and erases the number."""
        now = utc(self.clock())
        values = {"attempts": callbacks.c.attempts + 1, "last_outcome": outcome, "last_tried_at": now}
        if outcome == "reached":
            values.update(status="done", number="")
        with self.engine.begin() as connection:
            connection.execute(update(callbacks).where(
                (callbacks.c.id == callback_id) & (callbacks.c.status == "pending")).values(**values))
