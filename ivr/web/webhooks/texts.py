"""Professionals set themselves available or away by texting the helpline number: ON, OFF, STATUS.

Signed like every Twilio webhook; only numbers on the roster get an answer (anyone else gets an
empty reply, and nothing about the roster is revealed).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...twilio import twiml
from ...privacy import mask_number
from ...calls.routing.presence_words import HELP, command_of, describe
from ...numbers import e164
from ..current import links, services
from ..signature import twilio_only
from ..twilio_event import event

log = logging.getLogger(__name__)
blueprint = Blueprint("sms", __name__, url_prefix="/sms")


def reply(text: str | None) -> Response:
    """The answer, as a <Message> whose delivery is reported to /sms/status (message_status.py)."""
    return Response(twiml.text_reply(text, f"{links().base}/sms/status"), mimetype="text/xml")


@blueprint.post("/incoming")
@twilio_only
def incoming():
    ivr = services()
    roster = ivr.roster.current()
    sender = e164(event().caller) or ""
    professional = roster.by_phone(sender) if roster else None
    if professional is None:
        log.info("text from %s, not on the roster: no answer", mask_number(sender))
        return reply(None)
    command, now, store = command_of(event().body), ivr.now(), ivr.presence
    if command is None:
        return reply(HELP)
    try:
        if command in ("on", "off"):
            ivr.control.presence_changed(professional.id, command == "off", links())
            log.info("%s set themselves %s by text", professional.id, "away" if command == "off" else "available")
        return reply(describe(professional, store.status(professional.id), now))
    except SQLAlchemyError as error:
        log.error("presence unavailable for a text from %s: %s", professional.id, error.__class__.__name__)
        return reply("Sorry, the helpline could not record that just now. Please try again in a minute.")
