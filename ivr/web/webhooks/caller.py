"""The voice webhook: translates Twilio's requests into engine events and turns into TwiML.

Every route here is signed by Twilio, and none may ever answer a caller with an error: anything
unexpected is answered with the safety net (the backup line) and logged with the CallSid.
A key press whose answer depends only on the flows is answered from memory: the engine and the
renderer run once per (flows version, step, key).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import SQLAlchemyError

from ...calls.caller_line import HangUp, ToBackupLine, answer_of
from ...calls.engine import CallState, Turn
from ...flow.model import PERSON_STEPS, Ref
from ...twilio import twiml
from ...twilio.backup_line import backup_line_twiml, hang_up_twiml, words_from
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


def render(ivr, flows, decision) -> str:
    """The TwiML of what the caller line decided: a turn, or the backup line at once."""
    if isinstance(decision, ToBackupLine):
        return backup_line_twiml(ivr.settings.backup_line, flows or last_good_flows(ivr))
    if isinstance(decision, HangUp):
        return twiml.nothing_more() if decision.caller_gone else hang_up_twiml()
    return ivr.renderer.render(decision, flows, backup_line=ivr.settings.backup_line,
                               caller_id=ivr.caller_line.backup_caller_id(event().line))


def went_on(ivr, flows, turn) -> str:
    """The TwiML of a turn decided elsewhere (on hold, at a callback step): a person step in it
    first asks call control."""
    return render(ivr, flows, ivr.caller_line.went_on(flows, turn, _sid(), event().line, links()))


def state_from_url() -> CallState:
    query = args()
    flow, _, step = query.first("at").partition(":")
    try:
        tries = max(0, min(int(query.first("tries", "0")), 99))
    except ValueError:
        tries = 0
    return CallState(Ref(flow[:100], step[:100]), token(query.first("lang"))[:10], tries)


def _sid() -> str:
    return event().call_sid or "-"


def note_call_start(ivr, call: TwilioEvent) -> None:
    ivr.caller_line.started(call.call_sid, call.caller, call.line)


def begin_key(flows, call: TwilioEvent) -> tuple:
    """What a call's first answer depends on, besides the flows: the line it dialled."""
    return ("begin", flows.language_of_line(call.line))


@blueprint.post("/incoming")
@twilio_only
def incoming():
    ivr, call = services(), event()
    note_call_start(ivr, call)
    flows = ivr.flows.current()
    key = begin_key(flows, call) if flows is not None else None
    xml = ivr.answers.get(flows.version, key) if key else None
    if xml is None:
        decision = ivr.caller_line.first_turn(flows, _sid(), call.line, links())
        xml = render(ivr, flows, decision)
        if key and isinstance(decision, Turn):
            ivr.answers.keep(flows.version, key, decision, xml)
    return twiml_answer(xml)


def menu_answer(environ) -> tuple:
    """(digits, speech, silent): what the caller did at a menu."""
    call = event(environ)
    return call.digits, call.speech, args(environ).first("heard") == "nothing"


def step_key(environ, digits: str, speech: str):
    """What a menu answer depends on, besides the flows; None for speech, which varies without end."""
    return None if speech else (environ.get("QUERY_STRING", ""), digits)


def note_menu_answer(ivr, environ, digits: str, speech: str, silent: bool) -> None:
    ivr.caller_line.answered(event(environ).call_sid, args(environ).first("at"), digits, speech, silent)


@blueprint.post("/step")
@twilio_only
def step():
    """A menu answer: Digits or SpeechResult, or (from the Redirect after a Gather) silence."""
    ivr, environ = services(), request.environ
    flows = ivr.flows.current()
    digits, speech, silent = menu_answer(environ)
    note_menu_answer(ivr, environ, digits, speech, silent)
    key = step_key(environ, digits, speech) if flows is not None else None
    xml = ivr.answers.get(flows.version, key) if key else None
    if xml is not None:
        return twiml_answer(xml)
    decision = ivr.caller_line.next_turn(flows, state_from_url(), answer_of(digits, speech, silent), _sid(),
                                         event().line, links())
    xml = render(ivr, flows, decision)
    if key and isinstance(decision, Turn):
        ivr.answers.keep(flows.version, key, decision, xml)
    return twiml_answer(xml)


@blueprint.post("/done")
@twilio_only
def done():
    """A voicemail was left or a callback number typed: kept, then the flow goes on."""
    ivr, call = services(), event()
    flows = ivr.flows.current()
    return twiml_answer(render(ivr, flows, ivr.caller_line.left_voicemail(
        flows, state_from_url(), _sid(), call.caller, call.line, call.recording_url, call.recording_seconds,
        links())))


@blueprint.post("/dialed")
@twilio_only
def dialed():
    """The backup line's <Dial> ended (ivr/calls/caller_line.py decides what follows)."""
    ivr, call = services(), event()
    flows = ivr.flows.current()
    return twiml_answer(render(ivr, flows, ivr.caller_line.partner_line_ended(
        flows, state_from_url(), _sid(), call.dial_status, call.call_status, call.line, links())))


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
        ivr.caller_line.status(sid, call_status, call.call_seconds, call.caller, call.sequence)
    except SQLAlchemyError as error:
        # Neither the database nor the disk could keep it: only then is Twilio asked to retry.
        log.error("could not record status %r of call %s: %s", call_status, sid, error.__class__.__name__)
        return retry_later()
    return Response(status=204)
