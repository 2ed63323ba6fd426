"""A professional's leg, event by event: their phone answered, their key after the whisper, the
leg's status callbacks, and Twilio's fallback when the leg's TwiML failed.

Call control decides whether the caller is still theirs to take; this decides what the
professional hears, in the caller's language (they were chosen because they speak it).
Plain Python: the web layer renders.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from . import engine
from .decisions import Bridge, Whisper

log = logging.getLogger(__name__)
#: What a professional hears when the call is no longer theirs to take (a machine hears nothing).
NOT_NEEDED = {"taken": "offer-taken", "gone": "offer-caller-gone", "machine": None}


@dataclass(frozen=True)
class Ask:
    """The whisper: who is waiting, and press 1 to take them."""
    said: engine.Utterance


@dataclass(frozen=True)
class ToConference:
    """They took the caller: a word, then the conference `room`."""
    said: engine.Utterance | None
    room: str


@dataclass(frozen=True)
class EndLeg:
    """Say this (perhaps nothing) and end the leg; the caller goes on to someone else."""
    said: tuple = ()


class OfferLeg:
    """`control`: calls.control.CallControl."""

    def __init__(self, control):
        self.control = control

    def answered(self, flows, offer_id: str, answered_by: str) -> Ask | EndLeg:
        """Their phone was answered (by them, their voicemail, or — with detection on — a machine)."""
        decision = self.control.leg_answered(offer_id, answered_by)
        if isinstance(decision, Whisper) and flows is not None:
            language = flows.language(decision.language)
            return Ask(engine.message(flows, "offer", language.code, language=language.name))
        return _not_needed(flows, getattr(decision, "reason", "gone"), getattr(decision, "language", ""))

    def key(self, flows, offer_id: str, pressed_1: bool, links) -> ToConference | EndLeg:
        """Their key after the whisper: 1 takes the caller if they are still waiting and nobody
        else has; anything else lets the caller go on to someone else."""
        if not pressed_1:
            return EndLeg()
        decision = self.control.leg_accepted(offer_id, links)
        if isinstance(decision, Bridge):
            said = engine.message(flows, "offer-connecting", flows.language(decision.language).code) \
                if flows is not None else None
            return ToConference(said, decision.room)
        return _not_needed(flows, decision.reason, decision.language)

    def status(self, offer_id: str, status: str, leg_sid: str, links) -> None:
        """A status callback of the leg (in any order, possibly twice). Raises SQLAlchemyError when
        it cannot be kept (Twilio is then asked to send it again)."""
        self.control.leg_status(offer_id, status, leg_sid, links)

    def talk_over(self, offer_id: str, links) -> None:
        """Their conference <Dial> ended: they are free for the next caller now, whatever their
        leg's status callbacks do."""
        try:
            self.control.talk_over(offer_id, links)
        except SQLAlchemyError as error:
            log.error("could not free a professional whose talk ended (%s); their leg's callback or call control "
                      "will", error.__class__.__name__)

    def fell_back(self, flows, offer_id: str, leg_sid: str, language: str, links) -> EndLeg:
        """Twilio's FallbackUrl: the leg's TwiML could not be had or run. The hang-up ends the leg,
        so its offer is settled now and the caller offered to someone else, rather than when
        Twilio's last callback comes (or the reconciler asks). A short apology in the caller's
        language (the flows' first one if they no longer have it); without flows, none."""
        if offer_id:
            try:
                self.control.leg_status(offer_id, "completed", leg_sid, links)
            except SQLAlchemyError as error:
                log.error("could not settle a leg that fell back (%s); call control will", error.__class__.__name__)
        try:
            if flows is not None and "leg-apology" in flows.messages:
                return EndLeg((engine.message(flows, "leg-apology", flows.language(language).code),))
        except Exception:          # noqa: BLE001 — no words rather than no hang-up
            log.exception("the apology of a leg that fell back could not be said; hanging up without it")
        return EndLeg()


def _not_needed(flows, reason: str, language: str) -> EndLeg:
    return end_leg_saying(flows, NOT_NEEDED.get(reason), language)


def end_leg_saying(flows, name: str | None, language: str) -> EndLeg:
    """End the leg after the message `name` in `language` (nothing without a name or flows)."""
    if name is None or flows is None:
        return EndLeg()
    return EndLeg((engine.message(flows, name, flows.language(language).code),))
