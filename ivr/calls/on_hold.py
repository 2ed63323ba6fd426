"""A caller waiting for a person, event by event: each hold page (Enqueue's waitUrl), a key or
words on hold, leaving the queue (its action), and a professional's accept that takes them out.

Call control says whether they stay and who is rung; this decides what a hold page says and how
long it lasts, and where a caller goes after the queue. Plain Python: the web layer renders.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from ..flow import model
from . import engine
from .caller_line import HangUp, ToBackupLine
from .decisions import Bridge, GoTo, Leave, NotNeeded, Overflow
from .engine import CallState, Pressed, Spoke, Utterance
from .hold_page import RINGING, WHY_MESSAGES, seconds_of, until_the_wait_ends

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HoldPage:
    """One hold page: what is said, then music (or None) and seconds of silence (or None).
    `words`: whether spoken words are listened for during the music, not only the keys."""
    said: tuple
    music: str | None
    pause: int | None
    words: bool
    step: model.Step


@dataclass(frozen=True)
class Join:
    """The caller joins the professional who accepted, in this conference."""
    room: str


def waiting_step(flows, state: CallState):
    """The connect or queue step a hold URL names, or None (no flows, a stale or forged URL)."""
    step = flows.step(state.step) if flows is not None else None
    return step if isinstance(step, (model.Connect, model.Queue)) else None


class OnHold:
    """`control`: calls.control.CallControl; `records`: store.calls.CallRecords; `caller_line`:
    where a caller who leaves the queue goes on; `audio_dir`: the hold music, timed to end the
    page when the wait does."""

    def __init__(self, control, records, caller_line, clock, audio_dir):
        self.control, self.records, self.caller_line = control, records, caller_line
        self.clock, self.audio_dir = clock, audio_dir

    def page(self, flows, state: CallState, call_sid: str, queue_sid: str, links) -> HoldPage | Leave:
        """Twilio fetched the hold page. Leave hands the caller to the queue's action, which
        decides where they go (a database that cannot answer, too: the action has the safety net)."""
        step = waiting_step(flows, state)
        if step is None:
            return Leave()
        try:
            decision = self.control.on_hold(call_sid, queue_sid, links)
        except SQLAlchemyError as error:
            log.error("hold page without the database (%s): the caller leaves the queue", error.__class__.__name__)
            return Leave()
        if isinstance(decision, Leave):
            return decision
        if isinstance(step, model.Connect):
            # Phones ring (seconds long): a ringing tone, and a crisis word is listened for.
            return HoldPage((), RINGING, None, True, step)
        said = place_in_line(flows, state.language, decision)
        if step.offer is not None:
            said += (Utterance(step.offer, flows.language(state.language).code),)
        music, pause = step.music, None
        if decision.remaining is not None:
            said, music, pause = until_the_wait_ends(decision.remaining, said, music,
                                                     seconds_of(self.audio_dir / "music" / music))
        return HoldPage(said, music, pause, step.words_during_music, step)

    def key(self, flows, state: CallState, call_sid: str, digits: str, speech: str) -> bool:
        """A key or words on hold. A choice (voicemail, a call back, the crisis words) takes the
        caller out at the next hold page; anything else goes back to the music. False for a stale
        hold URL (no such waiting step): the caller leaves the queue, whose action decides."""
        step = waiting_step(flows, state)
        if step is None:
            return False
        self.records.step_taken(call_sid, str(step.ref), digits[:5] if digits else "speech", self.clock().timestamp())
        answer = Pressed(digits) if digits else Spoke(speech)
        goto = engine.answer_on_hold(flows, step, answer) if (digits or speech) else None
        if goto is None:
            return True
        try:
            self.control.choose_on_hold(call_sid, goto)
        except SQLAlchemyError as error:
            log.error("could not keep a choice made on hold (%s): the caller stays in line", error.__class__.__name__)
        return True

    def left_queue(self, flows, state: CallState, call_sid: str, result: str, line: str, links):
        """The caller left the queue (Twilio's QueueResult): Join a professional, HangUp (they hung
        up), a Turn where they go on, or ToBackupLine."""
        step = waiting_step(flows, state)
        try:
            decision = self.control.after_queue(call_sid, result, step)
            if isinstance(decision, NotNeeded):
                self.records.outcome(call_sid, "abandoned", self.clock())
                return HangUp(caller_gone=True)
            if isinstance(decision, Bridge):
                return self._join(call_sid, decision.room)
        except SQLAlchemyError as error:
            log.error("after the queue without the database (%s): backup line", error.__class__.__name__)
            return ToBackupLine(error.__class__.__name__)
        if flows is None or (isinstance(decision, Overflow) and decision.step is None):
            return ToBackupLine("overflow" if flows is not None else "flows")
        target = decision.step if isinstance(decision, (GoTo, Overflow)) else (step.ref if step else flows.fallback)
        turn = engine.enter(flows, target, state.language, self.clock())
        return self.caller_line.went_on(flows, turn, call_sid, line, links)

    def taken_out(self, flows, state: CallState, call_sid: str, result: str, line: str, links):
        """A professional's accept took the caller out of the queue (REST Member update): Join them,
        or, when that talk is not there, what leaving the queue would do."""
        try:
            decision = self.control.after_queue(call_sid, "redirected")
        except SQLAlchemyError:
            decision = None
        if isinstance(decision, Bridge):
            return self._join(call_sid, decision.room)
        return self.left_queue(flows, state, call_sid, result, line, links)

    def _join(self, call_sid: str, room: str) -> Join:
        try:
            self.records.outcome(call_sid, "talked", self.clock())
        except SQLAlchemyError as error:
            log.error("could not record the talk of call %s: %s", call_sid, error.__class__.__name__)
        return Join(room)


def place_in_line(flows, language: str, stay) -> tuple:
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
