"""A professional's leg, placed by call control through the REST API: the whisper when they answer,
their key, the leg's status callbacks, and the end of their talk. What each means is decided in
ivr/calls/offer_leg.py; here the request is read and the answer rendered.

Everything here answers the professional's phone, never the caller's: an unexpected error hangs
their leg up (edge.py) and the caller goes on to someone else.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls.offer_leg import Ask, ToConference
from ...twilio import twiml
from ..current import links, services
from ..signature import twilio_only
from ..respond import retry_later, twiml_answer
from ..twilio_params import args
from ..twilio_event import event, token

log = logging.getLogger(__name__)
blueprint = Blueprint("offers", __name__, url_prefix="/voice")


def _offer_id() -> str:
    return token(args().first("offer"))


def _answer(flows, decision) -> Response:
    if isinstance(decision, Ask):
        return twiml_answer(twiml.whisper(decision.said, flows, f"offer-answer?offer={_offer_id()}"))
    if isinstance(decision, ToConference):
        return twiml_answer(twiml.professional_to_conference(decision.said, flows, decision.room,
                                                             f"offer-done?offer={_offer_id()}"))
    return twiml_answer(twiml.say_and_hang_up(decision.said, flows))


@blueprint.post("/offer")
@twilio_only
def offer():
    """Their phone was answered (by them, their voicemail, or — with detection on — a machine)."""
    ivr = services()
    flows = ivr.flows.current()
    return _answer(flows, ivr.offer_leg.answered(flows, _offer_id(), event().answered_by))


@blueprint.post("/offer-answer")
@twilio_only
def offer_answer():
    ivr = services()
    flows = ivr.flows.current()
    return _answer(flows, ivr.offer_leg.key(flows, _offer_id(), event().key_is("1"), links()))


@blueprint.post("/offer-status")
@twilio_only
def offer_status():
    """Twilio's status callback for the leg (in any order, possibly twice)."""
    ivr = services()
    try:
        ivr.offer_leg.status(_offer_id(), event().call_status, event().call_sid, links())
    except SQLAlchemyError as error:
        log.error("could not record a leg's status (%s)", error.__class__.__name__)
        return retry_later()
    return Response(status=204)


@blueprint.post("/leg-fallback")
@twilio_only
def leg_fallback():
    """Twilio's FallbackUrl for every call the helpline places to a professional (ivr/twilio/rest.py
    `ring` and `call_to_say`, the latter with no offer): their phone's TwiML could not be had or
    run. Twilio's docs name the leg's Url as what fails over; whichever of its URLs failed, the
    answer is the same, and it needs neither the database nor working flows."""
    ivr = services()
    log.warning("a professional's leg fell back (Twilio error %s)", event().error_code or "-")
    try:
        flows = ivr.flows.current()
    except Exception:          # noqa: BLE001 — a hang-up without words rather than none
        log.exception("the flows could not be read for a leg that fell back")
        flows = None
    offer_id = args().first("offer")
    return _answer(flows, ivr.offer_leg.fell_back(flows, token(offer_id) if offer_id else "", event().call_sid,
                                                  args().first("lang"), links()))


@blueprint.post("/offer-done")
@twilio_only
def offer_done():
    """Their talk is over: they are free for the next caller now, whatever their leg's status
    callbacks do (call control)."""
    services().offer_leg.talk_over(_offer_id(), links())
    return twiml_answer(twiml.hang_up())
