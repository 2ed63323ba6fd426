"""Twilio's word on each text the helpline sent (its StatusCallback), and the short call said
instead of a notice that was not delivered (ivr/calls/text_delivery.py decides). Signed like every
Twilio webhook."""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls.text_delivery import notice_call_words
from ...twilio import twiml
from ..current import links, services
from ..respond import retry_later, twiml_answer
from ..signature import twilio_only
from ..twilio_event import event
from ..twilio_params import args

log = logging.getLogger(__name__)
blueprint = Blueprint("message_status", __name__, url_prefix="/sms")


@blueprint.post("/status")
@twilio_only
def status():
    text = event()
    try:
        services().text_delivery.reported(text.message_sid, text.message_status, text.error_code, links().base)
    except SQLAlchemyError as error:
        log.error("could not record a text's status (%s)", error.__class__.__name__)
        return retry_later()
    return Response(status=204)


@blueprint.post("/notice-call")
@twilio_only
def notice_call():
    """What the person hears when their notice could not be texted: one sentence, then goodbye."""
    flows = services().flows.current()
    said = notice_call_words(flows, args().first("kind"), args().first("language")[:10])
    return twiml_answer(twiml.say_and_hang_up(said, flows))
