"""The staff pages' extensions (Flask-Login, Flask-WTF's CSRF, Flask-Limiter) and the logged-in user."""
from __future__ import annotations

import datetime

from flask import Response, redirect, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from ...access.accounts import same_session

#: However active, a session ends this long after its login (a shared computer left logged in).
LONGEST_SESSION = datetime.timedelta(hours=12)

csrf = CSRFProtect()
limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True)
login_manager = LoginManager()


class StaffUser(UserMixin):
    """A logged-in staff member, as Flask-Login wants one."""

    def __init__(self, member):
        self.member = member

    def get_id(self) -> str:
        # The version ends the session when the password changes.
        return f"{self.member.id}:{self.member.session_version}"

    def __getattr__(self, name):
        return getattr(self.member, name)


def _accounts():
    from ..current import services
    return services().staff_accounts


@login_manager.user_loader
def _load(user_id: str):
    member_id, _, version = user_id.partition(":")
    try:
        member = _accounts().by_id(int(member_id))
    except ValueError:
        return None
    return StaffUser(member) if member is not None and same_session(member, version) else None


@login_manager.unauthorized_handler
def _unauthorized():
    return refuse_logged_out()


def refuse_logged_out():
    """A page sends the browser to the login page; a recording, a download or a page's live
    refresh answers 401, so nothing behind a login is ever fetched by a logged-out page."""
    if request.method == "GET" and not request.headers.get("X-Refresh") and request.blueprint == "staff" \
            and not request.path.startswith(("/staff/recordings/", "/staff/reports/csv")):
        return redirect(url_for("staff.login", next=request.full_path if request.query_string else request.path))
    return Response("log in to the staff pages first\n", status=401, mimetype="text/plain")


