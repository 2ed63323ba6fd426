"""A professional's leg, placed by call control through the REST API: the whisper when they answer,
their key, the leg's status callbacks, and the end of their talk.

Everything here answers the professional's phone, never the caller's: an unexpected error hangs
their leg up (edge.py) and the caller goes on to someone else.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls import engine
from ...twilio import twiml
from ...calls.decisions import Bridge, Whisper
from ..current import links, services
from ..signature import twilio_only
from ..respond import retry_later, twiml_answer
from ..twilio_params import args
from ..twilio_event import event, token

log = logging.getLogger(__name__)
blueprint = Blueprint("offers", __name__, url_prefix="/voice")
#: What a professional hears when the call is no longer theirs to take (a machine hears nothing).
NOT_NEEDED = {"taken": "offer-taken", "gone": "offer-caller-gone", "machine": None}



def _offer_id() -> str:
    return token(args().first("offer"))


@blueprint.post("/offer")
@twilio_only
def offer():
    """Their phone was answered (by them, their voicemail, or — with detection on — a machine)."""
    ivr = services()
    decision = ivr.control.leg_answered(_offer_id(), event().answered_by)
    flows = ivr.flows.current()
    if isinstance(decision, Whisper) and flows is not None:
        # In the caller's language: the professional was chosen because they speak it.
        language = flows.language(decision.language)
        said = engine.message(flows, "offer", language.code, language=language.name)
        return twiml_answer(twiml.whisper(said, flows, f"offer-answer?offer={_offer_id()}"))
    return _not_needed(flows, getattr(decision, "reason", "gone"), getattr(decision, "language", ""))


@blueprint.post("/offer-answer")
@twilio_only
def offer_answer():
    ivr = services()
    if not event().key_is("1"):
        return twiml_answer(twiml.hang_up())          # not taken: the caller goes on to someone else
    decision = ivr.control.leg_accepted(_offer_id(), links())
    flows = ivr.flows.current()
    if isinstance(decision, Bridge):
        said = engine.message(flows, "offer-connecting", flows.language(decision.language).code) \
            if flows is not None else None
        return twiml_answer(twiml.professional_to_conference(said, flows, decision.room, f"offer-done?offer={_offer_id()}"))
    return _not_needed(flows, decision.reason, decision.language)


def _not_needed(flows, reason: str, language: str) -> Response:
    name = NOT_NEEDED.get(reason)
    said = (engine.message(flows, name, flows.language(language).code),) if name and flows is not None else ()
    return twiml_answer(twiml.say_and_hang_up(said, flows))


@blueprint.post("/offer-status")
@twilio_only
def offer_status():
    """Twilio's status callback for the leg (in any order, possibly twice)."""
    ivr = services()
    try:
        ivr.control.leg_status(_offer_id(), event().call_status, event().call_sid, links())
    except SQLAlchemyError as error:
        log.error("could not record a leg's status (%s)", error.__class__.__name__)
        return retry_later()
    return Response(status=204)


@blueprint.post("/leg-fallback")
@twilio_only
def leg_fallback():
    """Twilio's FallbackUrl for every leg the helpline places (ivr/twilio/rest.py `ring`): their
    phone's TwiML could not be had or run. They hear a short apology, in the caller's language,
    and the leg ends. Twilio's docs name the leg's Url as what fails over; whichever of its URLs
    failed, the answer is the same. It needs neither the database nor working flows: without
    flows it hangs up without words."""
    ivr = services()
    log.warning("a professional's leg fell back (Twilio error %s)", event().error_code or "-")
    offer_id = args().first("offer")
    if offer_id:
        try:
            # The hang-up below ends the leg: its offer is settled now, and the caller offered to
            # someone else, rather than when Twilio's last callback comes (or the reconciler asks).
            ivr.control.leg_status(token(offer_id), "completed", event().call_sid, links())
        except SQLAlchemyError as error:
            log.error("could not settle a leg that fell back (%s); call control will", error.__class__.__name__)
    try:
        flows = ivr.flows.current()
        if flows is not None and "leg-apology" in flows.messages:
            # In the caller's language (the flows' first one if they no longer have it).
            said = (engine.message(flows, "leg-apology", flows.language(args().first("lang")).code),)
            return twiml_answer(twiml.say_and_hang_up(said, flows))
    except Exception:          # noqa: BLE001 — no words rather than no hang-up
        log.exception("the apology of a leg that fell back could not be said; hanging up without it")
    return twiml_answer(twiml.hang_up())


@blueprint.post("/offer-done")
@twilio_only
def offer_done():
    """Their talk is over: they are free for the next caller now, whatever their leg's status
    callbacks do (call control)."""
    try:
        services().control.talk_over(_offer_id(), links())
    except SQLAlchemyError as error:
        log.error("could not free a professional whose talk ended (%s); their leg's callback or call control will",
                  error.__class__.__name__)
    return twiml_answer(twiml.hang_up())
