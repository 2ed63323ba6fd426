"""The voice webhook: translates Twilio's requests into engine events and turns into TwiML.

Every route here is signed by Twilio, and none may ever answer a caller with an error: anything
unexpected is answered with the safety net (the backup line) and logged with the CallSid.
"""
from __future__ import annotations

import datetime
import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from .. import engine, safety_net
from ..engine import CallState, Finished, Pressed, Silence, Spoke
from ..flow.model import Ref
from ..privacy import caller_key, mask_number
from .signature import twilio_only
from .twilio_request import args, form

log = logging.getLogger(__name__)
blueprint = Blueprint("voice", __name__, url_prefix="/voice")
TWIML = "text/xml"
MAX_FIELD = 2000       # a SpeechResult longer than this is noise, not a choice


def now() -> datetime.datetime:
    return current_app.config["IVR_CLOCK"]()


def twiml(xml: str) -> Response:
    return Response(xml, status=200, mimetype=TWIML)


def backup_line() -> Response:
    return twiml(safety_net.backup_line_twiml(current_app.config["IVR_SETTINGS"].backup_line))


def play(turn) -> Response:
    settings = current_app.config["IVR_SETTINGS"]
    flows = current_app.config["IVR_FLOWS"].current()
    xml = current_app.config["IVR_RENDERER"].render(turn, flows, backup_line=settings.backup_line)
    return twiml(xml)


def state_from_url(flows) -> CallState:
    flow, _, step = args().first("at", "").partition(":")
    language = args().first("lang", "")
    try:
        tries = max(0, min(int(args().first("tries", "0")), 99))
    except ValueError:
        tries = 0
    return CallState(Ref(flow[:100], step[:100]), language[:10], tries)


def flows_or_none():
    flows = current_app.config["IVR_FLOWS"].current()
    if flows is None:
        log.error("no good flows loaded; call %s goes to the backup line", _sid())
    return flows


def _sid() -> str:
    return form().first("CallSid", "-")[:64]


@blueprint.post("/incoming")
@twilio_only
def incoming():
    settings = current_app.config["IVR_SETTINGS"]
    number = form().first("From", "")
    current_app.config["IVR_CALLS"].call_started(_sid(), caller_key(number, settings.caller_hash_key), now())
    log.info("call %s from %s", _sid(), mask_number(number))
    flows = flows_or_none()
    if flows is None:
        return backup_line()
    return play(engine.begin(flows, now()))


@blueprint.post("/step")
@twilio_only
def step():
    """A menu answer: Digits or SpeechResult, or (from the Redirect after a Gather) silence."""
    flows = flows_or_none()
    if flows is None:
        return backup_line()
    state = state_from_url(flows)
    digits = form().first("Digits", "")[:MAX_FIELD].strip()
    speech = form().first("SpeechResult", "")[:MAX_FIELD].strip()
    if args().first("heard") == "nothing":
        event = Silence()
    elif digits:
        event = Pressed(digits)
    elif speech:
        event = Spoke(speech)
    else:
        event = Silence()
    return play(engine.advance(flows, state, event, now()))


@blueprint.post("/done")
@twilio_only
def done():
    """A voicemail was left or a callback number typed: the step is finished, go on."""
    flows = flows_or_none()
    if flows is None:
        return backup_line()
    return play(engine.advance(flows, state_from_url(flows), Finished(), now()))


@blueprint.post("/dialed")
@twilio_only
def dialed():
    """A <Dial> ended. After a real conversation the call is over; otherwise nobody answered."""
    if form().first("DialCallStatus") == "completed":
        return twiml(safety_net.hang_up_twiml())
    flows = flows_or_none()
    if flows is None:
        return backup_line()
    return play(engine.advance(flows, state_from_url(flows), Finished(), now()))


@blueprint.post("/fallback")
@twilio_only
def fallback():
    """Twilio's fallback URL: touches neither flows nor database, so it works when all else fails."""
    log.error("Twilio used the fallback URL for call %s (error %s)", _sid(),
              form().first("ErrorCode", "-")[:20])
    return backup_line()


@blueprint.post("/status")
@twilio_only
def status():
    settings = current_app.config["IVR_SETTINGS"]
    sid = _sid()
    call_status = form().first("CallStatus", "")[:20]
    try:
        duration = int(form().first("CallDuration", ""))
    except ValueError:
        duration = None
    if not sid or sid == "-" or not call_status:
        return Response("CallSid and CallStatus are required", status=400, mimetype="text/plain")
    try:
        current_app.config["IVR_CALLS"].call_status(
            sid, call_status, duration, caller_key(form().first("From", ""), settings.caller_hash_key), now())
    except SQLAlchemyError as error:
        log.error("could not record status %r of call %s: %s", call_status, sid, error.__class__.__name__)
        return Response("the database is unavailable; please retry", status=503, mimetype="text/plain")
    return Response(status=204)


@blueprint.errorhandler(Exception)
def never_fail_a_caller(error):
    """The edge: an unexpected error must not become Twilio's 'application error' and a hang-up."""
    from werkzeug.exceptions import HTTPException

    if isinstance(error, HTTPException) and error.code in (403, 404, 405):
        return error
    log.exception("error in %s for call %s; sending the caller to the backup line", request.path, _sid())
    if request.path.endswith("/status"):
        return Response("internal error", status=503, mimetype="text/plain")
    return backup_line()
