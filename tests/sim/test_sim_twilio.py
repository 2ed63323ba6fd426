"""The simulated Twilio on its own: an account places calls at its calls per second and queues the
rest, each call staying 'queued' until its turn ("1 CPS" by default:
https://www.twilio.com/docs/glossary/cps). Calls placed through the real REST adapter, over HTTP."""
from __future__ import annotations

import threading

import pytest

from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from ivr.sim.webhooks import Helpline
from ivr.twilio.rest import TwilioApi

AUTH_TOKEN = "sim-auth-token-0123456789abcdef"
HELPLINE = "+18005550100"
PHONES = ["+12025550121", "+12025550122", "+12025550123", "+12025550124"]
STATUS_URL = "https://helpline.example/voice/offer-status"
#: Simulated seconds per real second: slow enough that a request's real milliseconds stay small.
SPEED = 4.0


class InitiatedAt:
    """The helpline's side: when (simulated seconds) each call's 'initiated' callback came."""

    def __init__(self, clock: SimClock):
        self.clock, self.at, self.lock = clock, {}, threading.Lock()

    def post(self, url, params, headers):
        if params.get("CallStatus") == "initiated":
            with self.lock:
                self.at[params["CallSid"]] = self.clock.seconds()
        return 204, ""


@pytest.fixture
def account():
    clock = SimClock(speed=SPEED)
    initiated = InitiatedAt(clock)
    sim = SimTwilio(Helpline(initiated, AUTH_TOKEN), clock, AUTH_TOKEN, default_phone="no-answer")
    sim.serve()
    yield sim, initiated
    sim.stop()


@pytest.mark.parametrize("calls_per_second", [1, 2])
def test_calls_placed_at_once_start_one_per_slot_of_the_accounts_cps_and_wait_queued_until_then(
        account, calls_per_second):
    sim, initiated = account
    sim.calls_per_second = calls_per_second
    api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, base_url=sim.api_url)

    placing = sim.clock.seconds()
    legs = [api.ring(phone, HELPLINE, "https://helpline.example/voice/offer", STATUS_URL, 20, False,
                     fallback_url="https://helpline.example/voice/leg-fallback") for phone in PHONES]
    statuses = [api.leg_status(leg) for leg in legs]

    assert statuses[2:] == ["queued", "queued"]           # their turns are a second or more away
    sim.clock.sleep(len(PHONES) / calls_per_second + 1)
    assert sorted(initiated.at) == sorted(legs)
    slot = 1.0 / calls_per_second
    started = [initiated.at[leg] - placing for leg in legs]
    # The n-th call placed starts n slots after the first could, never sooner; and not much later
    # than n slots after the first did.
    assert all(seconds >= n * slot for n, seconds in enumerate(started)), started
    assert all(seconds - started[0] < n * slot + 1.0 for n, seconds in enumerate(started)), started
