"""A professional's leg, placed by call control through the REST API: the whisper when they answer,
their key, the leg's status callbacks, and the end of their talk.

Everything here answers the professional's phone, never the caller's: an unexpected error hangs
their leg up (edge.py) and the caller goes on to someone else.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from .. import twiml
from ..call_control import Bridge, Whisper
from .services import services
from .signature import twilio_only
from .twilio_request import args, form
from .voice import token

log = logging.getLogger(__name__)
blueprint = Blueprint("offers", __name__, url_prefix="/voice")
VOICE = "Polly.Joanna-Neural"
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
WHISPER = "Helpline call in {language}. Press 1 to take it."
CONNECTING = "Connecting you now."
NOT_NEEDED = {
    "taken": "A colleague has taken this call. Thank you.",
    "gone": "The caller is no longer on the line. Thank you.",
    "machine": "",
}


def xml(text: str) -> Response:
    return Response(text, mimetype="text/xml")


def _offer_id() -> str:
    return token(args().first("offer"))


@blueprint.post("/offer")
@twilio_only
def offer():
    """Their phone was answered (by them, their voicemail, or — with detection on — a machine)."""
    ivr = services()
    decision = ivr.control.leg_answered(_offer_id(), form().first("AnsweredBy"))
    if isinstance(decision, Whisper):
        flows = ivr.flows.current()
        name = LANGUAGE_NAMES.get(decision.language) or (flows.language(decision.language).name if flows else "")
        return xml(twiml.whisper(WHISPER.format(language=name or "another language"), VOICE,
                                 f"offer-answer?offer={_offer_id()}"))
    return xml(twiml.say_and_hang_up(NOT_NEEDED[decision.reason], VOICE))


@blueprint.post("/offer-answer")
@twilio_only
def offer_answer():
    ivr = services()
    if form().first("Digits") != "1":
        return xml(twiml.say_and_hang_up("", VOICE))   # not taken: the caller goes on to someone else
    decision = ivr.control.leg_accepted(_offer_id(), ivr.links())
    if isinstance(decision, Bridge):
        return xml(twiml.professional_to_conference(CONNECTING, VOICE, decision.room,
                                                    f"offer-done?offer={_offer_id()}"))
    return xml(twiml.say_and_hang_up(NOT_NEEDED[decision.reason], VOICE))


@blueprint.post("/offer-status")
@twilio_only
def offer_status():
    """Twilio's status callback for the leg (in any order, possibly twice)."""
    ivr = services()
    try:
        ivr.control.leg_status(_offer_id(), form().first("CallStatus")[:20], token(form().first("CallSid")),
                               ivr.links())
    except SQLAlchemyError as error:
        log.error("could not record a leg's status (%s)", error.__class__.__name__)
        return Response("the database is unavailable; please retry", status=503, mimetype="text/plain")
    return Response(status=204)


@blueprint.post("/offer-done")
@twilio_only
def offer_done():
    """Their talk is over."""
    return xml(twiml.say_and_hang_up("", VOICE))
