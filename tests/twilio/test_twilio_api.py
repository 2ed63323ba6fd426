"""The REST adapter sends exactly the requests Twilio's API documents, through the twilio library's
own pluggable HTTP client (a recorder here), reaches whatever base URL it is given (the simulator
over real HTTP), and turns every failure — a refusal, a 5xx, no network — into TwilioUnavailable."""
from __future__ import annotations

import socket

import pytest
import requests

from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from ivr.sim.webhooks import Helpline
from ivr.twilio.rest import BaseUrlHttpClient, TwilioApi, TwilioUnavailable
from rest_fakes import (ACCOUNTS, AUTH_TOKEN, BRIDGE_URL, CALLER, FALLBACK_URL, HELPLINE, LEG, PROFESSIONAL, QUEUE,
                        STATUS_URL, WHISPER_URL, Sent, api_with, call_resource, twilio_error)


# -- what is sent ----------------------------------------------------------------------------------
def test_ringing_a_professional_posts_one_call_with_every_progress_event_as_its_own_value():
    api, recorder = api_with((201, call_resource(status="queued")))
    assert api.ring(PROFESSIONAL, HELPLINE, WHISPER_URL, STATUS_URL, 20, machine_detection=False, fallback_url=FALLBACK_URL) == LEG
    assert recorder.sent == [Sent("POST", f"{ACCOUNTS}/Calls.json", None, {
        "To": PROFESSIONAL, "From": HELPLINE, "Url": WHISPER_URL, "Method": "POST",
        "FallbackUrl": FALLBACK_URL, "FallbackMethod": "POST", "StatusCallback": STATUS_URL, "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"], "Timeout": 20,
    }, (ACCOUNT_SID, AUTH_TOKEN))]


def test_ringing_with_machine_detection_asks_twilio_to_detect_a_machine_before_the_whisper():
    api, recorder = api_with((201, call_resource()))
    api.ring(PROFESSIONAL, HELPLINE, WHISPER_URL, STATUS_URL, 25, machine_detection=True, fallback_url=FALLBACK_URL)
    assert recorder.sent == [Sent("POST", f"{ACCOUNTS}/Calls.json", None, {
        "To": PROFESSIONAL, "From": HELPLINE, "Url": WHISPER_URL, "Method": "POST",
        "FallbackUrl": FALLBACK_URL, "FallbackMethod": "POST", "StatusCallback": STATUS_URL, "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"], "Timeout": 25,
        "MachineDetection": "Enable",
    }, (ACCOUNT_SID, AUTH_TOKEN))]


def test_stopping_a_ringing_phone_cancels_it_and_asks_nothing_more_once_twilio_says_it_is_over():
    api, recorder = api_with((200, call_resource(status="canceled")))
    api.stop_ringing(LEG)
    assert recorder.sent == [Sent("POST", f"{ACCOUNTS}/Calls/{LEG}.json", None, {"Status": "canceled"},
                                  (ACCOUNT_SID, AUTH_TOKEN))]


def test_stopping_a_phone_already_answered_cancels_then_hangs_it_up_as_completed():
    # Status=canceled "will not affect calls already in progress": the leg still says in-progress.
    api, recorder = api_with((200, call_resource(status="in-progress")), (200, call_resource(status="completed")))
    api.stop_ringing(LEG)
    assert recorder.sent == [
        Sent("POST", f"{ACCOUNTS}/Calls/{LEG}.json", None, {"Status": "canceled"}, (ACCOUNT_SID, AUTH_TOKEN)),
        Sent("POST", f"{ACCOUNTS}/Calls/{LEG}.json", None, {"Status": "completed"}, (ACCOUNT_SID, AUTH_TOKEN)),
    ]


@pytest.mark.parametrize("refusal", [twilio_error(404, 20404), twilio_error(400, 21220)],
                         ids=["not-found", "not-in-progress"])
def test_stopping_a_phone_whose_call_is_already_over_is_not_an_error(refusal):
    api, recorder = api_with(refusal)
    api.stop_ringing(LEG)                 # nothing raised: nothing is left to end
    assert [sent.data for sent in recorder.sent] == [{"Status": "canceled"}]


def test_asking_about_a_leg_fetches_the_call_and_returns_twilios_status():
    api, recorder = api_with((200, call_resource(status="no-answer")))
    assert api.leg_status(LEG) == "no-answer"
    assert recorder.sent == [Sent("GET", f"{ACCOUNTS}/Calls/{LEG}.json", None, None, (ACCOUNT_SID, AUTH_TOKEN))]


def test_taking_a_caller_out_of_the_queue_updates_the_queue_member_with_the_bridge_url():
    api, recorder = api_with((200, {"call_sid": CALLER, "queue_sid": QUEUE, "position": 0, "wait_time": 30}))
    api.dequeue(QUEUE, CALLER, BRIDGE_URL)
    assert recorder.sent == [Sent("POST", f"{ACCOUNTS}/Queues/{QUEUE}/Members/{CALLER}.json", None,
                                  {"Url": BRIDGE_URL, "Method": "POST"}, (ACCOUNT_SID, AUTH_TOKEN))]


