"""A caller's own call, event by event, in plain Python: the call starts, a menu answer, a voicemail
or number left, the partner line's <Dial> ends, a status callback.

Each method returns what the caller hears next (an engine Turn), or ToBackupLine when nobody here
can take them now; the web layer only reads the request and renders the answer. Waiting for a
person (who is rung, when a wait is over) is call control's; this is where a turn that reaches a
person asks it, and where the call's outcomes are written.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from .. import metrics
from ..flow.model import BackupLine, Connect, Queue, Voicemail
from ..privacy import caller_key, mask_number
from ..twilio.rest import TwilioUnavailable
from ..twilio.statuses import FINAL_STATUSES
from . import engine
from .engine import CallState, Finished, Pressed, Silence, Spoke, Turn

log = logging.getLogger(__name__)
#: A turn that reaches a person whom nobody can be rung for goes on to what the flow does then; a
#: flow whose "nobody answers" leads to another person step is followed this many times at most.
PERSON_HOPS = 4


@dataclass(frozen=True)
class ToBackupLine:
    """Nobody here can take the caller now (no good flows, no database): the partner line, at once."""
    why: str


@dataclass(frozen=True)
class HangUp:
    """The call is over: nothing more to say (`caller_gone`: nobody is left to hear even that)."""
    caller_gone: bool = False


def answer_of(digits: str, speech: str, silent: bool):
    """The engine's event for what a caller did at a menu."""
    if silent:
        return Silence()
    if digits:
        return Pressed(digits)
    return Spoke(speech) if speech else Silence()


