"""The staff pages: logins, sessions, CSRF and the login's rate limit, joined to the app in one place.

Everything under /staff/ needs a login except the login page, the set-password link and the
stylesheet; the Twilio webhooks are untouched by any of it (they are checked by signature).
"""
from __future__ import annotations

import datetime

from flask import Flask, redirect, send_from_directory, url_for

from .login import csrf, limiter, login_manager


def init_staff(app: Flask, settings) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production or settings.public_url.startswith("https://"),
        SESSION_COOKIE_NAME="helpline_staff",
        # An idle timeout: Flask renews a permanent session's cookie on each request.
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(minutes=settings.staff_session_minutes),
        REMEMBER_COOKIE_DURATION=datetime.timedelta(seconds=0),
        # Forms are checked in the staff blueprint only: a Twilio webhook never carries a CSRF token.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,           # the token lives as long as the session does
        RATELIMIT_STORAGE_URI=settings.rate_limit_storage,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"

    from . import auth, recent_calls, flows, guard, owed, pages, reports, roster, words  # noqa: F401  (their views, hooks and filters join the blueprint)
    from .blueprint import blueprint
    app.register_blueprint(blueprint)

    @app.get("/")
    def home():
        return redirect(url_for("staff.now"))

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask for /favicon.ico whatever the pages link: the same small SVG, not a 404.
        return send_from_directory(blueprint.static_folder, "favicon.svg", mimetype="image/svg+xml",
                                   max_age=86400)


