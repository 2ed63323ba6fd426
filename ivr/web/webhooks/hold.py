"""Waiting for a person: the hold page (Enqueue's waitUrl), keys and words on hold, leaving the
queue (its action), and the conference a caller joins when a professional accepts.

Twilio asks `hold` again whenever its document ends; call control says each time whether the
caller stays (and what to tell them) or leaves. Nothing here decides who is offered whom.
"""
from __future__ import annotations

import functools
import logging
import math
import wave

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls import engine
from ...twilio import twiml
from ...calls.decisions import Bridge, GoTo, Leave, NotNeeded, Overflow
from ...calls.engine import Pressed, Spoke, Utterance
from ...flow import model
from ...calls.routing import why_nobody
from ..current import links, services
from ..signature import twilio_only
from ..respond import twiml_answer
from ..twilio_event import event
from .caller import backup_line, render, state_from_url

log = logging.getLogger(__name__)
blueprint = Blueprint("hold", __name__, url_prefix="/voice")
#: While phones ring (a connect step) the caller hears a ringing tone, and the page is asked for
#: again every few seconds, so a round that ends with nobody is noticed at once.
RINGING = "ringing.wav"


@functools.lru_cache(maxsize=32)
def seconds_of(path) -> float:
    """How long a WAV recording plays (30 s when it cannot be read: an MP3, a missing file)."""
    try:
        with wave.open(str(path)) as recording:
            return recording.getnframes() / recording.getframerate()
    except (OSError, wave.Error, EOFError):
        return 30.0


def spoken_seconds(text: str) -> float:
    """About how long text-to-speech takes to say `text` (two and a half words a second)."""
    return len(text.split()) / 2.5


def _waiting_step(ivr):
    flows = ivr.flows.current()
    state = state_from_url()
    step = flows.step(state.step) if flows else None
    return flows, state, (step if isinstance(step, (model.Connect, model.Queue)) else None)


def _sid() -> str:
    return event().call_sid


@blueprint.post("/hold")
@twilio_only
def hold():
    ivr = services()
    flows, state, step = _waiting_step(ivr)
    if step is None:
        return twiml_answer(twiml.leave_queue())          # a stale URL: the queue's action decides
    try:
        decision = ivr.control.on_hold(_sid(), event().queue_sid, links())
    except SQLAlchemyError as error:
        log.error("hold page without the database (%s): the caller leaves the queue", error.__class__.__name__)
        return twiml_answer(twiml.leave_queue())
    if isinstance(decision, Leave):
        return twiml_answer(twiml.leave_queue())
    said, music, pause = (), RINGING, None
    if isinstance(step, model.Queue):
        said = _place_in_line(flows, state.language, decision)
        if step.offer is not None:
            said += (Utterance(step.offer, flows.language(state.language).code),)
        music = step.music
        if decision.remaining is not None:
            said, music, pause = _until_the_wait_ends(decision.remaining, said, music,
                                                      seconds_of(ivr.settings.audio_dir / "music" / music))
    # While phones ring (a connect step, seconds long) a crisis word is listened for; on hold, as
    # the flow says.
    words = isinstance(step, model.Connect) or step.words_during_music
    return twiml_answer(twiml.hold_page(state, flows, said, music, pause, twiml.hints(step, flows, state.language), words))


#: What a caller on hold is told of why nobody is free now (call control's reason): a message each.
WHY_MESSAGES = {
    why_nobody.ALL_ON_CALLS: "hold-all-on-calls",
    why_nobody.NOT_ANSWERING: "hold-not-answering",
    why_nobody.ALL_AWAY: "hold-not-answering",
    why_nobody.NOBODY_SPEAKS: "hold-nobody-speaks",
    why_nobody.NOBODY_ON_SHIFT: "hold-nobody-on-shift",
}


