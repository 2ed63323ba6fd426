"""The status callbacks carry connection overrides in their fragment, and no Twilio page says
whether Twilio signs the URL with it or without it: the helpline accepts either form, and no
other fragment. The fragment's own numbers fit the total time Twilio allows them."""
from __future__ import annotations

import pytest

from ivr.calls.links import Links
from ivr.calls.calling_back import CallbackLinks
from ivr.sim.phone import HttpTransport
from ivr.twilio.retries import RETRY_ON_FAILURE, retried
from ivr.sim.webhooks import Helpline, connection_overrides
from like_twilio import AUTH_TOKEN, SHARED_KEY_ID, SHARED_KEY_SECRET, call_params, signed_post

SHA256_SETTINGS = {"X-Twilio-Webhooks-Signature-Settings": f"key={SHARED_KEY_ID},algorithm=HMAC_SHA256"}
SCHEMES = [pytest.param({}, None, id="auth-token-sha1"),
           pytest.param(SHA256_SETTINGS, "HMAC_SHA256", id="sharedkey-sha256")]


def callback_urls(base: str) -> list:
    """Every URL the helpline gives Twilio with its fragment: a leg's, a callback leg's, the number's."""
    return [Links(base).offer_status("0" * 32), CallbackLinks(base).status(7), retried(f"{base}/voice/status")]


def status_params() -> dict:
    return call_params(CallStatus="completed", CallDuration="12", Direction="outbound-api")


def secret_for(headers: dict) -> str:
    return SHARED_KEY_SECRET if headers else AUTH_TOKEN


def test_every_url_given_with_a_fragment_carries_the_one_fragment_the_helpline_accepts():
    assert all(url.endswith(RETRY_ON_FAILURE) for url in callback_urls("https://line.example"))


@pytest.mark.parametrize("headers, algorithm", SCHEMES)
@pytest.mark.parametrize("n", range(3), ids=["leg-status", "callback-leg", "number-status"])
def test_a_status_callback_signed_over_its_url_with_the_fragment_is_accepted(live_server, n, headers, algorithm):
    given = callback_urls(live_server.url)[n]
    sent = given.split("#")[0]

    response = signed_post(sent, status_params(), token=secret_for(headers), headers=headers,
                           algorithm=algorithm, signed_url=given)

    assert response.status_code == 204, response.text


@pytest.mark.parametrize("headers, algorithm", SCHEMES)
@pytest.mark.parametrize("n", range(3), ids=["leg-status", "callback-leg", "number-status"])
def test_a_status_callback_signed_over_its_url_without_the_fragment_is_accepted(live_server, n, headers, algorithm):
    sent = callback_urls(live_server.url)[n].split("#")[0]

    response = signed_post(sent, status_params(), token=secret_for(headers), headers=headers, algorithm=algorithm)

    assert response.status_code == 204, response.text


@pytest.mark.parametrize("fragment", ["#ct=2000&rt=6000&rc=3&rp=ct,rt,5xx", "#rc=5&rp=all", "#", "#x"])
@pytest.mark.parametrize("headers, algorithm", SCHEMES)
def test_a_status_callback_signed_with_another_fragment_is_refused(live_server, fragment, headers, algorithm):
    sent = Links(live_server.url).offer_status("0" * 32).split("#")[0]

    response = signed_post(sent, status_params(), token=secret_for(headers), headers=headers,
                           algorithm=algorithm, signed_url=sent + fragment)

    assert response.status_code == 403


def test_the_fragment_does_not_open_a_route_signed_for_another_url(live_server):
    other = Links(live_server.url).offer_status("1" * 32)
    sent = Links(live_server.url).offer_status("0" * 32).split("#")[0]

    response = signed_post(sent, status_params(), signed_url=other)

    assert response.status_code == 403


# -- the simulator plays both readings --------------------------------------------------------------
class Kept:
    def __init__(self):
        self.headers = []

    def post(self, url, params, headers):
        self.headers.append(headers["X-Twilio-Signature"])
        return 204, ""


@pytest.mark.parametrize("signs, signed_over_fragment", [
    ("never", [False, False, False, False]), ("always", [True, True, True, True]),
    ("alternate", [False, True, False, True])])
def test_simulated_twilio_signs_a_fragment_url_as_told_and_never_sends_the_fragment(signs, signed_over_fragment):
    from twilio.request_validator import RequestValidator

    transport = Kept()
    helpline = Helpline(transport, AUTH_TOKEN, signs_fragment=signs)
    url = "https://line/voice/offer-status?offer=1" + RETRY_ON_FAILURE
    for _ in range(4):
        helpline.post(url, status_params())

    with_fragment = RequestValidator(AUTH_TOKEN).compute_signature(url, status_params())
    assert [signature == with_fragment for signature in transport.headers] == signed_over_fragment
    assert all("#" not in sent for sent, _, _ in helpline.log)


@pytest.mark.parametrize("signs", ["never", "always", "alternate"])
def test_the_helpline_accepts_every_status_callback_whichever_way_simulated_twilio_signs_it(live_server, signs):
    helpline = Helpline(HttpTransport(), AUTH_TOKEN, signs_fragment=signs)

    answers = [helpline.post(url, status_params())[0] for url in callback_urls(live_server.url) * 2]

    assert answers == [204] * 6


# -- the fragment's numbers -------------------------------------------------------------------------
def test_the_retry_fragment_fits_its_total_timeout_by_the_overrides_pages_arithmetic():
    """https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides: tt is "the total
    time allowed for all timeouts including retries" (at most 15000 ms); a try waits at most ct to
    connect and rt for the answer, and there are 1 + rc tries."""
    settings = dict(pair.split("=") for pair in RETRY_ON_FAILURE.lstrip("#").split("&"))
    connect, read, total, retries = (int(settings[key]) for key in ("ct", "rt", "tt", "rc"))

    assert 100 <= connect <= 10000 and 100 <= read <= 15000 and 100 <= total <= 15000 and 0 <= retries <= 5
    assert (1 + retries) * (connect + read) <= total
    assert read > 5000                   # longer than SQLite's wait for a lock: a locked database answers 503
    assert {"ct", "rt", "5xx"} <= set(settings["rp"].split(","))


class Slow:
    """A helpline that answers 503 after `seconds` on the simulated Twilio's clock."""

    def __init__(self, seconds: float):
        self.seconds, self.now, self.tries = seconds, 0.0, 0

    def clock(self) -> float:
        return self.now

    def post(self, url, params, headers):
        self.tries += 1
        self.now += self.seconds
        return 503, ""


@pytest.mark.parametrize("fragment, seconds, tries", [
    ("#rc=5&rp=5xx", 4.0, 4),             # 4 s each: the fourth try ends past the default 15 s
    ("#rc=5&rp=5xx&tt=9000", 4.0, 3),
    ("#rc=5&rp=5xx&tt=100", 0.01, 6),     # quick failures: every retry asked for
    (RETRY_ON_FAILURE, 7.0, 2),
])
def test_simulated_twilio_starts_no_try_once_the_total_time_is_spent(fragment, seconds, tries):
    helpline_side = Slow(seconds)
    Helpline(helpline_side, AUTH_TOKEN, wall_seconds=helpline_side.clock).post("https://line/voice/status" + fragment, {})

    assert helpline_side.tries == tries


def test_the_overrides_total_time_is_read_within_the_pages_bounds():
    assert connection_overrides("https://x/y#tt=50")[3] == 100
    assert connection_overrides("https://x/y#tt=99999")[3] == 15000
    assert connection_overrides("https://x/y#tt=nine")[3] == 15000
