"""The edge of every Twilio webhook: an unexpected error never becomes Twilio's 'application
error'. Each kind of request gets the answer that keeps its caller (or professional) safe."""
from __future__ import annotations

import logging

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from ..twilio import backup_line, twiml
from .respond import retry_later, twiml_answer
from .twilio_event import event
from .webhooks.caller import last_good_flows

log = logging.getLogger(__name__)
#: Callbacks Twilio may retry: a 503 says "try again", and no caller hears it.
RETRIED = ("/voice/status", "/voice/offer-status", "/voice/callback-leg", "/sms/status")
#: A professional's own leg: hanging it up lets the caller go on to someone else.
PROFESSIONAL = ("/voice/offer", "/voice/offer-answer", "/voice/offer-done", "/voice/callback-offer",
                "/voice/callback-go", "/voice/callback-dialed", "/voice/callback-result", "/voice/leg-fallback")
#: The hold music's page: <Leave> hands the caller to the queue's action, which decides.
ON_HOLD = ("/voice/hold", "/voice/hold-key")



def never_fail_a_caller(error):
    if isinstance(error, HTTPException) and error.code in (400, 403, 404, 405):
        return error                       # forged or not Twilio's: nobody is on this line
    path = request.path
    log.exception("error in %s for call %s; answering it safely", path, event().call_sid or "-")
    if path in RETRIED:
        return retry_later("internal error")
    if path in PROFESSIONAL:
        return twiml_answer(twiml.hang_up())
    if path in ON_HOLD:
        return twiml_answer(twiml.leave_queue())
    if path.startswith("/sms/"):
        return twiml_answer(twiml.text_reply())
    if path.startswith("/voice/"):
        ivr = current_app.extensions["ivr"]
        return twiml_answer(backup_line.backup_line_twiml(ivr.settings.backup_line, last_good_flows(ivr)))
    return Response("internal error", status=500, mimetype="text/plain")