def _until_the_wait_ends(remaining: float, said: tuple, music: str, song: float) -> tuple:
    """(what is said, music or None, seconds of silence after it or None) for a page on a queue step.

    End the page when the wait does, not a song later: what is said first takes time, and so does
    what the next page would say before its song. When the next page could not say it before the
    wait ends, this page is the last: its song if it fits, then silence until the end; a page asked
    for in the last moments says nothing, so the caller is not held a whole page past the wait."""
    speaking = sum(spoken_seconds(u.text) for u in said)
    if remaining < speaking:
        return (), None, math.ceil(remaining)
    left = math.ceil(remaining - speaking)
    if left >= song + speaking + 5:
        return said, music, None
    if left >= song + 1:
        return said, music, math.ceil(left - song)
    return said, None, left


def _place_in_line(flows, language: str, stay) -> tuple:
    """Why nobody is free now, 'There are 3 callers ahead of you.' and, when the wait is long, how
    long callers wait."""
    code = flows.language(language).code
    why = WHY_MESSAGES.get(stay.why)
    said = (engine.message(flows, why, code),) if why else ()
    if stay.ahead == 0:
        said += (engine.message(flows, "next-in-line", code),)
    else:
        said += (engine.message(flows, "callers-ahead", code, count=stay.ahead),)
    if stay.typical_wait is not None and stay.typical_wait >= 90:
        said += (engine.message(flows, "usual-wait", code, minutes=round(stay.typical_wait / 60)),)
    return said


@blueprint.post("/hold-key")
@twilio_only
def hold_key():
    """A key or words on hold. A choice (voicemail, a call back, the crisis words) takes the caller
    out at the next hold page; anything else goes back to the music."""
    ivr = services()
    flows, state, step = _waiting_step(ivr)
    if step is None:
        return twiml_answer(twiml.leave_queue())
    call = event()
    digits, speech = call.digits, call.speech
    answer = Pressed(digits) if digits else Spoke(speech)
    ivr.calls.step_taken(_sid(), str(step.ref), digits[:5] if digits else "speech", ivr.now().timestamp())
    goto = engine.answer_on_hold(flows, step, answer) if (digits or speech) else None
    if goto is not None:
        try:
            ivr.control.choose_on_hold(_sid(), goto)
        except SQLAlchemyError as error:
            log.error("could not keep a choice made on hold (%s): the caller stays in line", error.__class__.__name__)
    # Back to the hold page, still in the queue: it sees the choice and lets the caller leave.
    return twiml_answer(twiml.back_to_hold(state))


@blueprint.post("/queued")
@twilio_only
def queued():
    """The caller left the queue: a professional accepted, they chose something, the wait is over,
    or they hung up."""
    ivr = services()
    flows, state, step = _waiting_step(ivr)
    result = event().queue_result
    try:
        decision = ivr.control.after_queue(_sid(), result, step)
        if isinstance(decision, NotNeeded):
            ivr.calls.outcome(_sid(), "abandoned", ivr.now())
            return twiml_answer(twiml.nothing_more())
        if isinstance(decision, Bridge):
            return _join(ivr, decision.room, state)
    except SQLAlchemyError as error:
        log.error("after the queue without the database (%s): backup line", error.__class__.__name__)
        return backup_line(ivr)
    if flows is None or (isinstance(decision, Overflow) and decision.step is None):
        return backup_line(ivr)
    target = decision.step if isinstance(decision, (GoTo, Overflow)) else (step.ref if step else flows.fallback)
    return twiml_answer(render(ivr, flows, engine.enter(flows, target, state.language, ivr.now())))


@blueprint.post("/bridge")
@twilio_only
def bridge():
    """Where a professional's accept takes the caller out of the queue (REST Member update)."""
    ivr = services()
    try:
        decision = ivr.control.after_queue(_sid(), "redirected")
    except SQLAlchemyError:
        decision = None
    if isinstance(decision, Bridge):
        return _join(ivr, decision.room, state_from_url())
    return queued()


def _join(ivr, room: str, state) -> Response:
    try:
        ivr.calls.outcome(_sid(), "talked", ivr.now())
    except SQLAlchemyError as error:
        log.error("could not record the talk of call %s: %s", _sid(), error.__class__.__name__)
    return twiml_answer(twiml.caller_to_conference(room, state))


@blueprint.post("/bridged")
@twilio_only
def bridged():
    """The talk is over (the conference ended): the call ends."""
    return twiml_answer(twiml.hang_up())
