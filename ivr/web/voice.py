"""The voice webhook: translates Twilio's requests into engine events and turns into TwiML.

Every route here is signed by Twilio, and none may ever answer a caller with an error: anything
unexpected is answered with the safety net (the backup line) and logged with the CallSid.
A key press whose answer depends only on the flows is answered from memory: the engine and the
renderer run once per (flows version, step, key).
"""
from __future__ import annotations

import dataclasses
import logging
import time

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from .. import engine, safety_net
from ..engine import CallState, Finished, Pressed, Silence, Spoke
from ..flow.model import HUMAN_STEPS, BackupLine, Connect, Queue, Ref, Voicemail
from .ringing import people_to_ring, ring_strategy, token
from ..privacy import caller_key, mask_number
from .signature import twilio_only
from .twilio_request import args, form

log = logging.getLogger(__name__)
blueprint = Blueprint("voice", __name__, url_prefix="/voice")
TWIML = "text/xml"
MAX_FIELD = 2000       # a SpeechResult longer than this is noise, not a choice
MAX_REMEMBERED = 8192


class Answers:
    """Finished TwiML for requests whose answer depends only on the flows version and the request."""

    def __init__(self):
        self.version = None
        self.documents: dict = {}

    def get(self, version, key):
        return self.documents.get(key) if version == self.version else None

    def keep(self, version, key, turn, xml: str) -> None:
        if turn.timed or isinstance(turn.step, HUMAN_STEPS):
            return           # hours decide by the clock; who to ring changes by the minute
        if version != self.version or len(self.documents) >= MAX_REMEMBERED:
            self.version, self.documents = version, {}
        self.documents[key] = xml


def twiml(xml: str) -> Response:
    return Response(xml, status=200, mimetype=TWIML)


def backup_line(config) -> Response:
    return twiml(safety_net.backup_line_twiml(config["IVR_SETTINGS"].backup_line))


def render(config, flows, turn, tried: tuple = ()) -> str:
    """The TwiML of a turn; for a connect step, after choosing who to ring."""
    backup = config["IVR_SETTINGS"].backup_line
    note_outcome(config, turn)
    for _ in range(3):
        if not isinstance(turn.step, Connect) or config["IVR_ROSTER"].current() is None:
            break
        people = people_to_ring(config, turn, _sid(), tried)
        if people:
            return config["IVR_RENDERER"].render(turn, flows, people=people, backup_line=backup, tried=tried)
        # Nobody can take it now: on at once to what the flow does when nobody answers, keeping
        # everything the caller was about to hear (the emergency numbers, say) before it.
        following = engine.advance(flows, turn.state, Finished(), config["IVR_CLOCK"]())
        turn, tried = dataclasses.replace(following, said=turn.said + following.said), ()
    return config["IVR_RENDERER"].render(turn, flows, backup_line=backup)


def note_outcome(config, turn) -> None:
    """Asking for a person starts the wait; being sent to the backup line is an overflow."""
    records, sid, now = config["IVR_CALLS"], _sid(), config["IVR_CLOCK"]()
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


def current_flows(config):
    flows = config["IVR_FLOWS"].current()
    if flows is None:
        log.error("no good flows loaded; call %s goes to the backup line", _sid())
    return flows


def _sid() -> str:
    return form().first("CallSid", "-")[:64]


@blueprint.post("/incoming")
@twilio_only
def incoming():
    config = current_app.config
    params = form()
    number, sid = params.first("From"), params.first("CallSid", "-")[:64]
    config["IVR_CALLS"].call_started(sid, number, config["IVR_CLOCK"]().timestamp())
    if log.isEnabledFor(logging.DEBUG):
        log.debug("call %s from %s", sid, mask_number(number))
    flows = current_flows(config)
    if flows is None:
        return backup_line(config)
    answers = config["IVR_ANSWERS"]
    xml = answers.get(flows.version, "begin")
    if xml is None:
        turn = engine.begin(flows, config["IVR_CLOCK"]())
        xml = render(config, flows, turn)
        answers.keep(flows.version, "begin", turn, xml)
    return twiml(xml)


