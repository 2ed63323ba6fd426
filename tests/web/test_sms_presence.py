"""Professionals text the helpline number ON, OFF or STATUS: away means not rung, and only numbers on
the roster get an answer — signed like every Twilio webhook, on a SQLite file and a real PostgreSQL."""
from __future__ import annotations

import datetime
import uuid
import zoneinfo

import pytest
import requests

from ivr.store.database import open_database
from ivr.store.presence import PresenceStore
from ivr.sim.clock import SimClock
from like_twilio import call_params, client_post, parse_twiml, signed_post, twilio_signature
from stand_ins import passes_done

#: Wednesday 10:00 in New York: Ana Rivera (en, es) and Marisol Peña (es, en) are the Spanish
#: speakers on shift on the demo roster.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York")
                                   ).astimezone(datetime.timezone.utc)
ANA, MARISOL = "+12025550101", "+12025550102"
SMS_URL = "http://localhost/sms/incoming"
HELP = "Text ON to take helpline calls, OFF to stop, STATUS to check."
COULD_NOT_RECORD = "Sorry, the helpline could not record that just now. Please try again in a minute."


def sms_params(sender: str, body: str) -> dict:
    """What Twilio posts for an incoming text to the helpline number."""
    sid = "SM" + uuid.uuid4().hex
    return {"AccountSid": "AC" + "0" * 32, "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid,
            "From": sender, "To": "+18005550100", "Body": body, "NumMedia": "0", "NumSegments": "1",
            "SmsStatus": "received", "ApiVersion": "2010-04-01"}


@pytest.fixture
def helpline(make_app, database_url, twilio, flows_dir):
    # Professionals' phones ring (in real time) until the test's caller hangs up: nobody answers,
    # nobody rests for a missed call, and the test sees who was rung.
    twilio.clock, twilio.default_phone = SimClock(speed=1.0), "no-answer"
    places_legs_at_once(flows_dir / "roster.yaml", twilio)
    app = make_app(database_url=database_url, flows_check_seconds=0)
    app.extensions["ivr"].clock = lambda: WEDNESDAY_10AM
    yield app
    app.extensions["ivr"].database.dispose()


def places_legs_at_once(roster, twilio) -> None:
    """A Twilio account raised to 100 calls per second, in this test's copy of the roster and in
    the simulated Twilio. At the shipped 1 per second every leg after the first waits its second
    on the helpline's clock, which this test holds still, so call control waits it on the wall's
    instead, and its pacer's queue only grows: 1 + 2 + 4 s of the three callers' 7 s went there.
    Who is rung does not depend on the pace (pacing has its own tests)."""
    shipped = roster.read_text(encoding="utf-8")
    assert "calls_per_second: 1 " in shipped, "the roster's ringing section changed: see places_legs_at_once"
    roster.write_text(shipped.replace("calls_per_second: 1 ", "calls_per_second: 100 ", 1), encoding="utf-8")
    twilio.calls_per_second = 100


@pytest.fixture
def client(helpline):
    return helpline.test_client()


def text(client, sender: str, body: str):
    response = client_post(client, SMS_URL, sms_params(sender, body))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    return parse_twiml(response.get_data(as_text=True))


def reply_of(client, sender: str, body: str) -> list:
    """The texts of the <Message>s the helpline answers with."""
    return [(message.text or "").strip() for message in text(client, sender, body).iter("Message")]


def rung_for_a_spanish_caller(client, base: str = "http://localhost") -> list:
    """The professionals a Spanish caller pressing 0 rings; the caller then hangs up."""
    app, twilio = client.application, client.application.extensions["ivr"]
    sid = "CA" + uuid.uuid4().hex
    response = client_post(client, f"{base}/voice/step?at=main:main-menu&lang=es&tries=0", call_params(sid, Digits="0"))
    assert response.status_code == 200
    passes_done(twilio.control)
    rung = sorted(number for number, call in legs_of(app, sid))
    client_post(client, f"{base}/voice/status", call_params(sid, CallStatus="completed", CallDuration="30"))
    return rung


def legs_of(app, call_sid: str) -> list:
    """(number, offer) of each professional's leg placed for the caller `call_sid`."""
    ivr = app.extensions["ivr"]
    roster = ivr.roster.current()
    return [(roster.by_id(offer.professional_id).phone, offer)
            for offer in ivr.offers.for_caller(call_sid, live_only=False) if offer.state != "failed"]


@pytest.mark.parametrize("sender", ["+12025550101", "+1 202-555-0101", "(202) 555-0101", "202.555.0101",
                                    "+1 (202) 555 0101"])
def test_off_sets_them_away_and_they_are_not_rung_then_on_rings_them_again(helpline, client, sender):
    assert rung_for_a_spanish_caller(client) == [ANA, MARISOL]

    assert reply_of(client, sender, "OFF") == ["Ana Rivera: AWAY, on shift now."]
    assert rung_for_a_spanish_caller(client) == [MARISOL]
    assert helpline.extensions["ivr"].presence.snapshot(WEDNESDAY_10AM).away == {"ana-rivera"}

    assert reply_of(client, sender, "ON") == ["Ana Rivera: AVAILABLE, on shift now."]
    assert rung_for_a_spanish_caller(client) == [ANA, MARISOL]


