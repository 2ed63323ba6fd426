"""Twilio's word on each text the helpline sent (its StatusCallback), and the short call said
instead of a notice that was not delivered. Signed like every Twilio webhook.

A text blocked on its way — from a toll-free number not verified (30032), say — is reported here
as failed or undelivered, never as a refused request: it is recorded for the leads (Now, /readyz)
and the notices sweep calls the person instead.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response
from sqlalchemy.exc import SQLAlchemyError

from ...calls import engine
from ...twilio import twiml
from ...calls.notices import CALL_MESSAGES
from ...twilio.statuses import TEXT_NOT_DELIVERED
from ...twilio.errors import meaning
from ..current import links, services
from ..signature import twilio_only
from ..respond import retry_later
from ..twilio_event import event
from ..twilio_params import args

log = logging.getLogger(__name__)
blueprint = Blueprint("message_status", __name__, url_prefix="/sms")
WHAT = {"voicemail": "a voicemail notice", "callback": "a callback notice",
        "text": "a text (a reply to ON/OFF, or a notice Twilio reported before it was recorded)"}


@blueprint.post("/status")
@twilio_only
def status():
    """MessageStatus (and ErrorCode) of one text, in any order, possibly twice
    (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status)."""
    ivr = services()
    text = event()
    sid, state, code = text.message_sid, text.message_status, text.error_code
    if not sid:
        return Response(status=204)
    now = ivr.now()
    try:
        moved = ivr.notice_texts.reported(sid, state, code, now)
        if moved and state in TEXT_NOT_DELIVERED:
            row = ivr.notice_texts.text(sid)
            what = WHAT.get(row.kind if row is not None else "text", "a text")
            log.error("%s was not delivered (%s): %s", what, state, meaning(code))
            ivr.twilio_problems.record("text-not-delivered", code, f"{what}, reported {state}", now)
            ivr.notices.soon(links().base)         # the sweep calls them instead, off this request
    except SQLAlchemyError as error:
        log.error("could not record a text's status (%s)", error.__class__.__name__)
        return retry_later()
    return Response(status=204)


@blueprint.post("/notice-call")
@twilio_only
def notice_call():
    """What the person hears when their notice could not be texted: one sentence, then goodbye."""
    flows = services().flows.current()
    name = CALL_MESSAGES.get(args().first("kind"))
    if flows is None or name is None:
        return Response(twiml.hang_up(), mimetype="text/xml")
    language = flows.language(args().first("language")[:10])
    said = engine.message(flows, name, language.code)
    return Response(twiml.say_and_hang_up((said, said), flows), mimetype="text/xml")
