"""The voice webhook: translates Twilio's requests into engine events and turns into TwiML.

Every route here is signed by Twilio, and none may ever answer a caller with an error: anything
unexpected is answered with the safety net (the backup line) and logged with the CallSid.
A key press whose answer depends only on the flows is answered from memory: the engine and the
renderer run once per (flows version, step, key).
"""
from __future__ import annotations

import dataclasses
import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import SQLAlchemyError

from ...calls import engine
from ... import metrics
from ...twilio.backup_line import backup_line_twiml, hang_up_twiml, words_from
from ...twilio.statuses import FINAL_STATUSES as FINAL_CALL_STATUSES
from ...calls.engine import CallState, Finished, Pressed, Silence, Spoke
from ...flow.model import PERSON_STEPS, BackupLine, Connect, Queue, Ref, Voicemail
from ...privacy import caller_key, mask_number
from ...twilio.rest import TwilioUnavailable
from ..current import links, services
from ..signature import twilio_only
from ..respond import retry_later, twiml_answer
from ..twilio_event import TwilioEvent, event, token
from ..twilio_params import args

log = logging.getLogger(__name__)
blueprint = Blueprint("voice", __name__, url_prefix="/voice")
MAX_REMEMBERED = 8192


class Answers:
    """Finished TwiML for requests whose answer depends only on the flows version and the request."""

    def __init__(self):
        self.version = None
        self.documents: dict = {}

    def get(self, version, key):
        return self.documents.get(key) if version == self.version else None

    def keep(self, version, key, turn, xml: str) -> None:
        if turn.timed or isinstance(turn.step, PERSON_STEPS):
            return           # hours decide by the clock; who can take a caller changes by the second
        if version != self.version or len(self.documents) >= MAX_REMEMBERED:
            self.version, self.documents = version, {}
        self.documents[key] = xml



def backup_line(ivr=None) -> Response:
    ivr = ivr or services()
    return twiml_answer(backup_line_twiml(ivr.settings.backup_line, last_good_flows(ivr)))


def last_good_flows(ivr):
    """The flows the backup line's words come from (see ivr/twilio/backup_line.py)."""
    return getattr(ivr.flows, "last_good", None) or words_from(ivr.settings.flows_dir)


def render(ivr, flows, turn) -> str:
    """The TwiML of a turn. A connect or queue step first asks call control for a person; when
    nobody can be rung now, the flow goes on at once to what it does when nobody answers,
    keeping everything the caller was about to hear (the emergency numbers, say) before it."""
    for _ in range(4):
        if not isinstance(turn.step, (Connect, Queue)):
            break
        if ivr.calls.database_down:
            # Nobody could be offered this caller: a person elsewhere at once, not after a timeout.
            log.error("call %s cannot wait for a person (the database is unavailable): backup line", _sid())
            return backup_line_twiml(ivr.settings.backup_line, flows)
        try:
            asked = ivr.control.ask_for_person(_sid(), turn.step, turn.state.language, event().line,
                                               links())
        except (SQLAlchemyError, TwilioUnavailable) as error:
            # Without the line's records nobody can be offered this caller: a person elsewhere.
            log.error("call %s cannot wait for a person (%s): backup line", _sid(), error.__class__.__name__)
            return backup_line_twiml(ivr.settings.backup_line, flows)
        if asked:
            break
        following = engine.advance(flows, turn.state, Finished(), ivr.now())
        turn = dataclasses.replace(following, said=turn.said + following.said)
    note_outcome(ivr, turn)
    return ivr.renderer.render(turn, flows, backup_line=ivr.settings.backup_line,
                               caller_id=backup_caller_id(ivr))


def backup_caller_id(ivr) -> str:
    """What the backup line sees: the helpline's own number, unless the roster says the partner
    line should see (and call back) the caller's."""
    roster = ivr.roster.current()
    if roster is not None and roster.backup_line.pass_caller_id:
        return ""
    return (roster.caller_id if roster is not None and roster.caller_id else "") or event().line


