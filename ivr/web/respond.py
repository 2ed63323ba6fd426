"""How a webhook answers Twilio: a TwiML document, or — to a callback Twilio may send again (a
status callback) — 503 when it could not be kept, so Twilio retries it (the connection overrides
the helpline gives ask for it on a 5xx); no caller is on the line to hear that one."""
from __future__ import annotations

from flask import Response


def twiml_answer(document: str) -> Response:
    """A TwiML document (built by ivr/twilio/twiml.py) as Twilio takes it."""
    return Response(document, status=200, mimetype="text/xml")


def retry_later(why: str = "the database is unavailable") -> Response:
    return Response(f"{why}; please retry", status=503, mimetype="text/plain")
