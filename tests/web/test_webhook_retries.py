"""The callbacks the helpline's records rest on ask Twilio to retry them (its connection overrides),
and the simulated Twilio retries exactly as the docs say: only what `rp` names, `rc` more times,
the fragment neither sent nor signed."""
from __future__ import annotations

import pytest

from ivr.calls.links import Links
from ivr.calls.calling_back import CallbackLinks
from ivr.twilio.retries import RETRY_ON_FAILURE, retried
from ivr.sim.webhooks import Helpline, connection_overrides
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