@pytest.mark.parametrize("body", ["off", " Off please ", "AWAY", "no"])
def test_off_is_understood_in_any_case_with_words_after_it_and_by_its_other_words(client, body):
    assert reply_of(client, ANA, body) == ["Ana Rivera: AWAY, on shift now."]


def test_status_says_available_before_anything_and_away_after_off_without_changing_it(client):
    assert reply_of(client, MARISOL, "STATUS") == ["Marisol Peña: AVAILABLE, on shift now."]
    reply_of(client, MARISOL, "OFF")

    assert reply_of(client, MARISOL, "status") == ["Marisol Peña: AWAY, on shift now."]
    assert reply_of(client, MARISOL, "?") == ["Marisol Peña: AWAY, on shift now."]
    assert rung_for_a_spanish_caller(client) == [ANA]


def test_status_of_someone_not_on_shift_says_so(client):
    # Isabel Cruz works weekend nights: on a Wednesday morning she is not on shift.
    assert reply_of(client, "+12025550113", "STATUS") == [
        "Isabel Cruz: AVAILABLE, not on shift now (calls come only during your shifts)."]


def test_status_says_on_a_call_while_they_are_taking_one(helpline, client):
    offers = helpline.extensions["ivr"].offers
    offer = offers.claim("CA" + "8" * 32, 1, "ana-rivera", WEDNESDAY_10AM)
    offers.move(offer, "accepted", WEDNESDAY_10AM)

    assert reply_of(client, ANA, "STATUS") == ["Ana Rivera: ON A CALL, on shift now."]


@pytest.mark.parametrize("sender", ["+15017122661", "+12025550199", "not a number", ""])
def test_a_number_not_on_the_roster_gets_an_empty_reply_and_changes_nothing(helpline, client, sender):
    document = text(client, sender, "OFF")

    assert list(document) == []                       # no <Message>: nothing about the roster is told
    assert helpline.extensions["ivr"].presence.snapshot(WEDNESDAY_10AM).away == frozenset()


@pytest.mark.parametrize("body", ["hello", "", "   ", "STOP NOW", "1"])
def test_a_word_it_does_not_know_gets_the_help_text_and_changes_nothing(helpline, client, body):
    assert reply_of(client, ANA, body) == [HELP]
    assert helpline.extensions["ivr"].presence.status("ana-rivera") == {"away": False, "on_a_call": False}


def test_a_text_not_signed_by_twilio_is_refused_and_changes_nothing(helpline, client):
    unsigned = client.post("/sms/incoming", data=sms_params(ANA, "OFF"), base_url="http://localhost")
    forged = client.post("/sms/incoming", data=sms_params(ANA, "OFF"), base_url="http://localhost",
                         headers={"X-Twilio-Signature": twilio_signature(SMS_URL, sms_params(ANA, "ON"),
                                                                         token="not-the-auth-token")})

    assert (unsigned.status_code, forged.status_code) == (403, 403)
    assert helpline.extensions["ivr"].presence.status("ana-rivera") == {"away": False, "on_a_call": False}


def test_a_professional_texts_off_over_real_http_and_the_next_caller_does_not_ring_them(helpline, serve):
    server = serve(helpline)
    url = server.url + "/sms/incoming"

    refused = requests.post(url, data=sms_params(ANA, "OFF"), timeout=15)
    answered = signed_post(url, sms_params("+1 202-555-0101", "OFF"))

    assert refused.status_code == 403
    assert answered.status_code == 200
    assert [m.text for m in parse_twiml(answered.text).iter("Message")] == ["Ana Rivera: AWAY, on shift now."]
    sid = "CA" + uuid.uuid4().hex
    call = signed_post(server.url + "/voice/step?at=main:main-menu&lang=es&tries=0", call_params(sid, Digits="0"))
    assert parse_twiml(call.text).find("Enqueue") is not None
    passes_done(helpline.extensions["ivr"].control)
    assert [number for number, _ in legs_of(helpline, sid)] == [MARISOL]


def test_with_the_database_down_a_text_is_answered_that_it_could_not_be_recorded(make_app):
    app = make_app()
    app.extensions["ivr"].clock = lambda: WEDNESDAY_10AM
    unreachable = open_database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    ivr = app.extensions["ivr"]
    ivr.presence = ivr.control.presence = ivr.presence_texts.presence = PresenceStore(unreachable)
    client = app.test_client()
    try:
        for body in ("OFF", "ON", "STATUS"):
            assert reply_of(client, ANA, body) == [COULD_NOT_RECORD]
        assert reply_of(client, ANA, "hello") == [HELP]      # no database needed for that
    finally:
        unreachable.dispose()
        app.extensions["ivr"].database.dispose()
