"""Voicemails and callbacks on the staff pages: list, listen (the audio proxied from Twilio with
the account's credentials, never a Twilio link), mark handled (the recording is then deleted at
Twilio), and Call back now (the professional's phone first, then the caller's, neither number
shown). A professional opens only those in their languages, and not a callback a colleague claimed."""
from __future__ import annotations

import logging
import zoneinfo

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ...calls import follow_up
from ...calls.follow_up import CLAIMED, NO_PHONE, RINGING
from ...calls.calling_back import CallbackLinks, CallbackUnavailable
from ...access.who_sees_what import languages_allowed, may_open, roster_entry
from ...twilio.rest import TwilioUnavailable
from ..current import links, services
from .blueprint import blueprint
from .guard import forbid

log = logging.getLogger(__name__)


def _zone(ivr):
    roster = ivr.roster.current()
    return zoneinfo.ZoneInfo(roster.timezone if roster is not None else "UTC")


def _allowed(row):
    """The row, if this member of staff may open it; 404 or 403 otherwise."""
    ivr = services()
    if row is None:
        abort(404, description="There is no such voicemail or callback.")
    if not may_open(current_user, ivr.roster.current(), row.language):
        forbid()
    return row


# -- voicemails --------------------------------------------------------------------------------------
@blueprint.get("/voicemails")
def voicemails():
    ivr = services()
    rows = ivr.owed.voicemails(languages_allowed(current_user, ivr.roster.current()), ivr.now())
    return render_template("staff/voicemails.html", voicemails=rows, zone=_zone(ivr), page="voicemails")


@blueprint.get("/voicemails/<int:voicemail_id>")
def voicemail(voicemail_id):
    ivr = services()
    row = _allowed(ivr.owed.voicemail(voicemail_id))
    return render_template("staff/voicemails.html", voicemails=[row], zone=_zone(ivr), one=True, page="voicemails")


@blueprint.get("/recordings/<int:voicemail_id>")
def recording(voicemail_id):
    """The voicemail's audio, fetched from Twilio by the helpline for a member of staff allowed to hear it."""
    ivr = services()
    row = _allowed(ivr.owed.voicemail(voicemail_id))
    if row.recording_deleted_at is not None:
        abort(404, description="This recording was deleted at Twilio once the voicemail was handled.")
    try:
        audio, content_type = ivr.api.recording_audio(row.recording_url)
    except TwilioUnavailable as error:
        log.error("could not fetch the recording of voicemail %s: %s", voicemail_id, error)
        return Response("The recording cannot be fetched from Twilio just now; try again in a moment.\n",
                        status=502, mimetype="text/plain")
    return Response(audio, mimetype=content_type, headers={"Cache-Control": "no-store"})


#: What the page says after "Mark handled", for each outcome of calls/follow_up.py.
HANDLED_WORDS = {
    follow_up.TAKEN: "A colleague has already marked this voicemail handled.",
    follow_up.DELETED: "Marked handled. The recording is deleted at Twilio.",
    follow_up.DELETE_LATER: "Marked handled. The recording could not be deleted at Twilio just now; "
                            "it is tried again later.",
    follow_up.NOT_OURS: "Marked handled. Its recording is not this helpline's Twilio account's, so the "
                        "helpline did not delete it: tell whoever runs the Twilio account.",
}


@blueprint.post("/voicemails/<int:voicemail_id>/handled")
def voicemail_handled(voicemail_id):
    ivr = services()
    row = _allowed(ivr.owed.voicemail(voicemail_id))
    flash(HANDLED_WORDS[ivr.follow_up.voicemail_handled(row.id, current_user.login)])
    return redirect(url_for("staff.voicemails"), code=303)


# -- callbacks ---------------------------------------------------------------------------------------
@blueprint.get("/callbacks")
def callbacks():
    ivr = services()
    rows = ivr.owed.callbacks(languages_allowed(current_user, ivr.roster.current()))
    return render_template("staff/callbacks.html", callbacks=rows, **_callback_context(ivr))


@blueprint.get("/callbacks/<int:callback_id>")
def callback(callback_id):
    ivr = services()
    row = _claimable(_allowed(ivr.owed.callback(callback_id)))
    return render_template("staff/callbacks.html", callbacks=[row], one=True, **_callback_context(ivr))


def _callback_context(ivr) -> dict:
    """What the callback list needs besides its rows: the clock (how long each is owed), and
    whether the helpline has a phone of this person's to ring (a lead off the roster has none)."""
    return {"zone": _zone(ivr), "now": ivr.now(), "page": "callbacks",
            "can_ring": roster_entry(current_user, ivr.roster.current()) is not None}


def _claimable(row):
    """A callback a colleague has claimed is theirs to make; a lead may still open it."""
    if row.claimed_by and row.claimed_by != current_user.login and not current_user.is_lead:
        forbid()
    return row


#: Why "call back now" rang nobody, as the page says it.
CALL_BACK_REFUSED = {
    NO_PHONE: "Your account is not linked to the roster, so the helpline has no phone of yours to ring.",
    CLAIMED: "A colleague is already calling this caller back.",
}


@blueprint.post("/callbacks/<int:callback_id>/call")
def call_back_now(callback_id):
    ivr = services()
    row = _claimable(_allowed(ivr.owed.callback(callback_id)))
    person = roster_entry(current_user, ivr.roster.current())
    try:
        outcome = ivr.follow_up.call_back_now(row.id, person, current_user.login, CallbackLinks(links().base))
    except (CallbackUnavailable, TwilioUnavailable, SQLAlchemyError) as error:
        log.error("could not place callback %s: %s", row.id, error)
        flash("The helpline could not ring your phone just now. Please try again in a moment.")
        return redirect(url_for("staff.callbacks"), code=303)
    if outcome != RINGING:
        flash(CALL_BACK_REFUSED[outcome])
        return redirect(url_for("staff.callbacks"), code=303)
    flash("Your phone is ringing. Press 1 when you answer, and the helpline dials the caller.")
    return redirect(url_for("staff.callbacks"), code=303)


@blueprint.post("/callbacks/<int:callback_id>/handled")
def callback_handled(callback_id):
    ivr = services()
    row = _claimable(_allowed(ivr.owed.callback(callback_id)))
    if ivr.follow_up.callback_done(row.id, current_user.login):
        flash("Marked done. The caller's number is erased.")
    else:
        flash("This callback was already done.")
    return redirect(url_for("staff.callbacks"), code=303)
