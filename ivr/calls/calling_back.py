"""Calling a caller back through the helpline, in plain Python: the professional's phone rings
first, and only when they press 1 does the helpline dial the caller — from its own number — and
join them. The professional never sees the caller's number, nor the caller theirs. Each try and
its outcome is kept; the number is erased once the caller was reached.

How a try went is settled by Twilio's facts, whoever hangs up first: the <Dial> action's
DialCallStatus and DialCallDuration, and the professional's leg's own status callback. Twilio
requests the action URL "when the <Dial> call ends" and continues the call with its answer
(https://www.twilio.com/docs/voice/twiml/dial, action); the page does not say whether it is
requested when the professional hung up first, so a try is settled by their leg's end as well:
counted 'unconfirmed' at once, then told how the dial went by Twilio itself, asked about the call
the <Dial> placed (dial_checks.py), or by a late action, whichever comes first. The professional's
key (1 reached, 2 voicemail) only refines it.
"""
from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from urllib.parse import quote

from babel import UnknownLocaleError
from babel.dates import format_time
from sqlalchemy.engine import Engine

from .dial_checks import DialChecks
from ..twilio.retries import retried
from ..twilio.statuses import FINAL_STATUSES
from ..store.callback_tries import UNCONFIRMED, CallbackTries
from ..twilio.rest import TwilioApi

#: What became of a try, from the <Dial> to the caller (DialCallStatus) or from the professional.
DIAL_OUTCOMES = {"no-answer": "no-answer", "busy": "busy", "failed": "failed", "canceled": "no-answer"}
#: DialCallStatus values that mean the caller picked up and was connected.
DIAL_CONNECTED = ("completed", "answered")
#: The professional's key after the talk.
SAID = {"1": "reached", "2": "voicemail"}


def try_outcome(row) -> tuple:
    """(outcome, settled) of a try from the facts kept about it (a callback_tries row).

    Settled once nothing more can come from the professional: they answered the question, their
    leg is over, or the dial did not connect (they are not asked). A connected dial with a duration
    is 'reached' unless they press 2; a try whose dial nobody told us about is 'unconfirmed'.
    """
    if row.professional_said in ("reached", "voicemail"):
        return row.professional_said, True
    leg_over = row.leg_status in FINAL_STATUSES
    if row.dial_status is None:
        # Their leg ended before any word of the dial: a try only if they had pressed 1.
        return (UNCONFIRMED, True) if leg_over and row.dialing_at is not None else (None, False)
    if row.dial_status in DIAL_CONNECTED:
        outcome = "reached" if row.dial_seconds is None or row.dial_seconds > 0 else UNCONFIRMED
        return outcome, leg_over or row.professional_said is not None
    return DIAL_OUTCOMES.get(row.dial_status, "failed"), True


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
        self.tries = CallbackTries(engine)
        self.checks = DialChecks(self.tries, api, clock, self.dialed)

    def pending(self, callback_id: int):
        return self.tries.pending_request(callback_id)

    def ringable(self, callback_id: int):
        """The pending request, if the helpline can ring someone for it; CallbackUnavailable says
        why not (not pending, no number to call from, Twilio not set up)."""
        row = self.pending(callback_id)
        if row is None:
            raise CallbackUnavailable(f"no pending callback {callback_id}")
        if not self.caller_id(row):
            raise CallbackUnavailable("no helpline number to call from: set caller_id in roster.yaml")
        if not self.api.configured:
            raise CallbackUnavailable("TWILIO_ACCOUNT_SID is not set")
        return row

    def ring(self, callback_id: int, professional, links: CallbackLinks) -> str:
        """Ring `professional` for the callback; the leg's CallSid."""
        row = self.ringable(callback_id)
        roster = self.roster.current()
        caller_id = self.caller_id(row)
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

    # -- a try, from Twilio's requests about the professional's leg `leg_sid` ----------------------
    def dialing(self, callback_id: int, leg_sid: str) -> None:
        """The professional pressed 1: the caller is being dialled. Tries a stopped process left
        unheard of are asked about now."""
        self.tries.learn(leg_sid, callback_id, self.clock(), try_outcome, dialing_at=self.clock())
        self.checks.soon()

    def dialed(self, callback_id: int, leg_sid: str, dial_status: str, seconds: int | None,
               leg_status: str = "") -> str | None:
        """The <Dial> to the caller ended (its action request; `leg_status`: the professional's own
        CallStatus in it). The try's outcome if that settles it."""
        return self.tries.learn(leg_sid, callback_id, self.clock(), try_outcome, dial_status=dial_status[:20] or None,
                                dialing_at=self.clock(), dial_seconds=seconds,
                                leg_status=leg_status if leg_status in FINAL_STATUSES else None)

    def professional_said(self, callback_id: int, leg_sid: str, digits: str) -> str | None:
        """Their key after the talk: 1 reached, 2 voicemail, anything else leaves it to the dial."""
        return self.tries.learn(leg_sid, callback_id, self.clock(), try_outcome,
                                professional_said=SAID.get(digits, "nothing"))

    def leg_ended(self, callback_id: int, leg_sid: str, leg_status: str) -> str | None:
        """The professional's leg is over (its status callback). With no word of the dial yet,
        Twilio is asked how it went, off this request."""
        if leg_status not in FINAL_STATUSES:
            return None
        outcome = self.tries.learn(leg_sid, callback_id, self.clock(), try_outcome, leg_status=leg_status)
        if outcome == UNCONFIRMED:
            self.checks.soon()
        return outcome

    def resume(self) -> None:
        """At start-up: tries a stopped process left with no word of their dial are asked about now,
        not only when the next callback's leg ends."""
        self.checks.soon()

    def close(self) -> None:
        self.checks.close()
