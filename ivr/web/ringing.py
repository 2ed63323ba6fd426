"""Ringing professionals: who to ring for a connect step, the whisper that lets them accept, and
the callbacks that keep their busy/free state.

A professional hears "Helpline call in Spanish. Press 1 to take it." Only a key press takes the
call, so a voicemail box or a pocket answer never does. Busy and free follow their call legs.
"""
from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, current_app
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from ..routing.choose import Chooser, Presence
from .signature import twilio_only
from .twilio_request import args, form

log = logging.getLogger(__name__)
blueprint = Blueprint("ringing", __name__, url_prefix="/voice")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
SAFE = re.compile(r"[^A-Za-z0-9-]")
FINAL_LEG_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}


def token(text: str) -> str:
    """Only letters, digits and '-' go back into a URL we write (a CallSid, an id, a language)."""
    return SAFE.sub("", text)[:64]


def people_to_ring(config, turn, call_sid: str, tried: tuple = ()) -> tuple:
    """((id, number, whisper url, leg status url), ...) for a connect turn; () when nobody can take it."""
    roster = config["IVR_ROSTER"].current()
    if roster is None:
        return ()
    now = config["IVR_CLOCK"]()
    try:
        presence = config["IVR_PRESENCE"].snapshot(now, roster.ringing.busy_expires_minutes)
    except SQLAlchemyError as error:
        # Without presence we cannot tell who is free: ring everyone on shift by the roster alone.
        log.error("presence unavailable (%s): ringing by the roster alone for call %s",
                  error.__class__.__name__, call_sid)
        presence = Presence()
    chooser = _chooser(config, roster)
    choice = chooser.choose(now, presence, turn.state.language, turn.step.team, exclude=tried)
    lang, call_sid = token(turn.state.language), token(call_sid)
    return tuple((person.id, person.phone, f"whisper?pro={person.id}&lang={lang}&call={call_sid}",
                  f"leg?pro={person.id}&call={call_sid}") for person in choice.people)


def ring_strategy(config) -> tuple:
    roster = config["IVR_ROSTER"].current()
    return (roster.ringing.strategy, roster.ringing.attempts) if roster else ("simultaneous", 1)


def _chooser(config, roster) -> Chooser:
    cached = config.get("IVR_CHOOSER")
    if cached is None or cached.roster is not roster:
        cached = Chooser(roster)          # indexing is done once per roster version
        config["IVR_CHOOSER"] = cached
    return cached


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


@blueprint.post("/whisper")
@twilio_only
def whisper():
    """Played to the professional who picked up, before the caller hears anything."""
    language = LANGUAGE_NAMES.get(args().first("lang"), "the caller's language")
    response = VoiceResponse()
    query = f"pro={token(args().first('pro'))}&call={token(args().first('call'))}"
    with response.gather(num_digits=1, timeout=8, action=f"whisper-answer?{query}", method="POST") as gather:
        gather.say(f"Helpline call in {language}. Press 1 to take it.", voice="Polly.Joanna-Neural")
        gather.pause(length=1)
        gather.say(f"Helpline call in {language}. Press 1 to take it.", voice="Polly.Joanna-Neural")
    # No key (a voicemail box, a pocket): this leg ends and the caller goes on to someone else.
    response.hangup()
    return twiml(response)


@blueprint.post("/whisper-answer")
@twilio_only
def whisper_answer():
    config = current_app.config
    response = VoiceResponse()
    if form().first("Digits") != "1":
        response.hangup()
        return twiml(response)
    professional, leg, call = args().first("pro"), form().first("CallSid"), args().first("call")
    try:
        still_open = config["IVR_PRESENCE"].leg_accepted(professional, leg, call, config["IVR_CLOCK"]())
    except SQLAlchemyError as error:
        log.error("could not mark %s busy on call %s: %s", professional, call, error.__class__.__name__)
        still_open = True          # connect them all the same: a caller waits on this
    if not still_open:
        response.hangup()
        return twiml(response)
    response.say("Connecting.", voice="Polly.Joanna-Neural")
    return twiml(response)        # the end of this document bridges the two calls


@blueprint.post("/leg")
@twilio_only
def leg():
    """A professional's leg changed state; when it ends, they are free again."""
    config = current_app.config
    status = form().first("CallStatus")
    if status in FINAL_LEG_STATUSES:
        try:
            config["IVR_PRESENCE"].leg_ended(args().first("pro"), form().first("CallSid"), args().first("call"),
                                             config["IVR_CLOCK"](), status)
        except SQLAlchemyError as error:
            log.error("could not free %s after call %s: %s", args().first("pro"), args().first("call"),
                      error.__class__.__name__)
            return Response("the database is unavailable; please retry", status=503, mimetype="text/plain")
    return Response(status=204)
