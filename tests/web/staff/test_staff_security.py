"""Only staff who have logged in see the staff pages: logged out, every page sends the browser to
the login page and everything else answers 401; each form needs its CSRF token; the sixth wrong
password in a minute is refused; a session ends on logout, after its idle time, and when the
password changes — over real HTTP where a browser's cookies matter."""
from __future__ import annotations

import datetime
import re

import pytest
import requests
from freezegun import freeze_time

from ivr.web.staff.guard import PUBLIC_ENDPOINTS
from conftest import PASSWORD, csrf_token, log_in, make_account

STAFF_PREFIX = "/staff/"


def staff_urls(app) -> list:
    """(method, URL) of every staff route but the public ones, with made-up values for its parts."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_there_are_staff_pages_to_check(app):
    assert ("GET", "/staff/") in staff_urls(app) and ("POST", "/staff/me/presence") in staff_urls(app)


def test_logged_out_every_staff_page_sends_the_browser_to_log_in_and_anything_else_answers_401(app, live_server):
    for method, url in staff_urls(app):
        response = requests.request(method, live_server.url + url, allow_redirects=False, timeout=10)
        if method == "GET" and response.status_code == 302:
            assert response.headers["Location"].startswith("/staff/login?next="), url
        else:
            assert response.status_code == 401, (method, url, response.status_code)
        assert "Ana" not in response.text and "Carmen" not in response.text


def test_a_page_refreshing_itself_after_the_session_ended_gets_401_not_the_login_page(client):
    response = client.get("/staff/now/board", headers={"X-Refresh": "1"})

    assert response.status_code == 401


def test_after_logging_in_you_land_on_the_page_you_asked_for(client, ana):
    client.get("/staff/me")
    token = csrf_token(client.get("/staff/login?next=/staff/me").get_data(as_text=True))

    response = client.post("/staff/login", data={"csrf_token": token, "login": ana.login, "password": ana.password,
                                                 "next": "/staff/me"})

    assert response.status_code == 303 and response.headers["Location"] == "/staff/me"


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/staff/", "/\\elsewhere.example"])
def test_the_login_never_sends_you_to_another_site(client, ana, target):
    token = csrf_token(client.get("/staff/login").get_data(as_text=True))

    response = client.post("/staff/login", data={"csrf_token": token, "login": ana.login,
                                                 "password": ana.password, "next": target})

    assert response.headers["Location"] == "/staff/"


def test_a_form_without_its_csrf_token_or_with_a_wrong_one_is_refused_and_changes_nothing(app, client, ana):
    log_in(client, ana)
    ivr = app.extensions["ivr"]

    without = client.post("/staff/me/presence", data={"presence": "away"})
    wrong = client.post("/staff/me/presence", data={"presence": "away", "csrf_token": "made-up"})

    assert without.status_code == 400 and wrong.status_code == 400
    assert "This form has expired" in without.get_data(as_text=True)
    assert ivr.presence.status("ana-rivera")["away"] is False


def test_the_login_form_itself_needs_its_csrf_token(client, ana):
    response = client.post("/staff/login", data={"login": ana.login, "password": ana.password})

    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302          # not logged in


def test_the_sixth_wrong_password_in_a_minute_is_refused_even_if_it_is_right(live_server, ana):
    browser = requests.Session()

    def attempt(password):
        token = csrf_token(browser.get(live_server.url + "/staff/login", timeout=10).text)
        return browser.post(live_server.url + "/staff/login", allow_redirects=False, timeout=10, data={
            "csrf_token": token, "login": ana.login, "password": password})

    wrong = [attempt("not the password").status_code for _ in range(5)]
    sixth = attempt(ana.password)

    assert wrong == [401] * 5
    assert sixth.status_code == 429 and "Too many tries" in sixth.text
    assert browser.get(live_server.url + "/staff/", allow_redirects=False, timeout=10).status_code == 302


def test_logging_in_rightly_again_and_again_is_never_limited(client, ana):
    assert [log_in(client, ana).status_code for _ in range(8)] == [303] * 8


def test_a_wrong_password_and_an_unknown_login_get_the_same_answer(client, ana):
    wrong = log_in(client, ana, password="not the password")
    unknown = log_in(client, type(ana)("nobody-here", "whatever it is", "lead"))

    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True) and "do not match" in unknown.get_data(as_text=True)


def test_after_logging_out_the_pages_ask_you_to_log_in_again(client, ana):
    log_in(client, ana)
    page = client.get("/staff/").get_data(as_text=True)

    client.post("/staff/logout", data={"csrf_token": csrf_token(page)})

    assert client.get("/staff/").status_code == 302


def test_a_session_ends_after_its_idle_time(make_app):
    app = make_app(staff_session_minutes=30)
    ana = make_account(app, "Ana Rivera", "professional", "ana-rivera")
    client = app.test_client()
    start = datetime.datetime.now(datetime.timezone.utc)
    with freeze_time(start) as clock:
        log_in(client, ana)
        clock.tick(datetime.timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200       # still in use: the idle time starts again
        clock.tick(datetime.timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200
        clock.tick(datetime.timedelta(minutes=31))
        assert client.get("/staff/").status_code == 302


def test_a_new_password_ends_every_session_opened_with_the_old_one(app, client, ana):
    from ivr.store.staff import StaffAccounts

    log_in(client, ana)
    assert client.get("/staff/").status_code == 200
    accounts = StaffAccounts(app.extensions["ivr"].database, app.extensions["ivr"].now)

    accounts.set_password(accounts.new_link(ana.login), "another long pass phrase")

    assert client.get("/staff/").status_code == 302


def test_a_set_password_link_works_once(app, client):
    from ivr.store.staff import StaffAccounts

    _member, token = StaffAccounts(app.extensions["ivr"].database, app.extensions["ivr"].now).add(
        "dev-patel", "Dev Patel", "professional", "dev-patel")
    form = csrf_token(client.get(f"/staff/set-password/{token}").get_data(as_text=True))
    first = client.post(f"/staff/set-password/{token}",
                        data={"csrf_token": form, "password": PASSWORD, "again": PASSWORD})

    again = client.get(f"/staff/set-password/{token}")

    assert first.status_code == 303
    assert again.status_code == 404 and "does not work any more" in again.get_data(as_text=True)


def test_a_short_password_is_refused_with_the_reason(app, client):
    from ivr.store.staff import StaffAccounts

    _member, token = StaffAccounts(app.extensions["ivr"].database, app.extensions["ivr"].now).add(
        "dev-patel", "Dev Patel", "professional", "dev-patel")
    form = csrf_token(client.get(f"/staff/set-password/{token}").get_data(as_text=True))

    response = client.post(f"/staff/set-password/{token}", data={"csrf_token": form, "password": "short",
                                                                 "again": "short"})

    assert response.status_code == 400 and "at least 12 characters" in response.get_data(as_text=True)


def test_the_session_cookie_cannot_be_read_by_scripts_nor_sent_from_other_sites(client, ana):
    response = log_in(client, ana)

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_https_the_session_cookie_is_sent_only_over_https(make_app):
    app = make_app(public_url="https://helpline.example.org")
    ana = make_account(app, "Ana Rivera", "professional", "ana-rivera")

    response = log_in(app.test_client(), ana)

    assert "Secure" in response.headers["Set-Cookie"]


def test_pages_about_callers_are_never_cached_nor_framed(client, ana):
    log_in(client, ana)

    response = client.get("/staff/")

    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_twilio_webhooks_need_no_csrf_token(client):
    from like_twilio import call_params, client_post

    response = client_post(client, "http://localhost/voice/incoming", call_params())

    assert response.status_code == 200 and b"<Response>" in response.data
