"""Professionals set themselves available or away by texting the helpline number: ON, OFF, STATUS
(ivr/calls/presence_texts.py decides). Signed like every Twilio webhook."""
from __future__ import annotations

from flask import Blueprint, Response

from ...twilio import twiml
from ..current import links, services
from ..respond import twiml_answer
from ..signature import twilio_only
from ..twilio_event import event

blueprint = Blueprint("sms", __name__, url_prefix="/sms")


def reply(text: str | None) -> Response:
    """The answer, as a <Message> whose delivery is reported to /sms/status (text_status.py)."""
    return twiml_answer(twiml.text_reply(text, f"{links().base}/sms/status"))


@blueprint.post("/incoming")
@twilio_only
def incoming():
    text = event()
    return reply(services().presence_texts.received(text.caller, text.body, links()))
