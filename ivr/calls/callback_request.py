"""A caller asks to be called back: they type their number, hear it read back, and confirm it
with 1. In plain Python: the web layer only reads the keys and renders what this decides.

Only a confirmed number is left for a professional to call; the number is the one thing kept in
clear, and only until the callback is done. A single key is not a number but a choice (0 for a
person, as everywhere); after MAX_TRIES tries that are not a number, a person: they wanted to talk
to us.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..flow import model
from ..numbers import e164
from ..privacy import caller_key
from . import engine
from .engine import CallState, Finished, Pressed, Turn, Utterance

MAX_TRIES = 3


@dataclass(frozen=True)
class ReadBack:
    """Say the number typed, and ask for 1 to confirm it."""
    said: Utterance


@dataclass(frozen=True)
class GoOn:
    """The call goes on with this turn (a choice, the question again, a person, or the flow)."""
    turn: Turn


class CallbackRequests:
    """`records`: store.calls.CallRecords; `notices`: calls.notices.Notices (texted at once);
    `clock`: the helpline's; `hash_key`: the caller's number is kept only as its keyed hash."""

    def __init__(self, records, notices, clock, hash_key: str):
        self.records, self.notices, self.clock, self.hash_key = records, notices, clock, hash_key

    def number_typed(self, flows: model.FlowSet, state: CallState, step: model.Callback, call_sid: str,
                     caller: str, line: str, typed: str) -> ReadBack | GoOn:
        """What the caller typed at a callback step. Raises SQLAlchemyError when the number cannot
        be kept (the caller then goes to a person)."""
        digits = "".join(ch for ch in typed if ch in "0123456789")[:15]
        goto = engine.answer_on_hold(flows, step, Pressed(digits)) if len(digits) == 1 else None
        if goto is not None:
            return GoOn(engine.enter(flows, goto, state.language, self.clock()))
        number = e164(digits) if len(digits) >= 10 else None
        if number is None:
            return self._again(flows, state, "callback-not-a-number")
        self.records.callback_requested(call_sid, caller_key(caller, self.hash_key), number, state.language,
                                        self.clock(), status="unconfirmed", helpline_number=line)
        spoken = ", ".join(" ".join(group) for group in groups(number[-10:] if number.startswith("+1") else number[1:]))
        return ReadBack(engine.message(flows, "callback-read-back", flows.language(state.language).code,
                                       number=spoken))

    def confirmed(self, flows: model.FlowSet, state: CallState, call_sid: str, key: str,
                  base_url: str) -> GoOn:
        """Their key after the read-back: 1 keeps the request (and the professionals on shift are
        texted at once); anything else forgets the number and asks again. Raises SQLAlchemyError."""
        now = self.clock()
        if key == "1" and self.records.confirm_callback(call_sid):
            self.records.outcome(call_sid, "callback", now)
            self.notices.soon(base_url)
            turn = engine.advance(flows, state, Finished(), now)
            saved = (engine.message(flows, "callback-saved", flows.language(state.language).code),)
            return GoOn(Turn(saved + turn.said, turn.asked, turn.step, turn.state, turn.timed))
        self.records.forget_unconfirmed_callback(call_sid)
        return self._again(flows, state)

    def _again(self, flows: model.FlowSet, state: CallState, sorry: str | None = None) -> GoOn:
        """Ask for the number again (after MAX_TRIES, a person)."""
        now = self.clock()
        if state.tries + 1 >= MAX_TRIES:
            return GoOn(engine.enter(flows, flows.fallback, state.language, now))
        turn = engine.enter(flows, state.step, state.language, now, tries=state.tries + 1)
        if sorry:
            said = (engine.message(flows, sorry, flows.language(state.language).code),)
            turn = Turn(said + turn.said, turn.asked, turn.step, turn.state)
        return GoOn(turn)


def groups(digits: str) -> list:
    """'2025550101' -> ['202', '555', '0101']: read back the way people say numbers."""
    if len(digits) == 10:
        return [digits[:3], digits[3:6], digits[6:]]
    return [digits[i:i + 3] for i in range(0, len(digits), 3)]
