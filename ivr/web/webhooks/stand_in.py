"""`ivr twilio rehearse` on the helpline's side: the stand-in professional's webhook (its number's
Voice URL while a rehearsal runs), and a witness that records every webhook request of a
rehearsal's call and legs — route, HTTP status, the signature form that matched — for the CLI,
which runs in another process and reads them from the database.
"""
from __future__ import annotations

import logging

from flask import Blueprint

from ...twilio import twiml
from ...calls.rehearsal import ACTIVE_SECONDS, STAND_IN_DIGITS
from ..current import services
from ..respond import twiml_answer
from ..signature import FORM_ENVIRON, twilio_only
from ..twilio_event import event
from ..twilio_params import args

log = logging.getLogger(__name__)
blueprint = Blueprint("rehearsal", __name__, url_prefix="/voice")


@blueprint.post("/rehearsal-professional")
@twilio_only
def rehearsal_professional():
    """The stand-in's number answers the helpline's leg: it presses 1 into the whisper and stays
    on the line until the rehearsal ends both calls."""
    if not services().rehearsal_witness.stand_in_may_press(args().first("rehearsal")):
        return twiml_answer(twiml.hang_up())
    return twiml_answer(twiml.stand_in_presses(STAND_IN_DIGITS, ACTIVE_SECONDS))


class WitnessRequests:
    """WSGI middleware around the helpline: while a rehearsal is active, each /voice/ request of its
    call, its legs or its stand-in is recorded after the helpline answered it — the fast path of
    remembered answers included, which Flask's own hooks never see."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/voice/") or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        statuses = []

        def noting_start_response(status, headers, exc_info=None):
            statuses.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, noting_start_response)
        witness = getattr(self.app.extensions["ivr"], "rehearsal_witness", None)
        if witness is not None:
            try:
                if not witness.watching():
                    return body
                query = args(environ)
                witness.saw(path, statuses[0] if statuses else 500, environ.get(FORM_ENVIRON, "none"),
                            event(environ).call_sid, query.first("offer"), query.first("rehearsal"))
            except Exception:          # noqa: BLE001 — a rehearsal's records never cost a caller an answer
                log.exception("could not record a rehearsal's webhook request")
        return body
