"""A callback placed through the helpline, on the professional's leg, event by event: their phone
answered, their key, the dial to the caller ended, their word on how it went, the leg's status.

What the professional hears is decided here, in the callback's language (they were rung because
they speak it); the facts of the try are kept by calling_back.py. Plain Python: the web layer
renders. A voicemail box never hears the caller's details.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from . import engine
from .calling_back import DIAL_CONNECTED
from .control import MACHINE_ANSWERS
from .offer_leg import Ask, EndLeg, end_leg_saying

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DialCaller:
    """They pressed 1: a word, then the caller's number is dialled from `caller_id`."""
    said: engine.Utterance | None
    number: str
    caller_id: str


@dataclass(frozen=True)
class HowDidItGo:
    """After a talk with the caller: 1 reached, 2 voicemail."""
    said: engine.Utterance | None


class CallbackProfessional:
    """`calling_back`: calls.calling_back.CallbackCalls (the requests and the facts of each try)."""

    def __init__(self, calling_back):
        self.calling_back = calling_back

    def answered(self, flows, callback_id: int, answered_by: str) -> Ask | EndLeg:
        row = self.calling_back.pending(callback_id)
        if answered_by in MACHINE_ANSWERS:
            return EndLeg()                  # their voicemail: never the caller's details
        if row is None:
            return end_leg_saying(flows, "callback-already-made", "")
        if flows is None:
            return EndLeg()                  # nothing to say it with; the request stays listed
        language = flows.language(row.language)
        return Ask(engine.message(flows, "callback-offer", language.code, language=language.name,
                                  time=self.calling_back.asked_at(row, language.code)))

    def key(self, flows, callback_id: int, leg_sid: str, pressed_1: bool) -> DialCaller | EndLeg:
        row = self.calling_back.pending(callback_id)
        if row is None:
            return end_leg_saying(flows, "callback-already-made", "")
        if not pressed_1:
            return EndLeg()
        self._keep(self.calling_back.dialing, callback_id, leg_sid)
        return DialCaller(_said(flows, "callback-calling", row.language), row.number,
                          self.calling_back.caller_id(row))

    def dial_ended(self, flows, callback_id: int, leg_sid: str, dial_status: str, seconds: int | None,
                   leg_status: str) -> HowDidItGo | EndLeg:
        """The dial to the caller ended: a talk (ask how it went) or no answer (kept for another
        try). Either way its facts are kept at once: the professional may have hung up already
        (then `leg_status`, theirs, is over and nobody hears the answer)."""
        language = self._language(callback_id)
        self._keep(self.calling_back.dialed, callback_id, leg_sid, dial_status, seconds, leg_status)
        if dial_status in DIAL_CONNECTED:
            return HowDidItGo(_said(flows, "callback-how-did-it-go", language))
        return end_leg_saying(flows, "callback-not-reached", language)

    def told(self, flows, callback_id: int, leg_sid: str, digits: str) -> EndLeg:
        """Their key: 1 reached (the number is erased), 2 voicemail (the request stays); no key
        leaves it to what Twilio said of the dial."""
        language = self._language(callback_id)
        self._keep(self.calling_back.professional_said, callback_id, leg_sid, digits[:5])
        return end_leg_saying(flows, "thank-you", language)

    def leg_status(self, callback_id: int, leg_sid: str, status: str) -> None:
        """A status callback of their leg (any order, possibly twice). Its end settles a try they
        hung up on before saying how it went. Raises SQLAlchemyError (Twilio then sends it again)."""
        if status in ("no-answer", "busy", "failed"):
            log.info("callback %s: the professional's phone was not answered (%s)", callback_id, status)
        if leg_sid and callback_id:
            self.calling_back.leg_ended(callback_id, leg_sid, status)

    def _keep(self, fact, callback_id: int, leg_sid: str, *values) -> None:
        """Keep a fact of the try, keyed on the professional's leg; without the database the
        professional is still thanked and let go."""
        if not leg_sid or not callback_id:
            return
        try:
            fact(callback_id, leg_sid, *values)
        except SQLAlchemyError as error:
            log.error("could not record a callback's try (%s)", error.__class__.__name__)

    def _language(self, callback_id: int) -> str:
        row = self.calling_back.pending(callback_id)
        return row.language if row is not None else ""


def _said(flows, name: str, language: str):
    return engine.message(flows, name, flows.language(language).code) if flows is not None else None
