"""Waiting for a person: the hold page (Enqueue's waitUrl), keys and words on hold, leaving the
queue (its action), and the conference a caller joins when a professional accepts.

Twilio asks `hold` again whenever its document ends. What each means is decided in
ivr/calls/on_hold.py; here the request is read and the answer rendered.
"""
from __future__ import annotations

from flask import Blueprint, Response

from ...calls.decisions import Leave
from ...calls.on_hold import Join
from ...twilio import twiml
from ..current import links, services
from ..signature import twilio_only
from ..respond import twiml_answer
from ..twilio_event import event
from .caller import render, state_from_url

blueprint = Blueprint("hold", __name__, url_prefix="/voice")


@blueprint.post("/hold")
@twilio_only
def hold():
    ivr, state = services(), state_from_url()
    flows = ivr.flows.current()
    page = ivr.on_hold.page(flows, state, event().call_sid, event().queue_sid, links())
    if isinstance(page, Leave):
        return twiml_answer(twiml.leave_queue())        # the queue's action decides where to
    return twiml_answer(twiml.hold_page(state, flows, page.said, page.music, page.pause,
                                        twiml.hints(page.step, flows, state.language), page.words))


@blueprint.post("/hold-key")
@twilio_only
def hold_key():
    """A key or words on hold: back to the hold page, still in the queue; a choice is seen there."""
    ivr, state, call = services(), state_from_url(), event()
    if not ivr.on_hold.key(ivr.flows.current(), state, call.call_sid, call.digits, call.speech):
        return twiml_answer(twiml.leave_queue())
    return twiml_answer(twiml.back_to_hold(state))


@blueprint.post("/queued")
@twilio_only
def queued():
    """The caller left the queue: a professional accepted, they chose something, the wait is over,
    or they hung up."""
    ivr, state, call = services(), state_from_url(), event()
    flows = ivr.flows.current()
    return _answer(ivr, flows, state, ivr.on_hold.left_queue(flows, state, call.call_sid, call.queue_result,
                                                             call.line, links()))


@blueprint.post("/bridge")
@twilio_only
def bridge():
    """Where a professional's accept takes the caller out of the queue (REST Member update)."""
    ivr, state, call = services(), state_from_url(), event()
    flows = ivr.flows.current()
    return _answer(ivr, flows, state, ivr.on_hold.taken_out(flows, state, call.call_sid, call.queue_result,
                                                            call.line, links()))


def _answer(ivr, flows, state, decision) -> Response:
    if isinstance(decision, Join):
        return twiml_answer(twiml.caller_to_conference(decision.room, state))
    return twiml_answer(render(ivr, flows, decision))


@blueprint.post("/bridged")
@twilio_only
def bridged():
    """The talk is over (the conference ended): the call ends."""
    return twiml_answer(twiml.hang_up())
