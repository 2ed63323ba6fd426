"""A call back's two webhooks: the number typed, and the key that confirms it. What they mean is
decided in ivr/calls/callback_request.py; here the request is read and the answer rendered."""
from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from ...calls.callback_request import ReadBack
from ...flow import model
from ...twilio import twiml
from ..current import links, services
from ..signature import twilio_only
from ..respond import twiml_answer
from ..twilio_event import event
from .caller import backup_line, state_from_url, went_on

log = logging.getLogger(__name__)
blueprint = Blueprint("callback", __name__, url_prefix="/voice")



def _context():
    ivr = services()
    flows = ivr.flows.current()
    state = state_from_url()
    step = flows.step(state.step) if flows else None
    return ivr, flows, state, step


@blueprint.post("/callback-number")
@twilio_only
def callback_number():
    ivr, flows, state, step = _context()
    if not isinstance(step, model.Callback):
        return backup_line(ivr)
    call = event()
    try:
        decision = ivr.callback_requests.number_typed(flows, state, step, call.call_sid, call.caller, call.line,
                                                      call.digits)
    except SQLAlchemyError as error:
        log.error("could not keep a callback number (%s): the caller goes to a person", error.__class__.__name__)
        return backup_line(ivr)
    if isinstance(decision, ReadBack):
        return twiml_answer(twiml.read_back(decision.said, flows, state))
    return twiml_answer(went_on(ivr, flows, decision.turn))


@blueprint.post("/callback-confirm")
@twilio_only
def callback_confirm():
    ivr, flows, state, step = _context()
    if not isinstance(step, model.Callback):
        return backup_line(ivr)
    try:
        decision = ivr.callback_requests.confirmed(flows, state, event().call_sid, event().digits, links().base)
    except SQLAlchemyError as error:
        log.error("could not confirm a callback (%s): the caller goes to a person", error.__class__.__name__)
        return backup_line(ivr)
    return twiml_answer(went_on(ivr, flows, decision.turn))
