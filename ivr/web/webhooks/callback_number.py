"""A call back: the caller types their number, hears it read back, and confirms it with a key.

Only a confirmed number is left for a professional to call; the number is the one thing kept in
clear, and only until the callback is done (`ivr callbacks done`).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls import engine
from ...twilio import twiml
from ...calls.engine import Finished, Pressed
from ...flow import model
from ...numbers import e164
from ...privacy import caller_key
from ..current import links, services
from ..signature import twilio_only
from .caller import backup_line, render, state_from_url
from ..twilio_event import event

log = logging.getLogger(__name__)
blueprint = Blueprint("callback", __name__, url_prefix="/voice")
MAX_TRIES = 3


def xml(text: str) -> Response:
    return Response(text, mimetype="text/xml")


def _context():
    ivr = services()
    flows = ivr.flows.current()
    state = state_from_url()
    step = flows.step(state.step) if flows else None
    return ivr, flows, state, step


def _again(ivr, flows, state, sorry: str | None = None) -> Response:
    """Ask for the number again (after MAX_TRIES, a person: they wanted to talk to us)."""
    now = ivr.now()
    if state.tries + 1 >= MAX_TRIES:
        return xml(render(ivr, flows, engine.enter(flows, flows.fallback, state.language, now)))
    turn = engine.enter(flows, state.step, state.language, now, tries=state.tries + 1)
    if sorry:
        said = (engine.message(flows, sorry, flows.language(state.language).code),)
        turn = engine.Turn(said + turn.said, turn.asked, turn.step, turn.state)
    return xml(render(ivr, flows, turn))


@blueprint.post("/callback-number")
@twilio_only
def callback_number():
    ivr, flows, state, step = _context()
    if not isinstance(step, model.Callback):
        return backup_line(ivr)
    call = event()
    digits = "".join(c for c in call.digits if c in "0123456789")[:15]
    goto = engine.answer_on_hold(flows, step, Pressed(digits)) if len(digits) == 1 else None
    if goto is not None:
        # One key, then silence: not a number but a choice — 0 for a person, as everywhere.
        return xml(render(ivr, flows, engine.enter(flows, goto, state.language, ivr.now())))
    number = e164(digits) if len(digits) >= 10 else None
    if number is None:
        return _again(ivr, flows, state, "callback-not-a-number")
    key = caller_key(call.caller, ivr.settings.caller_hash_key)
    try:
        ivr.calls.callback_requested(call.call_sid, key, number, state.language,
                                     ivr.now(), status="unconfirmed", helpline_number=call.line)
    except SQLAlchemyError as error:
        log.error("could not keep a callback number (%s): the caller goes to a person", error.__class__.__name__)
        return backup_line(ivr)
    spoken = ", ".join(" ".join(group) for group in _groups(number[-10:] if number.startswith("+1") else number[1:]))
    said = engine.message(flows, "callback-read-back", flows.language(state.language).code, number=spoken)
    return xml(twiml.read_back(said, flows, state))


@blueprint.post("/callback-confirm")
@twilio_only
def callback_confirm():
    ivr, flows, state, step = _context()
    if not isinstance(step, model.Callback):
        return backup_line(ivr)
    sid = event().call_sid
    try:
        if event().key_is("1") and ivr.calls.confirm_callback(sid):
            ivr.calls.outcome(sid, "callback", ivr.now())
            ivr.notices.soon(links().base)      # the professionals on shift are texted at once
            turn = engine.advance(flows, state, Finished(), ivr.now())
            saved = (engine.message(flows, "callback-saved", flows.language(state.language).code),)
            return xml(render(ivr, flows, engine.Turn(saved + turn.said, turn.asked, turn.step, turn.state,
                                                      turn.timed)))
        ivr.calls.forget_unconfirmed_callback(sid)
    except SQLAlchemyError as error:
        log.error("could not confirm a callback (%s): the caller goes to a person", error.__class__.__name__)
        return backup_line(ivr)
    return _again(ivr, flows, state)


def _groups(digits: str) -> list:
    """'2025550101' -> ['202', '555', '0101']: read back the way people say numbers."""
    if len(digits) == 10:
        return [digits[:3], digits[3:6], digits[6:]]
    return [digits[i:i + 3] for i in range(0, len(digits), 3)]
