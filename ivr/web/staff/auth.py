"""Logging in and out, and the one-time link with which a new member of staff sets a password."""
from __future__ import annotations

import datetime

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from ...access.accounts import SHORTEST_PASSWORD, StaffError
from .login import StaffUser, _accounts, limiter
from .blueprint import blueprint


def _failed(response) -> bool:
    return response.status_code == 401


def _login_name() -> str:
    return "login:" + request.form.get("login", "").strip().lower()[:64]


def _safe_next(target: str | None) -> str:
    """Only back to a staff page of this site: never an open redirect to another."""
    if target and target.startswith("/staff/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff.now")


@blueprint.route("/login", methods=["GET", "POST"])
# Five wrong passwords a minute for one login, thirty from one address: only failures count, so
# a person who mistypes once is not locked out by their own success.
@limiter.limit("5 per minute", methods=["POST"], key_func=_login_name, deduct_when=_failed)
@limiter.limit("30 per minute", methods=["POST"], deduct_when=_failed)
def login():
    if request.method == "GET":
        # After setting a password the link sends its login name along: they type only the password.
        return render_template("staff/login.html", next=request.args.get("next", ""),
                               login=request.args.get("login", "").strip().lower()[:64])
    login_name = request.form.get("login", "").strip().lower()
    member = _accounts().authenticate(login_name, request.form.get("password", ""))
    if member is None:
        return render_template("staff/login.html", next=request.form.get("next", ""), login=login_name,
                               error="That login name and password do not match."), 401
    session.clear()                       # a session fixed before login is not carried into it
    login_user(StaffUser(member))
    session.permanent = True
    session["logged_in_at"] = datetime.datetime.now(datetime.timezone.utc).timestamp()
    return redirect(_safe_next(request.form.get("next")), code=303)


@blueprint.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("staff.login"), code=303)


@blueprint.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def set_password(token):
    accounts = _accounts()
    member = accounts.by_token(token)
    if member is None:
        return render_template("staff/problem.html", title="This link does not work any more",
                               message="It has been used, or it is older than three days. Ask a lead "
                                       "for a new one (ivr staff link YOUR-LOGIN)."), 404
    if request.method == "GET":
        return render_template("staff/set_password.html", member=member, shortest=SHORTEST_PASSWORD)
    password = request.form.get("password", "")
    if password != request.form.get("again", ""):
        return render_template("staff/set_password.html", member=member, shortest=SHORTEST_PASSWORD,
                               error="The two passwords are not the same."), 400
    try:
        accounts.set_password(token, password)
    except StaffError as error:
        return render_template("staff/set_password.html", member=member, shortest=SHORTEST_PASSWORD,
                               error=f"Please choose another password: {error}."), 400
    logout_user()
    session.clear()
    flash(f"Your password is set. Log in as {member.login} with it.")
    return redirect(url_for("staff.login", login=member.login), code=303)
