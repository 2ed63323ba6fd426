"""The callbacks the helpline's records rest on ask Twilio to retry them (its connection overrides),
and the simulated Twilio retries exactly as the docs say: only what `rp` names, `rc` more times,
the fragment neither sent nor signed."""
from __future__ import annotations

import threading
import time

import pytest
from werkzeug.serving import make_server

from ivr.calls.links import Links
from ivr.calls.calling_back import CallbackLinks
from ivr.twilio.retries import RETRY_ON_FAILURE, retried
from ivr.sim.phone import HttpTransport
from ivr.sim.webhooks import Helpline, connection_overrides, try_timeouts
from like_twilio import AUTH_TOKEN, call_params


class Answers:
    """A helpline that answers with these statuses in turn (0: it could not be reached)."""

    def __init__(self, *statuses):
        self.statuses, self.requests = list(statuses), []

    def post(self, url, params, headers):
        self.requests.append((url, headers))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status == 0:
            raise ConnectionRefusedError("nobody listens")
        return status, ""


def test_the_leg_and_callback_status_urls_ask_for_retries_and_nothing_else_does():
    assert Links("https://line.example").offer_status("ab12").endswith("/voice/offer-status?offer=ab12"
                                                                       + RETRY_ON_FAILURE)
    assert CallbackLinks("https://line.example").status(7).endswith("?id=7" + RETRY_ON_FAILURE)
    assert "#" not in Links("https://line.example").offer("ab12")      # TwiML fetches fail over instead
    assert retried(retried("https://x/y")) == "https://x/y" + RETRY_ON_FAILURE


def test_the_overrides_read_as_twilio_documents_them():
    assert connection_overrides("https://x/voice/status?offer=1" + RETRY_ON_FAILURE) == (
        "https://x/voice/status?offer=1", 1, {"ct", "rt", "5xx"}, 15000)
    assert connection_overrides("https://x/voice/status") == ("https://x/voice/status", 1, {"ct"}, 15000)
    assert connection_overrides("https://x/a#rc=9&rp=all&tt=60000")[1:] == (5, {"4xx", "5xx", "ct", "rt"}, 15000)


@pytest.mark.parametrize("url, statuses, tries", [
    ("https://line/voice/offer-status?offer=1" + RETRY_ON_FAILURE, (503, 204), 2),
    ("https://line/voice/offer-status?offer=1" + RETRY_ON_FAILURE, (503, 503, 503, 503, 503), 2),
    ("https://line/voice/offer-status?offer=1#rc=3&rp=5xx", (503, 503, 204), 3),
    ("https://line/voice/offer-status?offer=1" + RETRY_ON_FAILURE, (404, 204), 1),    # 4xx is not retried
    ("https://line/voice/offer-status?offer=1" + RETRY_ON_FAILURE, (0, 204), 2),
    ("https://line/voice/status", (503, 204), 1),          # by default a 503 is never sent again
    ("https://line/voice/status", (0, 0, 204), 2),         # and a refused connection once more
])
def test_simulated_twilio_retries_only_what_the_overrides_name(url, statuses, tries):
    transport = Answers(*statuses)
    Helpline(transport, AUTH_TOKEN).post(url, {"CallSid": "CA1"})

    assert len(transport.requests) == tries
    assert all("#" not in sent for sent, _ in transport.requests)
    assert len({headers["I-Twilio-Idempotency-Token"] for _, headers in transport.requests}) == 1


def test_a_callback_url_with_overrides_is_signed_without_them_and_the_helpline_accepts_it(app):
    from ivr.sim.phone import TestClientTransport

    helpline = Helpline(TestClientTransport(app), AUTH_TOKEN)
    status, _ = helpline.post("http://localhost/voice/status" + RETRY_ON_FAILURE,
                              call_params(CallStatus="completed", CallDuration="12"))
    assert status == 204


class SlowHelpline:
    """A helpline served over real HTTP that answers its first `slow` requests only after `seconds`
    (busy, or waiting on a lock), the rest at once, 204 each time."""

    def __init__(self, slow: int, seconds: float):
        self.slow, self.seconds, self.tokens = slow, seconds, []
        self.server = make_server("127.0.0.1", 0, self.answer, threaded=True)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/voice/offer-status?offer=1"

    def answer(self, environ, start_response):
        self.tokens.append(environ.get("HTTP_I_TWILIO_IDEMPOTENCY_TOKEN"))
        if len(self.tokens) <= self.slow:
            time.sleep(self.seconds)
        start_response("204 No Content", [])
        return [b""]


@pytest.fixture
def slow_helpline():
    made = []

    def make(slow: int, seconds: float = 2.0) -> SlowHelpline:
        made.append(SlowHelpline(slow, seconds))
        return made[-1]
    yield make
    for helpline in made:
        helpline.server.shutdown()
        helpline.server.server_close()


def test_a_try_with_no_answer_within_rt_is_cut_off_and_tried_again_with_the_same_token(slow_helpline):
    helpline = slow_helpline(slow=1)
    began = time.monotonic()

    status, _ = Helpline(HttpTransport(), AUTH_TOKEN).post(helpline.url + "#rt=300&rc=1&rp=rt", {"CallSid": "CA1"})

    assert status == 204                                  # the second try, answered at once
    assert time.monotonic() - began < 1.5                 # not the 2 s the first would have taken
    assert len(helpline.tokens) == 2 and len(set(helpline.tokens)) == 1


def test_a_slow_answer_is_waited_for_up_to_rt_and_a_cut_try_is_not_tried_again_unless_rp_names_rt(
        slow_helpline):
    helpline = slow_helpline(slow=2, seconds=0.5)

    assert Helpline(HttpTransport(), AUTH_TOKEN).post(helpline.url + "#rt=1500&rc=1&rp=rt", {})[0] == 204
    status, _ = Helpline(HttpTransport(), AUTH_TOKEN).post(helpline.url + "#rt=200&rc=1&rp=5xx", {})

    assert status == 0                                    # cut off at 0.2 s, and rp does not name rt
    assert len(helpline.tokens) == 2                      # one try each


def test_no_try_runs_past_tt_however_many_retries_are_asked_for(slow_helpline):
    helpline = slow_helpline(slow=10, seconds=3.0)
    began = time.monotonic()

    status, _ = Helpline(HttpTransport(), AUTH_TOKEN).post(helpline.url + "#rt=400&rc=5&rp=rt&tt=1000", {})

    assert status == 0                                    # never answered in time: Twilio's 11205
    assert time.monotonic() - began < 1.8                 # not 6 tries of 0.4 s, nor one of 3 s
    # At 0, 0.4 and 0.8 s, the third cut at 1.0 s; on a busy machine the third may not begin in time.
    assert len(helpline.tokens) in (2, 3)


def test_the_retry_fragment_the_helpline_adds_gives_each_try_6_s_to_answer_and_1_s_to_connect():
    assert try_timeouts("https://x/voice/status" + RETRY_ON_FAILURE) == (1.0, 6.0)
    assert try_timeouts("https://x/voice/status") == (5.0, 15.0)           # Twilio's defaults
    assert try_timeouts("https://x/a#ct=1&rt=99999") == (0.1, 15.0)        # brought inside the page's bounds
