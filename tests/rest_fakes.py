"""Twilio answering the REST adapter as a test needs: the twilio library's own pluggable HTTP client
as a recorder that answers each request in turn and keeps what was sent, Twilio's error bodies, and
the numbers and URLs the REST tests share (tests/twilio, and the notices' tests that need a refusal)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from twilio.http import HttpClient
from twilio.http.response import Response

from ivr.sim.state import ACCOUNT_SID
from ivr.twilio.rest import TwilioApi

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNTS = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
PROFESSIONAL, HELPLINE = "+12025550101", "+18005550100"
WHISPER_URL = "https://helpline.example/voice/offer?offer=0f1e"
STATUS_URL = "https://helpline.example/voice/offer-status?offer=0f1e"
FALLBACK_URL = "https://helpline.example/voice/leg-fallback?offer=0f1e&lang=en"
BRIDGE_URL = "https://helpline.example/voice/bridge?at=main:wait-for-someone&lang=en&tries=0"
LEG, CALLER, QUEUE = "CA" + "a" * 32, "CA" + "c" * 32, "QU" + "q" * 32


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    params: dict | None
    data: dict | None
    auth: tuple | None


class Recorder(HttpClient):
    """The twilio library's HTTP client, answering each request with the next of `answers` (a
    (status, body) pair, or an exception to raise) and keeping what was sent."""

    def __init__(self, *answers):
        super().__init__(logging.getLogger("tests.twilio_api"), is_async=False)
        self.answers = list(answers)
        self.sent: list = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        self.sent.append(Sent(method, uri, params, data, auth))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return Response(status, json.dumps(body))


def call_resource(sid: str = LEG, status: str = "queued") -> dict:
    return {"sid": sid, "account_sid": ACCOUNT_SID, "status": status, "to": PROFESSIONAL, "from": HELPLINE,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json"}


def twilio_error(status: int, code: int) -> tuple:
    return status, {"code": code, "message": "refused", "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}


def api_with(*answers) -> tuple:
    recorder = Recorder(*answers)
    return TwilioApi(ACCOUNT_SID, AUTH_TOKEN, http_client=recorder), recorder
