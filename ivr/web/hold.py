"""On hold: the music, the caller's place in line, the keys they may press, and leaving the queue
when a professional is free, when they chose a callback or voicemail, or when the wait is too long.

Twilio asks `hold` again and again while the caller waits (the Enqueue waitUrl) and `queued` once
when they leave the queue. A key pressed on hold is kept in the database, so any instance can act
on it.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from .. import engine
from ..engine import Finished, Pressed, Turn
from ..flow import model
from ..twiml import speak, state_query
from .ringing import people_to_ring
from .signature import twilio_only
from .twilio_request import form

log = logging.getLogger(__name__)
blueprint = Blueprint("hold", __name__, url_prefix="/voice")
PLACE = {
    "en": ("You are next in line.", "There are {n} callers ahead of you.",
           "Callers are waiting about {m} minutes right now."),
    "es": ("Usted es la próxima persona en la fila.", "Hay {n} personas antes que usted.",
           "En este momento la espera es de unos {m} minutos."),
}


def xml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def leave() -> Response:
    response = VoiceResponse()
    response.leave()
    return xml(response)


def number(name: str) -> int:
    text = form().first(name)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 0


def ringing_turn(queue: model.Queue, state) -> Turn:
    """Ring the queue's team as a connect step would; if nobody answers, back to the queue."""
    connect = model.Connect(flow=queue.flow, name=queue.name, team=queue.team, if_nobody_answers=queue.ref)
    return Turn((), (), connect, state)


def _queue_and_state(config):
    from .voice import state_from_url       # the same reading of the call's place as every route

    flows = config["IVR_FLOWS"].current()
    state = state_from_url()
    step = flows.step(state.step) if flows else None
    return flows, state, (step if isinstance(step, model.Queue) else None)


@blueprint.post("/hold")
@twilio_only
def hold():
    config = current_app.config
    flows, state, queue = _queue_and_state(config)
    if queue is None:
        return leave()                       # a stale URL: let the queue's action decide
    if number("QueueTime") >= queue.max_wait:
        return leave()
    if number("QueuePosition") <= 1 and people_to_ring(config, ringing_turn(queue, state), form().first("CallSid")):
        return leave()                       # someone is free and this caller is first in line
    response = VoiceResponse()
    language = flows.language(state.language)
    place = PLACE.get(language.code, PLACE["en"])
    position, average = number("QueuePosition"), number("AvgQueueTime")
    gather = response.gather(input="dtmf", num_digits=1, timeout=1, action="hold-key?" + state_query(state),
                             method="POST")
    said = place[0] if position <= 1 else place[1].format(n=position - 1)
    if average >= 90:
        said += " " + place[2].format(m=round(average / 60))
    gather.say(said, voice=language.voice or None, language=language.speech or None)
    if queue.offer is not None:
        speak(gather, engine.Utterance(queue.offer, language.code), flows)
    gather.play(f"../audio/music/{queue.music}")
    return xml(response)                     # when it ends, Twilio asks for `hold` again


@blueprint.post("/hold-key")
@twilio_only
def hold_key():
    config = current_app.config
    flows, state, queue = _queue_and_state(config)
    key = form().first("Digits")[:1]
    if queue is None or key not in {option.key for option in queue.options}:
        return xml(VoiceResponse())          # not a choice: back to the music
    try:
        config["IVR_QUEUE_CHOICES"].choose(form().first("CallSid")[:64], key, config["IVR_CLOCK"]())
    except SQLAlchemyError as error:
        log.error("could not keep a key pressed on hold (%s): the caller stays in line", error.__class__.__name__)
        return xml(VoiceResponse())
    return leave()


@blueprint.post("/queued")
@twilio_only
def queued():
    """The caller left the queue: by a key, because someone is free, or because the wait is over."""
    from .voice import backup_line, render

    config = current_app.config
    flows, state, queue = _queue_and_state(config)
    result = form().first("QueueResult")
    if result in ("hangup", "bridged", "bridging-in-progress"):
        if result == "hangup":
            try:
                config["IVR_CALLS"].outcome(form().first("CallSid")[:64], "abandoned", config["IVR_CLOCK"]())
            except SQLAlchemyError:
                log.error("could not record an abandoned wait")
        return xml(VoiceResponse())          # the caller hung up (or was connected): nothing to add
    if flows is None or queue is None:
        return backup_line(config)
    now = config["IVR_CLOCK"]()
    try:
        key = config["IVR_QUEUE_CHOICES"].take(form().first("CallSid")[:64])
    except SQLAlchemyError:
        key = None
    if key:
        return Response(render(config, flows, engine.advance(flows, state, Pressed(key), now)), mimetype="text/xml")
    if result == "leave" and number("QueueTime") < queue.max_wait:
        ring = ringing_turn(queue, state)
        if people_to_ring(config, ring, form().first("CallSid")):
            return Response(render(config, flows, ring), mimetype="text/xml")
        return Response(render(config, flows, engine.enter(flows, queue.ref, state.language, now)),
                        mimetype="text/xml")     # they were taken meanwhile: back in line
    return Response(render(config, flows, engine.advance(flows, state, Finished(), now)), mimetype="text/xml")
