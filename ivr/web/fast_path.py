"""A measured fast path: a call's first request and a menu press whose TwiML is already known
(the same flows version, step and key; caller.Answers) are answered here, before Flask builds its
request, context and response objects for them.

Why: with the 27 parameters Twilio sends, a menu press cost 140 µs in the WSGI app against 60 µs
for a bare Flask view; Flask's own share of that is about 45 µs (scripts/bench_webhook.py, README
"Speed"). Everything else goes to the Flask views, unchanged — and so does any request here that
is not signed, not remembered, or meets anything unexpected: the views have the safety net.
The signature check, the records and the metrics are the views' own functions.
"""
from __future__ import annotations

import logging

from .webhooks import caller
from .signature import signature_is_valid
from .twilio_event import event

log = logging.getLogger(__name__)
ROUTES = ("/voice/step", "/voice/incoming")


class RememberedAnswers:
    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in ROUTES and environ.get("REQUEST_METHOD") == "POST":
            try:
                xml = self._remembered(environ)
            except Exception:          # the view answers it, with everything a caller needs
                log.exception("the fast path failed for %s; the view answers", environ.get("PATH_INFO"))
                xml = None
            if xml is not None:
                body = xml.encode()
                start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                          ("Content-Length", str(len(body)))])
                return [body]
        return self.wsgi_app(environ, start_response)

    def _remembered(self, environ) -> str | None:
        ivr = self.app.extensions["ivr"]
        flows = ivr.flows.current()
        if flows is None:
            return None
        call = event(environ)
        if environ["PATH_INFO"] == "/voice/step":
            digits, speech, silent = caller.menu_answer(environ)
            key = caller.step_key(environ, digits, speech)
            xml = ivr.answers.get(flows.version, key) if key else None
            if xml is None or not signature_is_valid(environ, ivr):
                return None            # not remembered, or not Twilio's: the view decides (403)
            caller.note_menu_answer(ivr, environ, digits, speech, silent)
            return xml
        xml = ivr.answers.get(flows.version, caller.begin_key(flows, call))
        if xml is None or not signature_is_valid(environ, ivr):
            return None
        caller.note_call_start(ivr, call)
        return xml
