"""A callback placed through the helpline (`ivr callbacks call ID --by NAME`): the professional's
leg — what they hear when they answer, their key, the dial to the caller, how it went."""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from .. import twiml
from ..callback_calls import DIAL_OUTCOMES
from ..call_control import MACHINE_ANSWERS
from .offers import LANGUAGE_NAMES, VOICE
from .services import services
from .signature import twilio_only
from .twilio_request import args, form

log = logging.getLogger(__name__)
blueprint = Blueprint("callback_calls", __name__, url_prefix="/voice")
WHISPER = "Callback for a caller who asked in {language} at {time}. Press 1 to call them now."
ALREADY = "This callback has already been made. Thank you."
CALLING = "Calling them now. They will see the helpline's number."
ASK = "If you talked with the caller, press 1. If you reached their voicemail, press 2."
NOT_REACHED = "The caller did not answer. Their request stays on the list."
THANKS = "Thank you."


def xml(text: str) -> Response:
    return Response(text, mimetype="text/xml")


def _id() -> int:
    text = args().first("id")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


@blueprint.post("/callback-offer")
@twilio_only
def callback_offer():
    ivr = services()
    row = ivr.callback_calls.pending(_id())
    if form().first("AnsweredBy") in MACHINE_ANSWERS:
        return xml(twiml.say_and_hang_up("", VOICE))         # their voicemail: never the caller's details
    if row is None:
        return xml(twiml.say_and_hang_up(ALREADY, VOICE))
    flows = ivr.flows.current()
    language = LANGUAGE_NAMES.get(row.language) or (flows.language(row.language).name if flows else row.language)
    text = WHISPER.format(language=language, time=ivr.callback_calls.asked_at(row))
    return xml(twiml.whisper(text, VOICE, f"callback-go?id={_id()}"))


@blueprint.post("/callback-go")
@twilio_only
def callback_go():
    ivr = services()
    row = ivr.callback_calls.pending(_id())
    if form().first("Digits") != "1" or row is None:
        return xml(twiml.say_and_hang_up("" if row else ALREADY, VOICE))
    return xml(twiml.dial_for_professional(CALLING, VOICE, row.number, ivr.callback_calls.caller_id(row),
                                           f"callback-dialed?id={_id()}"))


@blueprint.post("/callback-dialed")
@twilio_only
def callback_dialed():
    """The dial to the caller ended: a talk (ask how it went) or no answer (kept for another try)."""
    ivr = services()
    status = form().first("DialCallStatus")
    if status in ("completed", "answered"):
        return xml(twiml.ask_professional(ASK, VOICE, f"callback-result?id={_id()}"))
    try:
        ivr.callback_calls.tried(_id(), DIAL_OUTCOMES.get(status, "failed"))
    except SQLAlchemyError as error:
        log.error("could not record a callback's try (%s)", error.__class__.__name__)
    return xml(twiml.say_and_hang_up(NOT_REACHED, VOICE))


@blueprint.post("/callback-result")
@twilio_only
def callback_result():
    ivr = services()
    digits = form().first("Digits")
    # Reached erases the number; a voicemail, or no answer to the question, keeps the request.
    outcome = {"1": "reached", "2": "voicemail"}.get(digits, "unconfirmed")
    try:
        ivr.callback_calls.tried(_id(), outcome)
    except SQLAlchemyError as error:
        log.error("could not record a callback's outcome (%s)", error.__class__.__name__)
    return xml(twiml.say_and_hang_up(THANKS, VOICE))


@blueprint.post("/callback-leg")
@twilio_only
def callback_leg():
    """The professional's leg ended; one that was never answered is a try that did not start."""
    if form().first("CallStatus") in ("no-answer", "busy", "failed"):
        log.info("callback %s: the professional's phone was not answered (%s)", _id(), form().first("CallStatus"))
    return Response(status=204)
