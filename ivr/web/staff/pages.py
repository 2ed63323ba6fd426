"""The Now board (who is on, who is waiting, the day so far) and Me (my presence): views that read
the services, ask the plain-Python board, and render."""
from __future__ import annotations

import logging
import zoneinfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ...access.who_sees_what import languages_allowed, roster_entry
from ...overview.now_board import local_midnight, now_board
from ...overview.readiness import PROBLEMS_SHOWN_FOR
from ..current import links, services
from .blueprint import blueprint

log = logging.getLogger(__name__)
#: How often the Now board refreshes itself (the page's script reads it from the markup).
REFRESH_SECONDS = 5


def _board():
    ivr = services()
    roster = ivr.roster.current()
    now = ivr.now()
    snapshot = ivr.presence.snapshot(now)
    day = ivr.day_numbers(local_midnight(now, roster.timezone if roster else "UTC"))
    # Leads act on Twilio's refusals (a toll-free verification to finish, a caller ID to verify).
    problems = ivr.twilio_problems.recent(now - PROBLEMS_SHOWN_FOR) if current_user.is_lead else []
    return now_board(roster, snapshot.away, ivr.offers.live(), ivr.waits.waiting(), day, now, problems)


@blueprint.get("/")
def now():
    return render_template("staff/now.html", board=_board(), refresh=REFRESH_SECONDS, page="now")


@blueprint.get("/now/board")
def now_fragment():
    """The board alone, for the page's live refresh."""
    return render_template("staff/_board.html", board=_board())


@blueprint.get("/me")
def me():
    ivr = services()
    person = roster_entry(current_user, ivr.roster.current())
    status = ivr.presence.status(person.id) if person is not None else None
    languages = languages_allowed(current_user, ivr.roster.current())
    roster = ivr.roster.current()
    zone = zoneinfo.ZoneInfo(roster.timezone if roster is not None else "UTC")
    return render_template("staff/me.html", person=person, status=status, page="me", zone=zone,
                           now=ivr.now(), can_ring=person is not None,
                           callbacks=ivr.owed.callbacks(languages),
                           voicemails=[v for v in ivr.owed.voicemails(languages, ivr.now()) if v.handled_at is None])


@blueprint.post("/me/presence")
def set_presence():
    ivr = services()
    person = roster_entry(current_user, ivr.roster.current())
    if person is None:
        flash("Your account is not linked to the roster, so there is no presence to set.")
        return redirect(url_for("staff.me"), code=303)
    away = request.form.get("presence") == "away"
    try:
        ivr.control.presence_changed(person.id, away, links())
    except SQLAlchemyError as error:
        log.error("could not set presence of %s: %s", person.id, error.__class__.__name__)
        flash("The helpline could not save that just now. Please try again in a moment.")
        return redirect(url_for("staff.me"), code=303)
    if away:
        flash("You are away: the helpline will not ring you until you are available again.")
    else:
        flash("You are available: the helpline rings you for callers in your languages.")
    return redirect(url_for("staff.me"), code=303)
