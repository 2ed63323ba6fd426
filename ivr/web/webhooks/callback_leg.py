"""A callback placed through the helpline (the staff pages' Call back now, `ivr callbacks call`):
the professional's leg. What each request means is decided in ivr/calls/callback_professional.py;
here the request is read and the answer rendered."""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls.callback_professional import DialCaller, HowDidItGo
from ...calls.offer_leg import Ask
from ...twilio import twiml
from ..current import services
from ..signature import twilio_only
from ..respond import retry_later, twiml_answer
from ..twilio_event import event, whole_number
from ..twilio_params import args

log = logging.getLogger(__name__)
blueprint = Blueprint("callback_calls", __name__, url_prefix="/voice")


def _id() -> int:
    return whole_number(args().first("id"), longest=10) or 0


def _answer(flows, decision) -> Response:
    if isinstance(decision, Ask):
        return twiml_answer(twiml.whisper(decision.said, flows, f"callback-go?id={_id()}"))
    if isinstance(decision, DialCaller):
        return twiml_answer(twiml.dial_for_professional(decision.said, flows, decision.number, decision.caller_id,
                                                        f"callback-dialed?id={_id()}"))
    if isinstance(decision, HowDidItGo):
        return twiml_answer(twiml.ask_professional(decision.said, flows, f"callback-result?id={_id()}"))
    return twiml_answer(twiml.say_and_hang_up(decision.said, flows))


@blueprint.post("/callback-offer")
@twilio_only
def callback_offer():
    ivr = services()
    flows = ivr.flows.current()
    return _answer(flows, ivr.callback_professional.answered(flows, _id(), event().answered_by))


@blueprint.post("/callback-go")
@twilio_only
def callback_go():
    ivr = services()
    flows = ivr.flows.current()
    return _answer(flows, ivr.callback_professional.key(flows, _id(), event().call_sid, event().key_is("1")))


@blueprint.post("/callback-dialed")
@twilio_only
def callback_dialed():
    ivr, call = services(), event()
    flows = ivr.flows.current()
    return _answer(flows, ivr.callback_professional.dial_ended(flows, _id(), call.call_sid, call.dial_status,
                                                               call.dial_seconds, call.call_status))


@blueprint.post("/callback-result")
@twilio_only
def callback_result():
    ivr = services()
    flows = ivr.flows.current()
    return _answer(flows, ivr.callback_professional.told(flows, _id(), event().call_sid, event().digits))


@blueprint.post("/callback-leg")
@twilio_only
def callback_leg():
    """A status callback of the professional's leg (any order, possibly twice)."""
    try:
        services().callback_professional.leg_status(_id(), event().call_sid, event().call_status)
    except SQLAlchemyError as error:
        log.error("could not record the end of a callback's leg (%s)", error.__class__.__name__)
        return retry_later()
    return Response(status=204)