# -- failures --------------------------------------------------------------------------------------
EVERY_REQUEST = {
    "ring": lambda api: api.ring(PROFESSIONAL, HELPLINE, WHISPER_URL, STATUS_URL, 20, False, fallback_url=FALLBACK_URL),
    "stop_ringing": lambda api: api.stop_ringing(LEG),
    "leg_status": lambda api: api.leg_status(LEG),
    "dequeue": lambda api: api.dequeue(QUEUE, CALLER, BRIDGE_URL),
}


@pytest.mark.parametrize("what", EVERY_REQUEST)
@pytest.mark.parametrize("status", [500, 503])
def test_a_twilio_server_error_becomes_twilio_unavailable_with_its_status(what, status):
    api, _ = api_with(twilio_error(status, 20500))
    with pytest.raises(TwilioUnavailable) as raised:
        EVERY_REQUEST[what](api)
    assert (raised.value.status, raised.value.code) == (status, 20500)


@pytest.mark.parametrize("what", EVERY_REQUEST)
def test_a_connection_that_breaks_becomes_twilio_unavailable_without_a_status(what):
    api, _ = api_with(requests.ConnectionError("connection reset by peer"))
    with pytest.raises(TwilioUnavailable) as raised:
        EVERY_REQUEST[what](api)
    assert raised.value.status is None


@pytest.mark.parametrize("what", EVERY_REQUEST)
def test_twilio_out_of_reach_becomes_twilio_unavailable_without_a_status(what):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()                        # nothing listens there now: the connection is refused
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(TwilioUnavailable) as raised:
        EVERY_REQUEST[what](api)
    assert raised.value.status is None


# -- a base URL of our own: the simulator over real HTTP -------------------------------------------
class Nowhere:
    """The helpline's side of the simulator: its webhooks are answered and forgotten."""

    def post(self, url, params, headers):
        return 204, ""


@pytest.fixture
def sim():
    twilio = SimTwilio(Helpline(Nowhere(), AUTH_TOKEN), SimClock(speed=50.0), AUTH_TOKEN,
                       default_phone="no-answer")
    twilio.api_url = twilio.serve()
    yield twilio
    twilio.stop()


def test_a_base_url_on_this_machine_receives_every_request_the_helpline_makes(sim):
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, http_client=BaseUrlHttpClient(sim.api_url))
    leg = api.ring(PROFESSIONAL, HELPLINE, WHISPER_URL, STATUS_URL, 20, machine_detection=True,
                   fallback_url=FALLBACK_URL)
    status = api.leg_status(leg)
    api.stop_ringing(leg)
    calls = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls"
    assert leg in sim.calls and status in ("queued", "initiated", "ringing")
    assert [(method, path) for method, path, _ in sim.requests][:3] == [
        ("POST", f"{calls}.json"), ("GET", f"{calls}/{leg}.json"), ("POST", f"{calls}/{leg}.json")]
    assert sim.requests[0][2] == {
        "To": [PROFESSIONAL], "From": [HELPLINE], "Url": [WHISPER_URL], "Method": ["POST"],
        "FallbackUrl": [FALLBACK_URL], "FallbackMethod": ["POST"], "StatusCallback": [STATUS_URL], "StatusCallbackMethod": ["POST"],
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"], "Timeout": ["20"],
        "MachineDetection": ["Enable"]}
    assert sim.requests[2][2] == {"Status": ["canceled"]}


def test_the_base_url_given_to_the_adapter_is_where_its_requests_go(sim):
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, base_url=sim.api_url + "/")
    leg = api.ring(PROFESSIONAL, HELPLINE, WHISPER_URL, STATUS_URL, 20, False, fallback_url=FALLBACK_URL)
    api.leg_status(leg)
    assert [(method, path.rsplit("/", 1)[-1]) for method, path, _ in sim.requests] == [
        ("POST", "Calls.json"), ("GET", f"{leg}.json")]


def test_a_twilio_edge_in_the_environment_does_not_send_the_requests_somewhere_else(sim, monkeypatch):
    # The library reads TWILIO_EDGE and TWILIO_REGION from os.environ by itself and would rewrite
    # api.twilio.com to api.<edge>.<region>.twilio.com, past the base URL the helpline was given.
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, base_url=sim.api_url)
    try:
        outcome = api.leg_status(LEG)
    except TwilioUnavailable as error:
        outcome = error
    assert [path for _, path, _ in sim.requests] == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{LEG}.json"], outcome


def test_a_refusal_from_the_simulator_comes_back_with_twilios_status_and_code(sim):
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, base_url=sim.api_url)
    with pytest.raises(TwilioUnavailable) as raised:
        api.leg_status("CA" + "9" * 32)
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_a_wrong_auth_token_is_refused_as_twilio_unavailable(sim):
    api = TwilioApi(ACCOUNT_SID, "not-the-token", base_url=sim.api_url)
    with pytest.raises(TwilioUnavailable) as raised:
        api.leg_status(LEG)
    assert (raised.value.status, raised.value.code) == (401, 20003)
