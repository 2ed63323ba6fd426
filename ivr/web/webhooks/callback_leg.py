"""A callback placed through the helpline (`ivr callbacks call ID --by NAME`): the professional's
leg — what they hear when they answer, their key, the dial to the caller, how it went."""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls import engine
from ...twilio import twiml
from ...calls.calling_back import DIAL_CONNECTED
from ...calls.control import MACHINE_ANSWERS
from ..current import services
from ..signature import twilio_only
from ..respond import retry_later, twiml_answer
from ..twilio_event import event, whole_number
from ..twilio_params import args

log = logging.getLogger(__name__)
blueprint = Blueprint("callback_calls", __name__, url_prefix="/voice")


def _id() -> int:
    return whole_number(args().first("id"), longest=10) or 0


def _said(ivr, name: str | None, language: str):
    """A message in the callback's language (the professional rung for it speaks it); None
    without a name or flows to say it with."""
    flows = ivr.flows.current()
    if flows is None or name is None:
        return None
    return engine.message(flows, name, flows.language(language).code)


def _say_and_hang_up(ivr, name: str | None, language: str = "") -> Response:
    said = _said(ivr, name, language)
    return twiml_answer(twiml.say_and_hang_up((said,) if said else (), ivr.flows.current()))


@blueprint.post("/callback-offer")
@twilio_only
def callback_offer():
    ivr = services()
    row = ivr.callback_calls.pending(_id())
    if event().answered_by in MACHINE_ANSWERS:
        return _say_and_hang_up(ivr, None)        # their voicemail: never the caller's details
    if row is None:
        return _say_and_hang_up(ivr, "callback-already-made")
    flows = ivr.flows.current()
    if flows is None:
        return _say_and_hang_up(ivr, None)        # nothing to say it with; the request stays listed
    language = flows.language(row.language)
    said = engine.message(flows, "callback-offer", language.code, language=language.name,
                          time=ivr.callback_calls.asked_at(row, language.code))
    return twiml_answer(twiml.whisper(said, flows, f"callback-go?id={_id()}"))


@blueprint.post("/callback-go")
@twilio_only
def callback_go():
    ivr = services()
    row = ivr.callback_calls.pending(_id())
    if not event().key_is("1") or row is None:
        return _say_and_hang_up(ivr, None if row else "callback-already-made")
    _record(ivr, "dialing")
    return twiml_answer(twiml.dial_for_professional(_said(ivr, "callback-calling", row.language), ivr.flows.current(),
                                           row.number, ivr.callback_calls.caller_id(row),
                                           f"callback-dialed?id={_id()}"))


@blueprint.post("/callback-dialed")
@twilio_only
def callback_dialed():
    """The dial to the caller ended: a talk (ask how it went) or no answer (kept for another try).
    Either way the dial's facts are kept at once: the professional may have hung up already (then
    this request's CallStatus, theirs, is over and nobody hears the answer)."""
    ivr = services()
    call = event()
    status = call.dial_status
    language = _language(ivr)
    _record(ivr, "dialed", status, call.dial_seconds, call.call_status)
    if status in DIAL_CONNECTED:
        return twiml_answer(twiml.ask_professional(_said(ivr, "callback-how-did-it-go", language), ivr.flows.current(),
                                          f"callback-result?id={_id()}"))
    return _say_and_hang_up(ivr, "callback-not-reached", language)


@blueprint.post("/callback-result")
@twilio_only
def callback_result():
    """Their key: 1 reached (the number is erased), 2 voicemail (the request stays); no key leaves
    it to what Twilio said of the dial."""
    ivr = services()
    language = _language(ivr)
    _record(ivr, "professional_said", event().digits[:5])
    return _say_and_hang_up(ivr, "thank-you", language)


def _record(ivr, fact: str, *values) -> None:
    """Keep a fact of the try, keyed on the professional's leg; without the database the
    professional is still thanked and let go."""
    leg_sid = event().call_sid
    if not leg_sid or not _id():
        return
    try:
        getattr(ivr.callback_calls, fact)(_id(), leg_sid, *values)
    except SQLAlchemyError as error:
        log.error("could not record a callback's try (%s)", error.__class__.__name__)


def _language(ivr) -> str:
    row = ivr.callback_calls.pending(_id())
    return row.language if row is not None else ""


@blueprint.post("/callback-leg")
@twilio_only
def callback_leg():
    """A status callback of the professional's leg (any order, possibly twice). Its end settles a
    try they hung up on before saying how it went; one never answered is a try that did not start."""
    ivr = services()
    status = event().call_status
    if status in ("no-answer", "busy", "failed"):
        log.info("callback %s: the professional's phone was not answered (%s)", _id(), status)
    try:
        _record_leg_end(ivr, status)
    except SQLAlchemyError as error:
        log.error("could not record the end of a callback's leg (%s)", error.__class__.__name__)
        return retry_later()
    return Response(status=204)


def _record_leg_end(ivr, status: str) -> None:
    leg_sid = event().call_sid
    if leg_sid and _id():
        ivr.callback_calls.leg_ended(_id(), leg_sid, status)
