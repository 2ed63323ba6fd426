"""`ivr twilio rehearse` on the helpline's side: the stand-in professional's webhook (its number's
Voice URL while a rehearsal runs), and a witness that records every webhook request of a
rehearsal's call and legs — route, HTTP status, the signature form that matched — for the CLI,
which runs in another process and reads them from the database.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response

from ...twilio import twiml
from ...calls.rehearsal import ACTIVE_SECONDS, STAND_IN_DIGITS
from ..current import services
from ..signature import FORM_ENVIRON, twilio_only
from ..twilio_event import event
from ..twilio_params import args

log = logging.getLogger(__name__)
blueprint = Blueprint("rehearsal", __name__, url_prefix="/voice")
STAND_IN_ROUTE = "/voice/rehearsal-professional"


@blueprint.post("/rehearsal-professional")
@twilio_only
def rehearsal_professional():
    """The stand-in's number answers the helpline's leg: it presses 1 into the whisper and stays
    on the line until the rehearsal ends both calls. Once its rehearsal is over (a Voice URL that
    could not be restored), whoever calls the number is hung up on rather than pressed at."""
    ivr = services()
    wanted = args().first("rehearsal")
    if not any(rehearsal.id == wanted for rehearsal in ivr.rehearsals.active(ivr.now())):
        return Response(twiml.hang_up(), mimetype="text/xml")
    return Response(twiml.stand_in_presses(STAND_IN_DIGITS, ACTIVE_SECONDS), mimetype="text/xml")


class RehearsalWitness:
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
        try:
            self._witness(environ, path, statuses[0] if statuses else 500)
        except Exception:          # noqa: BLE001 — a rehearsal's records never cost a caller an answer
            log.exception("could not record a rehearsal's webhook request")
        return body

    def _witness(self, environ, path: str, status: int) -> None:
        ivr = self.app.extensions["ivr"]
        store = getattr(ivr, "rehearsals", None)
        if store is None:
            return
        active = store.known_active(ivr.now())
        if not active:
            return
        call_sid, query = event(environ).call_sid, args(environ)
        for rehearsal in active:
            if self._belongs(store, rehearsal, path, call_sid, query):
                store.record_callback(rehearsal.id, path, status, environ.get(FORM_ENVIRON, "none"), call_sid,
                                      ivr.now())
                return

    @staticmethod
    def _belongs(store, rehearsal, path: str, call_sid: str, query) -> bool:
        if path == STAND_IN_ROUTE:
            return query.first("rehearsal") == rehearsal.id
        call = rehearsal.call_sid or store.get(rehearsal.id).call_sid      # claimed since it was read
        if not call:
            return False
        if call_sid == call:
            return True
        offer = query.first("offer")
        return any(offer_id == offer or (leg_sid and leg_sid == call_sid) for offer_id, leg_sid in store.leg_sids(call))
