"""No ghost waits: a caller who hung up while the partner line rang is never put back in line.
Their call's end may reach the helpline before the partner line's <Dial> action says nobody
answered; then nobody is rung for them and the Now board shows nobody waiting — over signed
requests, with Twilio simulated, on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import datetime
import zoneinfo

import pytest

from ivr.calls.links import Links
from ivr.sim.clock import SimClock
from conftest import log_in
from like_twilio import call_params, client_post, parse_twiml

#: Wednesday 10:00 in New York: Ana Rivera, Marisol Peña and Ben Carter are on shift.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
CALLER_SID = "CA" + "6" * 32
AT_THE_PARTNER_LINE = "at=main:backup&lang=en&tries=0"
BASE = "http://localhost"


@pytest.fixture
def app(make_app, twilio, database_url):
    twilio.clock = SimClock(50.0, start=WEDNESDAY_10AM.astimezone(datetime.timezone.utc))
    app = make_app(database_url=database_url)
    app.extensions["ivr"].clock = twilio.clock
    return app


def sent_to_the_partner_line(app, client) -> None:
    """The caller called, waited for a person and was put through to the partner line."""
    ivr = app.extensions["ivr"]
    assert client_post(client, BASE + "/voice/incoming", call_params(CALLER_SID)).status_code == 200
    ivr.waits.ask(CALLER_SID, "en", "recovery", "main:wait-for-someone", "+18005550100", ivr.now())
    assert ivr.waits.leave(CALLER_SID, "main:backup", ivr.now())


def legs_placed(twilio) -> list:
    return [request for request in twilio.requests if request[1].endswith("/Calls.json")]


@pytest.mark.parametrize("action_says", ["completed", None], ids=["action-says-completed", "action-without-status"])
def test_a_caller_who_hung_up_before_the_partner_lines_no_answer_is_not_put_back_in_line(
        app, twilio, lead, action_says):
    client = app.test_client()
    ivr = app.extensions["ivr"]
    sent_to_the_partner_line(app, client)

    # Their call's end is handled first …
    assert client_post(client, BASE + "/voice/status", call_params(
        CALLER_SID, CallStatus="completed", CallDuration="400", SequenceNumber="0")).status_code == 204
    # … then the partner line's <Dial> action: nobody answered there.
    action = call_params(CALLER_SID, DialCallStatus="no-answer", DialCallDuration="0")
    if action_says is None:
        del action["CallStatus"]
    else:
        action["CallStatus"] = action_says
    answer = client_post(client, f"{BASE}/voice/dialed?{AT_THE_PARTNER_LINE}", action)

    assert answer.status_code == 200
    assert parse_twiml(answer.get_data(as_text=True)).find("Enqueue") is None
    assert ivr.control.offer_waiting_callers(Links("http://localhost")) == 0
    assert legs_placed(twilio) == []                       # nobody's phone rang for nobody
    assert ivr.waits.waiting() == []
    assert ivr.waits.get(CALLER_SID).state == "gone"
    log_in(client, lead)
    board = client.get("/staff/").get_data(as_text=True)
    assert "Callers waiting: 0" in board and "Nobody is waiting." in board


def test_a_caller_still_on_the_line_after_the_partner_line_did_not_answer_waits_for_our_people_again(app, twilio):
    client = app.test_client()
    ivr = app.extensions["ivr"]
    sent_to_the_partner_line(app, client)

    answer = client_post(client, f"{BASE}/voice/dialed?{AT_THE_PARTNER_LINE}",
                         call_params(CALLER_SID, DialCallStatus="no-answer", DialCallDuration="0"))

    assert answer.status_code == 200
    assert "did not answer" in answer.get_data(as_text=True)
    assert [wait.call_sid for wait in ivr.waits.waiting()] == [CALLER_SID]


def test_a_gone_wait_stays_gone_whoever_asks_again(app):
    ivr = app.extensions["ivr"]
    now = ivr.now()
    ivr.waits.ask(CALLER_SID, "en", "recovery", "main:talk-to-someone", "+18005550100", now)
    assert ivr.waits.gone(CALLER_SID, now)

    again = ivr.waits.ask(CALLER_SID, "en", "recovery", "main:wait-for-someone", "+18005550100", now)
    ivr.waits.start_again(CALLER_SID, now)

    assert again.state == "gone" and ivr.waits.get(CALLER_SID).state == "gone"
    assert ivr.waits.waiting() == []

