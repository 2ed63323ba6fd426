"""The twilio library's dump of every REST request (method, URL, headers, body) stays out of the
helpline's log unless it logs at DEBUG: under `make run` it was more than half the lines."""
import logging

import pytest

from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from ivr.twilio.rest import BaseUrlHttpClient, TwilioApi

AUTH_TOKEN = "test-auth-token-0123456789abcdef"


class Nowhere:
    def post(self, url, params, headers):
        return 0, ""


@pytest.fixture
def api():
    sim = SimTwilio(Nowhere(), SimClock(50.0), AUTH_TOKEN)
    url = sim.serve()
    yield TwilioApi(ACCOUNT_SID, AUTH_TOKEN, http_client=BaseUrlHttpClient(url))
    sim.stop()


def dumps(caplog) -> list:
    """The library's dump lines, whichever logger they came through."""
    return [r for r in caplog.records if "Twilio API Request" in r.getMessage()
            or r.getMessage().startswith("Response Status Code")]


def test_at_info_the_helpline_logs_no_request_dumps(api, caplog):
    caplog.set_level(logging.INFO)
    api.account()
    assert dumps(caplog) == []


def test_at_debug_the_request_dumps_are_there_to_read(api, caplog):
    caplog.set_level(logging.DEBUG)
    api.account()
    assert dumps(caplog), "nothing of the twilio library's request was logged at DEBUG"