@blueprint.post("/step")
@twilio_only
def step():
    """A menu answer: Digits or SpeechResult, or (from the Redirect after a Gather) silence."""
    config, environ = current_app.config, request.environ
    flows = current_flows(config)
    if flows is None:
        return backup_line(config)
    params, query = form(environ), args(environ)
    digits = params.first("Digits")[:MAX_FIELD].strip()
    speech = params.first("SpeechResult")[:MAX_FIELD].strip()
    silent = query.first("heard") == "nothing"
    # The path, for the records: the step answered and how — never the words a caller said.
    answer = "silence" if silent or not (digits or speech) else (digits[:5] if digits else "speech")
    config["IVR_CALLS"].step_taken(params.first("CallSid"), query.first("at"), answer, time.time())
    key = None if speech else (environ.get("QUERY_STRING", ""), digits)   # what callers say varies without end
    answers = config["IVR_ANSWERS"]
    xml = answers.get(flows.version, key) if key else None
    if xml is not None:
        return twiml(xml)
    if silent:
        event = Silence()
    elif digits:
        event = Pressed(digits)
    elif speech:
        event = Spoke(speech)
    else:
        event = Silence()
    turn = engine.advance(flows, state_from_url(), event, config["IVR_CLOCK"]())
    xml = render(config, flows, turn)
    if key:
        answers.keep(flows.version, key, turn, xml)
    return twiml(xml)


@blueprint.post("/done")
@twilio_only
def done():
    """A voicemail was left or a callback number typed: keep it, then go on with the flow."""
    config = current_app.config
    flows = current_flows(config)
    if flows is None:
        return backup_line(config)
    state = state_from_url()
    try:
        keep_what_the_caller_left(config, flows.step(state.step), state.language)
    except SQLAlchemyError as error:
        # Their message or number would be lost: put them through to a person instead.
        log.error("could not keep the voicemail/callback of call %s: %s", _sid(), error.__class__.__name__)
        return backup_line(config)
    return twiml(render(config, flows, engine.advance(flows, state, Finished(), config["IVR_CLOCK"]())))


def keep_what_the_caller_left(config, step, language: str) -> None:
    params, records, now = form(), config["IVR_CALLS"], config["IVR_CLOCK"]()
    key = caller_key(params.first("From"), config["IVR_SETTINGS"].caller_hash_key)
    if isinstance(step, Voicemail) and params.first("RecordingUrl"):
        duration = params.first("RecordingDuration")
        records.voicemail_left(_sid(), key, params.first("RecordingUrl")[:500],
                               int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 7 else None,
                               language, now)
        records.outcome(_sid(), "voicemail", now)


@blueprint.post("/dialed")
@twilio_only
def dialed():
    """A <Dial> ended. After a real conversation the call is over; otherwise nobody answered:
    ring the next person (longest-idle, while attempts last), then what the flow says."""
    config = current_app.config
    if form().first("DialCallStatus") == "completed":
        flows = config["IVR_FLOWS"].current()
        step = flows.step(state_from_url().step) if flows else None
        try:
            config["IVR_CALLS"].outcome(_sid(), "overflow" if isinstance(step, BackupLine) else "talked",
                                        config["IVR_CLOCK"]())
        except SQLAlchemyError as error:
            log.error("could not record the end of call %s: %s", _sid(), error.__class__.__name__)
        return twiml(safety_net.hang_up_twiml())
    flows = current_flows(config)
    if flows is None:
        return backup_line(config)
    state, now = state_from_url(), config["IVR_CLOCK"]()
    tried = tuple(t for t in (token(part) for part in args().first("tried").split(".")) if t)[:20]
    strategy, attempts = ring_strategy(config)
    if isinstance(flows.step(state.step), Queue):
        # Rung from the hold queue and nobody took it: back in line.
        return twiml(render(config, flows, engine.enter(flows, state.step, state.language, now)))
    if strategy == "longest-idle" and tried and len(tried) < attempts and isinstance(flows.step(state.step), Connect):
        again = engine.enter(flows, state.step, state.language, now)
        return twiml(render(config, flows, again, tried=tried))
    return twiml(render(config, flows, engine.advance(flows, state, Finished(), now)))


@blueprint.post("/fallback")
@twilio_only
def fallback():
    """Twilio's fallback URL: touches neither flows nor database, so it works when all else fails."""
    log.error("Twilio used the fallback URL for call %s (error %s)", _sid(), form().first("ErrorCode", "-")[:20])
    return backup_line(current_app.config)


@blueprint.post("/status")
@twilio_only
def status():
    config = current_app.config
    params = form()
    sid = _sid()
    call_status = params.first("CallStatus")[:20]
    text = params.first("CallDuration")
    duration = int(text) if text.isascii() and text.isdigit() and len(text) < 9 else None
    if sid == "-" or not sid or not call_status:
        return Response("CallSid and CallStatus are required", status=400, mimetype="text/plain")
    try:
        config["IVR_CALLS"].call_status(
            sid, call_status, duration,
            caller_key(params.first("From"), config["IVR_SETTINGS"].caller_hash_key), config["IVR_CLOCK"]())
    except SQLAlchemyError as error:
        log.error("could not record status %r of call %s: %s", call_status, sid, error.__class__.__name__)
        return Response("the database is unavailable; please retry", status=503, mimetype="text/plain")
    return Response(status=204)
