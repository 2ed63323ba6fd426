"""A call back: the caller types their number, hears it read back, and confirms it with a key.

Only a confirmed number is left for a professional to call; the number is the one thing kept in
clear, and only until the callback is done (`ivr callbacks done`).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from .. import engine
from ..engine import Finished
from ..flow import model
from ..privacy import caller_key
from ..routing.roster import e164
from ..twiml import state_query
from .services import services
from .signature import twilio_only
from .voice import backup_line, render, state_from_url
from .twilio_request import form

log = logging.getLogger(__name__)
blueprint = Blueprint("callback", __name__, url_prefix="/voice")
READ_BACK = {
    "en": ("You entered {digits}. If that is right, press 1. To type it again, press 2.",
           "That was not a full phone number, with its area code. Let's try again."),
    "es": ("Usted marcó {digits}. Si es correcto, oprima 1. Para marcarlo de nuevo, oprima 2.",
           "Ese no es un número de teléfono completo, con su código de área. Intentemos de nuevo."),
}
MAX_TRIES = 3


def xml(text: str) -> Response:
    return Response(text, mimetype="text/xml")


def _context():
    ivr = services()
    flows = ivr.flows.current()
    state = state_from_url()
    step = flows.step(state.step) if flows else None
    return ivr, flows, state, step


def _again(ivr, flows, state, sorry: str | None = None) -> Response:
    """Ask for the number again (after MAX_TRIES, a person: they wanted to talk to us)."""
    now = ivr.now()
    if state.tries + 1 >= MAX_TRIES:
        return xml(render(ivr, flows, engine.enter(flows, flows.fallback, state.language, now)))
    turn = engine.enter(flows, state.step, state.language, now, tries=state.tries + 1)
    if sorry:
        language = flows.language(state.language)
        sorry_prompt = model.Prompt("callback-sorry", ((language.code, sorry),))
        turn = engine.Turn((engine.Utterance(sorry_prompt, language.code),) + turn.said, turn.asked, turn.step,
                           turn.state)
    return xml(render(ivr, flows, turn))


@blueprint.post("/callback-number")
@twilio_only
def callback_number():
    ivr, flows, state, step = _context()
    if not isinstance(step, model.Callback):
        return backup_line(ivr)
    texts = READ_BACK.get(state.language, READ_BACK["en"])
    digits = "".join(c for c in form().first("Digits") if c in "0123456789")[:15]
    number = e164(digits) if len(digits) >= 10 else None
    if number is None:
        return _again(ivr, flows, state, texts[1])
    key = caller_key(form().first("From"), ivr.settings.caller_hash_key)
    try:
        ivr.calls.callback_requested(form().first("CallSid")[:64], key, number, state.language,
                                     ivr.now(), status="unconfirmed", helpline_number=form().first("To"))
    except SQLAlchemyError as error:
        log.error("could not keep a callback number (%s): the caller goes to a person", error.__class__.__name__)
        return backup_line(ivr)
    language = flows.language(state.language)
    spoken = ", ".join(" ".join(group) for group in _groups(number[-10:] if number.startswith("+1") else number[1:]))
    response = VoiceResponse()
    gather = response.gather(input="dtmf", num_digits=1, timeout=8, method="POST",
                             action="callback-confirm?" + state_query(state))
    gather.say(texts[0].format(digits=spoken), voice=language.voice or None, language=language.speech or None)
    response.redirect("callback-confirm?" + state_query(state), method="POST")     # silence: ask again
    return xml(str(response))


@blueprint.post("/callback-confirm")
@twilio_only
def callback_confirm():
    ivr, flows, state, step = _context()
    if not isinstance(step, model.Callback):
        return backup_line(ivr)
    sid = form().first("CallSid")[:64]
    try:
        if form().first("Digits") == "1" and ivr.calls.confirm_callback(sid):
            ivr.calls.outcome(sid, "callback", ivr.now())
            return xml(render(ivr, flows, engine.advance(flows, state, Finished(), ivr.now())))
        ivr.calls.forget_unconfirmed_callback(sid)
    except SQLAlchemyError as error:
        log.error("could not confirm a callback (%s): the caller goes to a person", error.__class__.__name__)
        return backup_line(ivr)
    return _again(ivr, flows, state)


def _groups(digits: str) -> list:
    """'2025550101' -> ['202', '555', '0101']: read back the way people say numbers."""
    if len(digits) == 10:
        return [digits[:3], digits[3:6], digits[6:]]
    return [digits[i:i + 3] for i in range(0, len(digits), 3)]
