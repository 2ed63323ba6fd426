"""What every staff page goes through: a login, a fresh session, a CSRF token on each form, headers
that keep pages about callers out of caches and frames, and error pages in words."""
from __future__ import annotations

import datetime
import logging

from flask import abort, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .blueprint import blueprint
from .login import LONGEST_SESSION, csrf, refuse_logged_out

log = logging.getLogger(__name__)
#: Reachable logged out.
PUBLIC_ENDPOINTS = {"staff.login", "staff.set_password", "staff.static"}


@blueprint.before_request
def _guard():
    if request.endpoint in PUBLIC_ENDPOINTS:
        if request.method == "POST":
            csrf.protect()
        return None
    if not current_user.is_authenticated:
        return refuse_logged_out()
    started = session.get("logged_in_at")
    if started is None or datetime.datetime.now(datetime.timezone.utc).timestamp() - started > \
            LONGEST_SESSION.total_seconds():
        session.clear()
        return refuse_logged_out()
    if request.method == "POST":
        csrf.protect()
    return None


@blueprint.after_request
def _no_store(response):
    # Pages about callers are never kept by the browser or a proxy (the back button after logout).
    if request.endpoint != "staff.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; media-src 'self'; frame-ancestors 'none'")
    return response


@blueprint.errorhandler(CSRFError)
def _csrf_refused(error):
    return render_template("staff/problem.html", title="This form has expired",
                           message="The form was not sent from a page of the helpline, or it is too old. "
                                   "Go back, reload the page and try again."), 400


@blueprint.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.code == 429:
        return render_template("staff/problem.html", title="Too many tries",
                               message="Too many wrong passwords in a short time. Wait a minute, then "
                                       "try again. A lead can send you a new link to set your password."), 429
    if error.code in (401,):
        return refuse_logged_out()
    titles = {403: "Not yours to open", 404: "Not found", 405: "Not allowed"}
    return render_template("staff/problem.html", title=titles.get(error.code, error.name),
                           message=error.description), error.code


@blueprint.errorhandler(Exception)
def _unexpected(error):
    log.exception("error on the staff page %s", request.path)
    return render_template("staff/problem.html", title="Something went wrong",
                           message="This page could not be shown. The calls are not affected. "
                                   "Try again in a moment; if it keeps happening, tell the lead."), 500


def forbid():
    abort(403, description="This belongs to another language or another person.")


def leads_only(view):
    """A page for the shift lead: the whole line's calls, reports, flows and roster."""
    import functools

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_lead:
            abort(403, description="This page is for the shift lead.")
        return view(*args, **kwargs)
    return guarded