class CallerLine:
    """`records`: store.calls.CallRecords; `control`: calls.control.CallControl; `rehearsals`:
    store.rehearsals (or None); `notices`: calls.notices.Notices; `clock`: the helpline's;
    `hash_key`: a caller's number is kept only as its keyed hash; `backup_number`'s caller ID
    comes from the roster."""

    def __init__(self, roster, records, control, rehearsals, notices, clock, hash_key: str):
        self.roster, self.records, self.control = roster, records, control
        self.rehearsals, self.notices, self.clock, self.hash_key = rehearsals, notices, clock, hash_key

    # -- the call starts -------------------------------------------------------------------------
    def started(self, call_sid: str, caller: str, line: str) -> None:
        """Keep the call's start (written behind, never waited on) and see whether it is
        `ivr twilio rehearse`'s call, which only its stand-in answers and reports leave out."""
        sid = call_sid or "-"
        self.records.call_started(sid, caller, self.clock().timestamp())
        if self.rehearsals is not None and not self.records.database_down:   # no wait on a database that is down
            try:
                # Outside a rehearsal this is a look at what the process read within the last second.
                if self.rehearsals.may_be_a_rehearsal(caller, line, self.clock()) and \
                        self.rehearsals.claim_call(caller, line, sid, self.clock()):
                    log.info("call %s is a rehearsal", sid)
            except SQLAlchemyError as error:
                log.error("could not check call %s for a rehearsal: %s", sid, error.__class__.__name__)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("call %s from %s", sid, mask_number(caller))

    def first_turn(self, flows, call_sid: str, line: str, links) -> Turn | ToBackupLine:
        if flows is None:
            return self._no_flows(call_sid)
        return self.went_on(flows, engine.begin(flows, self.clock(), line), call_sid, line, links)

    # -- a menu answer ---------------------------------------------------------------------------
    def answered(self, call_sid: str, at: str, digits: str, speech: str, silent: bool) -> None:
        """The path, for the records: the step answered and how — never the words a caller said."""
        answer = "silence" if silent or not (digits or speech) else (digits[:5] if digits else "speech")
        self.records.step_taken(call_sid, at, answer, self.clock().timestamp())
        metrics.menu_choices.labels(step=at[:210], choice=metrics.menu_choice(digits[:5], bool(speech))).inc()

    def next_turn(self, flows, state: CallState, answer, call_sid: str, line: str, links) -> Turn | ToBackupLine:
        if flows is None:
            return self._no_flows(call_sid)
        return self.went_on(flows, engine.advance(flows, state, answer, self.clock()), call_sid, line, links)

    def went_on(self, flows, turn: Turn, call_sid: str, line: str, links) -> Turn | ToBackupLine:
        """The turn the caller hears. One that reaches a connect or queue step first asks call
        control for a person; when nobody can be rung now, the flow goes on at once to what it
        does when nobody answers, keeping what the caller was about to hear (the emergency
        numbers, say) before it."""
        for _ in range(PERSON_HOPS):
            if not isinstance(turn.step, (Connect, Queue)):
                break
            if self.records.database_down:
                # Nobody could be offered this caller: a person elsewhere at once, not after a timeout.
                log.error("call %s cannot wait for a person (the database is unavailable): backup line", call_sid)
                return ToBackupLine("database")
            try:
                asked = self.control.ask_for_person(call_sid, turn.step, turn.state.language, line, links)
            except (SQLAlchemyError, TwilioUnavailable) as error:
                log.error("call %s cannot wait for a person (%s): backup line", call_sid, error.__class__.__name__)
                return ToBackupLine(error.__class__.__name__)
            if asked:
                break
            following = engine.advance(flows, turn.state, Finished(), self.clock())
            turn = dataclasses.replace(following, said=turn.said + following.said)
        self._outcome_of(turn, call_sid)
        return turn

    def _outcome_of(self, turn: Turn, call_sid: str) -> None:
        """Asking for a person starts the wait; being sent to the backup line is an overflow."""
        if not call_sid or call_sid == "-":
            return
        try:
            if isinstance(turn.step, (Connect, Queue)):
                self.records.waiting_for_a_person(call_sid, self.clock())
            elif isinstance(turn.step, BackupLine):
                self.records.outcome(call_sid, "overflow", self.clock())
        except SQLAlchemyError as error:
            log.error("could not record the wait of call %s: %s", call_sid, error.__class__.__name__)

    # -- something left --------------------------------------------------------------------------
    def left_voicemail(self, flows, state: CallState, call_sid: str, caller: str, line: str,
                       recording_url: str, seconds: int | None, links) -> Turn | ToBackupLine:
        """A voicemail was left (or a callback step ended): keep it, then the flow goes on. A
        message that cannot be kept sends the caller to a person instead."""
        if flows is None:
            return self._no_flows(call_sid)
        if isinstance(flows.step(state.step), Voicemail) and recording_url:
            now = self.clock()
            try:
                self.records.voicemail_left(call_sid, caller_key(caller, self.hash_key), recording_url, seconds,
                                            state.language, now, line)
                self.records.outcome(call_sid, "voicemail", now)
            except SQLAlchemyError as error:
                log.error("could not keep the voicemail of call %s: %s", call_sid, error.__class__.__name__)
                return ToBackupLine(error.__class__.__name__)
            self.notices.soon(links.base)          # the professionals on shift are texted at once
        return self.next_turn(flows, state, Finished(), call_sid, line, links)

    # -- the partner line ------------------------------------------------------------------------
    def partner_line_ended(self, flows, state: CallState, call_sid: str, dial_status: str, call_status: str,
                           line: str, links) -> Turn | ToBackupLine | HangUp:
        """The backup line's <Dial> ended: after a conversation the call is over; otherwise the
        partner line did not answer, and the caller is back with our own people — only while they
        are still on the line, or professionals would be rung for nobody."""
        if dial_status == "completed":
            try:
                self.records.outcome(call_sid, "overflow", self.clock())
            except SQLAlchemyError as error:
                log.error("could not record the end of call %s: %s", call_sid, error.__class__.__name__)
            return HangUp()
        try:
            back_in_line = self.control.partner_line_unanswered(call_sid, call_status)
        except SQLAlchemyError as error:
            log.error("could not restart the wait of call %s: %s", call_sid, error.__class__.__name__)
            back_in_line = call_status in ("", "in-progress")
        if not back_in_line:
            log.info("call %s: the partner line did not answer, and the caller had hung up", call_sid)
            return HangUp()
        return self.next_turn(flows, state, Finished(), call_sid, line, links)

    def backup_caller_id(self, line: str) -> str:
        """What the backup line sees: the helpline's own number, unless the roster says the partner
        line should see (and call back) the caller's ('')."""
        roster = self.roster.current()
        if roster is not None and roster.backup_line.pass_caller_id:
            return ""
        return (roster.caller_id if roster is not None and roster.caller_id else "") or line

    # -- the call's status -----------------------------------------------------------------------
    def status(self, call_sid: str, status: str, seconds: int | None, caller: str, sequence) -> None:
        """A status callback of the caller's call (repeated, late or out of order: only forward).
        Raises SQLAlchemyError only when neither the database nor the local disk could keep it."""
        self.records.call_status(call_sid, status, seconds, caller_key(caller, self.hash_key), self.clock(), sequence)
        if status not in FINAL_STATUSES:
            return
        if self.records.database_down:
            # Nobody is being rung while it is down (a caller asking is put through to the backup
            # line); a leg rung before rings out on its own.
            log.warning("call %s ended while the database is unavailable: its wait is left to expire", call_sid)
            return
        try:
            self.control.caller_ended(call_sid)      # nobody rings on for a caller who is gone
        except SQLAlchemyError as error:
            # Their record is kept; phones still ringing for them are settled by the offers' checks.
            log.error("call %s ended, but its wait could not be closed: %s", call_sid, error.__class__.__name__)

    def _no_flows(self, call_sid: str) -> ToBackupLine:
        log.error("no good flows loaded; call %s goes to the backup line", call_sid or "-")
        return ToBackupLine("flows")