def note_outcome(ivr, turn) -> None:
    """Asking for a person starts the wait; being sent to the backup line is an overflow."""
    records, sid, now = ivr.calls, _sid(), ivr.now()
    if sid == "-":
        return
    try:
        if isinstance(turn.step, (Connect, Queue)):
            records.waiting_for_a_person(sid, now)
        elif isinstance(turn.step, BackupLine):
            records.outcome(sid, "overflow", now)
    except SQLAlchemyError as error:
        log.error("could not record the wait of call %s: %s", sid, error.__class__.__name__)


def state_from_url() -> CallState:
    query = args()
    flow, _, step = query.first("at").partition(":")
    try:
        tries = max(0, min(int(query.first("tries", "0")), 99))
    except ValueError:
        tries = 0
    return CallState(Ref(flow[:100], step[:100]), token(query.first("lang"))[:10], tries)


def current_flows(ivr):
    flows = ivr.flows.current()
    if flows is None:
        log.error("no good flows loaded; call %s goes to the backup line", _sid())
    return flows


def _sid() -> str:
    return event().call_sid or "-"


def note_call_start(ivr, call: TwilioEvent) -> None:
    number, sid = call.caller, call.call_sid or "-"
    ivr.calls.call_started(sid, number, ivr.now().timestamp())
    if ivr.rehearsals is not None and not ivr.calls.database_down:     # no wait on a database that is down
        try:
            # `ivr twilio rehearse`'s call: only its stand-in is rung, and it is kept out of reports.
            # Outside a rehearsal this is a look at what the process read within the last second.
            if ivr.rehearsals.may_be_a_rehearsal(number, call.line, ivr.now()) and \
                    ivr.rehearsals.claim_call(number, call.line, sid, ivr.now()):
                log.info("call %s is a rehearsal", sid)
        except SQLAlchemyError as error:
            log.error("could not check call %s for a rehearsal: %s", sid, error.__class__.__name__)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("call %s from %s", sid, mask_number(number))


def begin_key(flows, call: TwilioEvent) -> tuple:
    """What a call's first answer depends on, besides the flows: the line it dialled."""
    return ("begin", flows.language_of_line(call.line))


@blueprint.post("/incoming")
@twilio_only
def incoming():
    ivr, call = services(), event()
    note_call_start(ivr, call)
    flows = current_flows(ivr)
    if flows is None:
        return backup_line(ivr)
    answers = ivr.answers
    key = begin_key(flows, call)
    xml = answers.get(flows.version, key)
    if xml is None:
        turn = engine.begin(flows, ivr.now(), call.line)
        xml = render(ivr, flows, turn)
        answers.keep(flows.version, key, turn, xml)
    return twiml_answer(xml)


def menu_answer(environ) -> tuple:
    """(digits, speech, silent): what the caller did at a menu."""
    call = event(environ)
    return call.digits, call.speech, args(environ).first("heard") == "nothing"


def step_key(environ, digits: str, speech: str):
    """What a menu answer depends on, besides the flows; None for speech, which varies without end."""
    return None if speech else (environ.get("QUERY_STRING", ""), digits)


def note_menu_answer(ivr, environ, digits: str, speech: str, silent: bool) -> None:
    """The path, for the records: the step answered and how — never the words a caller said."""
    query = args(environ)
    answer = "silence" if silent or not (digits or speech) else (digits[:5] if digits else "speech")
    ivr.calls.step_taken(event(environ).call_sid, query.first("at"), answer, ivr.now().timestamp())
    metrics.menu_choices.labels(step=query.first("at")[:210], choice=metrics.menu_choice(digits[:5], bool(speech))).inc()


@blueprint.post("/step")
@twilio_only
def step():
    """A menu answer: Digits or SpeechResult, or (from the Redirect after a Gather) silence."""
    ivr, environ = services(), request.environ
    flows = current_flows(ivr)
    if flows is None:
        return backup_line(ivr)
    digits, speech, silent = menu_answer(environ)
    note_menu_answer(ivr, environ, digits, speech, silent)
    key = step_key(environ, digits, speech)
    answers = ivr.answers
    xml = answers.get(flows.version, key) if key else None
    if xml is not None:
        return twiml_answer(xml)
    if silent:
        event = Silence()
    elif digits:
        event = Pressed(digits)
    elif speech:
        event = Spoke(speech)
    else:
        event = Silence()
    turn = engine.advance(flows, state_from_url(), event, ivr.now())
    xml = render(ivr, flows, turn)
    if key:
        answers.keep(flows.version, key, turn, xml)
    return twiml_answer(xml)


