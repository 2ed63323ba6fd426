"""What Twilio does to the helpline, for the web tests: sign requests, post them, read the TwiML.

`signed_post` is the one helper that signs a request exactly as Twilio does (HMAC over the full
URL and the sorted POST parameters); `client_post` does the same through the in-process client.
Nothing here switches signature checking off: every request a test wants answered is signed.
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import requests
from twilio.request_validator import RequestValidator

from ivr.sim.phone import HttpTransport
from ivr.sim.webhooks import Helpline

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SHARED_KEY_ID = "webhooks_sharedkey_test"
SHARED_KEY_SECRET = "shared-key-secret-fedcba9876543210"
BACKUP_LINE = "+15005550006"
CALLER = "+15017122661"
#: The numbers of the shipped (demo) roster: a connect step rings some of them.
ROSTER_PHONES = {p.phone for p in __import__("ivr.calls.routing.roster", fromlist=["load_roster"]).load_roster(
    __import__("pathlib").Path(__file__).resolve().parents[2] / "flows" / "roster.yaml")[0].professionals}
#: What Twilio sends with every voice webhook (CallSid is added per call).
CALL_PARAMS = {"AccountSid": "AC" + "0" * 32, "From": CALLER, "To": "+18005550100",
               "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}
#: Every TwiML verb (and noun) the helpline may answer with.
TWIML_VERBS = {"Say", "Play", "Pause", "Gather", "Redirect", "Dial", "Number", "Record", "Hangup", "Enqueue",
               "Leave", "Conference",
               # SSML inside <Say> (https://www.twilio.com/docs/voice/twiml/say/text-speech)
               "say-as", "sub", "phoneme"}


def twilio_signature(url: str, params: dict, token: str = AUTH_TOKEN, algorithm: str | None = None) -> str:
    """X-Twilio-Signature for a POST of `params` to `url`, as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, params, algorithm=algorithm)


def signed_post(url: str, params: dict | None = None, token: str = AUTH_TOKEN, headers: dict | None = None,
                algorithm: str | None = None, signed_url: str | None = None,
                signed_params: dict | None = None) -> requests.Response:
    """POST like Twilio, over HTTP. The signature covers `signed_url` and `signed_params`, which
    are what is sent unless a test replays or tampers with a request."""
    params = dict(params or {})
    signature = twilio_signature(signed_url or url, params if signed_params is None else signed_params,
                                 token, algorithm)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature, **(headers or {})},
                         timeout=15, allow_redirects=False)


def client_post(client, url: str, params: dict | None = None, token: str = AUTH_TOKEN):
    """The same signed POST through Flask's in-process test client (`url` is the full URL)."""
    params = dict(params or {})
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    return client.post(path, data=params, base_url=f"{parts.scheme}://{parts.netloc}",
                       headers={"X-Twilio-Signature": twilio_signature(url, params, token)})


def parse_twiml(text: str) -> ET.Element:
    document = ET.fromstring(text)
    assert document.tag == "Response", text
    return document


def spoken(element: ET.Element) -> list:
    """The words of every <Say> in the document, in order, including those inside a <Gather> and
    those inside SSML (<say-as> for 911)."""
    return ["".join(say.itertext()).strip() for say in element.iter("Say")]


def wait_for(condition, timeout: float = 3.0):
    """Call records are written by a background thread: poll until `condition()` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def call_params(call_sid: str = "CA" + "1" * 32, **extra) -> dict:
    """The parameters of one of Twilio's voice webhooks for the call `call_sid`, plus `extra`."""
    return {**CALL_PARAMS, "CallSid": call_sid, **extra}


def problems_for_a_caller(document: ET.Element) -> list:
    """What would go wrong for a caller hearing this TwiML; empty when nothing would.

    Twilio runs the verbs in order and hangs up at the end of the document; after a <Gather> or
    <Record> that got no input it goes on to the next verb. So a caller is never cut off only if
    every <Record> is followed by a <Redirect>, every <Gather> by a verb (a <Redirect> that asks
    again, or the step's own <Enqueue>, <Record>, <Dial> or <Hangup> that silence runs on into),
    and the document ends with <Hangup>, <Redirect>, or a <Dial> whose action says what happens
    when the conversation ends.
    """
    problems = [f"unknown TwiML <{element.tag}>" for element in document.iter()
                if element is not document and element.tag not in TWIML_VERBS]
    verbs = list(document)
    for position, verb in enumerate(verbs):
        if verb.tag in ("Gather", "Record"):
            following = verbs[position + 1] if position + 1 < len(verbs) else None
            if following is None or (verb.tag == "Record" and following.tag != "Redirect"):
                problems.append(f"<{verb.tag}> is not followed by a <Redirect>: silence would end the call")
            if not verb.get("action"):
                problems.append(f"<{verb.tag}> has no action")
        if verb.tag == "Redirect" and not (verb.text or "").strip():
            problems.append("<Redirect> has no URL")
        if verb.tag == "Dial" and not ((verb.text or "").strip() or verb.findall("Number")):
            problems.append("<Dial> has no number")
    if not verbs:
        problems.append("an empty document: Twilio hangs up on the caller")
    else:
        last = verbs[-1]
        # <Leave> ends a hold page: the queue's action says where the caller goes.
        ends_well = last.tag in ("Hangup", "Redirect", "Leave") or (last.tag in ("Dial", "Enqueue") and last.get("action"))
        if not ends_well:
            problems.append(f"the document ends with <{last.tag}>: the caller would be cut off")
    return problems


def dialed_numbers(document: ET.Element) -> list:
    return [number.strip() for dial in document.iter("Dial")
            for number in ([n.text or "" for n in dial.findall("Number")] or [dial.text or ""])]


class Recorded(Helpline):
    """How Twilio reaches the helpline, keeping each webhook request with the helpline's answer."""

    def __init__(self):
        super().__init__(HttpTransport(), AUTH_TOKEN)
        self.exchanges: list = []          # (url, params, status, body)

    def post(self, url: str, params: dict) -> tuple:
        status, body = super().post(url, params)
        self.exchanges.append((url, dict(params), status, body))
        return status, body
