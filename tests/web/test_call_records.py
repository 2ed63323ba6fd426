"""What the records keep of a call: its path (never the caller's words or number), what became of
it and how long it waited for a person — on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import datetime

import pytest
import sqlalchemy

from like_twilio import CALLER, call_params, client_post

BASE = "http://localhost/voice/"
NOW = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=datetime.timezone.utc)     # Wednesday 10:00 New York


@pytest.fixture(params=["sqlite", "postgresql"])
def helpline(request, make_app, twilio):
    twilio.default_phone = "no-answer"       # this test's own requests say who takes the call
    overrides = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    app = make_app(**overrides)
    app.extensions["ivr"].clock = lambda: NOW
    return app


def post(app, route, sid, **params):
    response = client_post(app.test_client(), BASE + route, call_params(sid, **params))
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    return response


def row(app, sid):
    app.extensions["ivr"].calls.flush()
    with app.extensions["ivr"].database.connect() as connection:
        return connection.execute(sqlalchemy.text(
            "SELECT caller_key, outcome, waited_seconds, status FROM calls WHERE call_sid = :sid"), {"sid": sid}).one()


def path(app, sid):
    app.extensions["ivr"].calls.flush()
    with app.extensions["ivr"].database.connect() as connection:
        return [tuple(r) for r in connection.execute(sqlalchemy.text(
            "SELECT step, answer FROM call_steps WHERE call_sid = :sid ORDER BY id"), {"sid": sid})]


def test_a_call_that_talked_to_a_person_keeps_its_path_its_outcome_and_its_wait(helpline):
    sid = "CA" + "a" * 32
    post(helpline, "incoming", sid)
    post(helpline, "step?at=main:choose-language&lang=en&tries=0", sid, Digits="2")
    post(helpline, "step?at=main:main-menu&lang=es&tries=0", sid, SpeechResult="quiero hablar con una persona")
    helpline.extensions["ivr"].clock = lambda: NOW + datetime.timedelta(seconds=25)
    assert helpline.extensions["ivr"].waits.connect(sid, NOW)        # a professional pressed 1
    post(helpline, "queued?at=main:talk-to-someone&lang=es&tries=0", sid, QueueResult="redirected")
    post(helpline, "status", sid, CallStatus="completed", CallDuration="600")

    assert path(helpline, sid) == [("main:choose-language", "2"), ("main:main-menu", "speech")]
    caller_key, outcome, waited, status = row(helpline, sid)
    assert (outcome, waited, status) == ("talked", 25, "completed")
    assert caller_key and CALLER not in caller_key and CALLER[-4:] not in caller_key


def test_a_caller_who_hangs_up_while_waiting_for_a_person_abandoned(helpline):
    sid = "CA" + "b" * 32
    post(helpline, "incoming", sid)
    post(helpline, "step?at=main:main-menu&lang=en&tries=0", sid, Digits="0")
    helpline.extensions["ivr"].clock = lambda: NOW + datetime.timedelta(seconds=40)
    post(helpline, "status", sid, CallStatus="completed", CallDuration="45")

    assert row(helpline, sid)[1:3] == ("abandoned", 40)


def test_a_caller_who_heard_the_information_and_hung_up_is_not_counted_as_abandoned(helpline):
    sid = "CA" + "c" * 32
    post(helpline, "incoming", sid)
    post(helpline, "step?at=main:main-menu&lang=en&tries=0", sid, Digits="3")
    post(helpline, "status", sid, CallStatus="completed", CallDuration="90")

    assert row(helpline, sid)[1:3] == ("information", None)


def test_a_voicemail_and_the_partner_line_are_outcomes_too(helpline):
    voicemail, overflow = "CA" + "d" * 32, "CA" + "e" * 32
    post(helpline, "done?at=main:leave-voicemail&lang=en&tries=0", voicemail,
         RecordingUrl="https://api.twilio.com/recording/RE1", RecordingDuration="30")
    post(helpline, "step?at=main:main-menu&lang=en&tries=0", overflow, Digits="0")
    post(helpline, "hold-key?at=main:wait-for-someone&lang=en&tries=0", overflow, Digits="3")   # the partner line
    post(helpline, "queued?at=main:wait-for-someone&lang=en&tries=0", overflow, QueueResult="leave", QueueTime="40")

    assert row(helpline, voicemail)[1] == "voicemail"
    assert row(helpline, overflow)[1] == "overflow"