@blueprint.post("/done")
@twilio_only
def done():
    """A voicemail was left or a callback number typed: keep it, then go on with the flow."""
    ivr = services()
    flows = current_flows(ivr)
    if flows is None:
        return backup_line(ivr)
    state = state_from_url()
    try:
        keep_what_the_caller_left(ivr, flows.step(state.step), state.language)
    except SQLAlchemyError as error:
        # Their message or number would be lost: put them through to a person instead.
        log.error("could not keep the voicemail/callback of call %s: %s", _sid(), error.__class__.__name__)
        return backup_line(ivr)
    return twiml_answer(render(ivr, flows, engine.advance(flows, state, Finished(), ivr.now())))


def keep_what_the_caller_left(ivr, step, language: str) -> None:
    call, records, now = event(), ivr.calls, ivr.now()
    key = caller_key(call.caller, ivr.settings.caller_hash_key)
    if isinstance(step, Voicemail) and call.recording_url:
        records.voicemail_left(_sid(), key, call.recording_url, call.recording_seconds, language, now, call.line)
        records.outcome(_sid(), "voicemail", now)
        ivr.notices.soon(links().base)          # the professionals on shift are texted at once


@blueprint.post("/dialed")
@twilio_only
def dialed():
    """The backup line's <Dial> ended: after a conversation the call is over; otherwise the partner
    line did not answer, and the caller is told so and is back with our own people — only while
    they are still on the line, or professionals would be rung for nobody."""
    ivr = services()
    flows = current_flows(ivr)
    call = event()
    if call.dial_status == "completed":
        try:
            ivr.calls.outcome(_sid(), "overflow", ivr.now())
        except SQLAlchemyError as error:
            log.error("could not record the end of call %s: %s", _sid(), error.__class__.__name__)
        return twiml_answer(hang_up_twiml())
    try:
        back_in_line = ivr.control.partner_line_unanswered(_sid(), call.call_status)
    except SQLAlchemyError as error:
        log.error("could not restart the wait of call %s: %s", _sid(), error.__class__.__name__)
        back_in_line = call.call_status in ("", "in-progress")
    if not back_in_line:
        log.info("call %s: the partner line did not answer, and the caller had hung up", _sid())
        return twiml_answer(hang_up_twiml())
    if flows is None:
        return backup_line(ivr)
    return twiml_answer(render(ivr, flows, engine.advance(flows, state_from_url(), Finished(), ivr.now())))


@blueprint.post("/fallback")
@twilio_only
def fallback():
    """Twilio's fallback URL: touches neither flows nor database, so it works when all else fails."""
    log.error("Twilio used the fallback URL for call %s (error %s)", _sid(), event().error_code or "-")
    return backup_line()


@blueprint.post("/status")
@twilio_only
def status():
    ivr, call = services(), event()
    sid, call_status = call.call_sid, call.call_status
    if not sid or not call_status:
        return Response("CallSid and CallStatus are required", status=400, mimetype="text/plain")
    try:
        # Kept on local disk if the database is unavailable, and written once it is back.
        ivr.calls.call_status(sid, call_status, call.call_seconds, caller_key(call.caller, ivr.settings.caller_hash_key),
                              ivr.now(), call.sequence)
    except SQLAlchemyError as error:
        # Neither the database nor the disk could keep it: only then is Twilio asked to retry.
        log.error("could not record status %r of call %s: %s", call_status, sid, error.__class__.__name__)
        return retry_later()
    if call_status in FINAL_CALL_STATUSES and ivr.calls.database_down:
        # Nobody is being rung while it is down (a caller asking is put through to the backup
        # line); a leg rung before rings out on its own.
        log.warning("call %s ended while the database is unavailable: its wait is left to expire", sid)
    elif call_status in FINAL_CALL_STATUSES:
        try:
            ivr.control.caller_ended(sid)      # nobody rings on for a caller who is gone
        except SQLAlchemyError as error:
            # Their record is kept; phones still ringing for them are settled by the offers' checks.
            log.error("call %s ended, but its wait could not be closed: %s", sid, error.__class__.__name__)
    return Response(status=204)

