"""A callback placed through the helpline (`ivr callbacks call ID --by NAME`): the professional's
leg — what they hear when they answer, their key, the dial to the caller, how it went."""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from .. import engine, twiml
from ..callback_calls import DIAL_OUTCOMES
from ..call_control import MACHINE_ANSWERS
from .services import services
from .signature import twilio_only
from .twilio_request import args, form

log = logging.getLogger(__name__)
blueprint = Blueprint("callback_calls", __name__, url_prefix="/voice")

def xml(text: str) -> Response:
    return Response(text, mimetype="text/xml")


def _id() -> int:
    text = args().first("id")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


def _said(ivr, name: str | None, language: str):
    """A message in the callback's language (the professional rung for it speaks it); None
    without a name or flows to say it with."""
    flows = ivr.flows.current()
    if flows is None or name is None:
        return None
    return engine.message(flows, name, flows.language(language).code)


def _say_and_hang_up(ivr, name: str | None, language: str = "") -> Response:
    said = _said(ivr, name, language)
    return xml(twiml.say_and_hang_up((said,) if said else (), ivr.flows.current()))


@blueprint.post("/callback-offer")
@twilio_only
def callback_offer():
    ivr = services()
    row = ivr.callback_calls.pending(_id())
    if form().first("AnsweredBy") in MACHINE_ANSWERS:
        return _say_and_hang_up(ivr, None)        # their voicemail: never the caller's details
    if row is None:
        return _say_and_hang_up(ivr, "callback-already-made")
    flows = ivr.flows.current()
    if flows is None:
        return _say_and_hang_up(ivr, None)        # nothing to say it with; the request stays listed
    language = flows.language(row.language)
    said = engine.message(flows, "callback-offer", language.code, language=language.name,
                          time=ivr.callback_calls.asked_at(row, language.code))
    return xml(twiml.whisper(said, flows, f"callback-go?id={_id()}"))


@blueprint.post("/callback-go")
@twilio_only
def callback_go():
    ivr = services()
    row = ivr.callback_calls.pending(_id())
    if form().first("Digits") != "1" or row is None:
        return _say_and_hang_up(ivr, None if row else "callback-already-made")
    return xml(twiml.dial_for_professional(_said(ivr, "callback-calling", row.language), ivr.flows.current(),
                                           row.number, ivr.callback_calls.caller_id(row),
                                           f"callback-dialed?id={_id()}"))


@blueprint.post("/callback-dialed")
@twilio_only
def callback_dialed():
    """The dial to the caller ended: a talk (ask how it went) or no answer (kept for another try)."""
    ivr = services()
    status = form().first("DialCallStatus")
    language = _language(ivr)
    if status in ("completed", "answered"):
        return xml(twiml.ask_professional(_said(ivr, "callback-how-did-it-go", language), ivr.flows.current(),
                                          f"callback-result?id={_id()}"))
    _record_try(ivr, DIAL_OUTCOMES.get(status, "failed"))
    return _say_and_hang_up(ivr, "callback-not-reached", language)


@blueprint.post("/callback-result")
@twilio_only
def callback_result():
    ivr = services()
    digits = form().first("Digits")
    language = _language(ivr)
    # Reached erases the number; a voicemail, or no answer to the question, keeps the request.
    outcome = {"1": "reached", "2": "voicemail"}.get(digits, "unconfirmed")
    _record_try(ivr, outcome)
    return _say_and_hang_up(ivr, "thank-you", language)


def _record_try(ivr, outcome: str) -> None:
    """Keep how a try went; without the database the professional is still thanked and let go."""
    try:
        ivr.callback_calls.tried(_id(), outcome)
    except SQLAlchemyError as error:
        log.error("could not record a callback's try (%s)", error.__class__.__name__)


def _language(ivr) -> str:
    row = ivr.callback_calls.pending(_id())
    return row.language if row is not None else ""


@blueprint.post("/callback-leg")
@twilio_only
def callback_leg():
    """The professional's leg ended; one that was never answered is a try that did not start."""
    if form().first("CallStatus") in ("no-answer", "busy", "failed"):
        log.info("callback %s: the professional's phone was not answered (%s)", _id(), form().first("CallStatus"))
    return Response(status=204)
