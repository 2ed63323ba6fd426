"""A phone and a Twilio, in software: drives the real webhook and reports what a caller would hear.

Used by `ivr call` (staff trying an edited flow) and by the tests. It signs every request exactly
as Twilio does, follows <Gather>, <Redirect>, <Dial> and <Record> like Twilio, and treats the end
of a document without <Hangup> as what it is for a caller: being cut off.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from twilio.request_validator import RequestValidator

MAX_REQUESTS = 200


@dataclass
class Heard:
    kind: str            # say | play | pause | menu | dial | record | hangup | cut-off | error
    text: str = ""
    language: str = ""

    def __str__(self) -> str:
        if self.kind == "say":
            return f"[{self.language}] {self.text}"
        return f"({self.kind}{': ' + self.text if self.text else ''})"


class TestClientTransport:
    """Posts to the Flask app in this process (no server needed)."""

    def __init__(self, app):
        self.client = app.test_client()

    def post(self, url: str, params: dict, headers: dict):
        path = url.split("://", 1)[1]
        path = path[path.index("/"):] if "/" in path else "/"
        response = self.client.post(path, data=params, headers=headers, base_url=url.split(path)[0] or None)
        return response.status_code, response.get_data(as_text=True)


class HttpTransport:
    """Posts over real HTTP to a running helpline."""

    def __init__(self, timeout: float = 15):
        import requests

        self.session = requests.Session()
        self.timeout = timeout

    def post(self, url: str, params: dict, headers: dict):
        response = self.session.post(url, data=params, headers=headers, timeout=self.timeout)
        return response.status_code, response.text


@dataclass
class Phone:
    transport: object
    auth_token: str
    base_url: str = "http://localhost"
    from_number: str = "+15550100123"
    to_number: str = "+18005550100"
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    dial_outcome: str = "completed"         # what Twilio reports when a <Dial> ends
    heard: list = field(default_factory=list)
    requests: list = field(default_factory=list)   # (url, params, status)

    def post(self, url: str, extra: dict | None = None):
        params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number,
                  "To": self.to_number, "CallStatus": "in-progress", "Direction": "inbound",
                  "ApiVersion": "2010-04-01", **(extra or {})}
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        status, body = self.transport.post(url, params, {"X-Twilio-Signature": signature})
        self.requests.append((url, params, status))
        return status, body

    def call(self, answer, on_heard=None) -> list:
        """Ring the helpline; `answer(menu_heard)` returns a key, 'say:words', '' for silence or None to hang up."""
        url = urljoin(self.base_url, "/voice/incoming")
        extra: dict | None = None
        for _ in range(MAX_REQUESTS):
            status, body = self.post(url, extra)
            if status != 200:
                return self._hear(Heard("error", f"HTTP {status} from {url}"), on_heard)
            try:
                document = ET.fromstring(body)
            except ET.ParseError as error:
                return self._hear(Heard("error", f"not TwiML: {error}"), on_heard)
            nxt = self._follow(document, url, answer, on_heard)
            if nxt is None:
                return self.heard
            url, extra = nxt
        return self._hear(Heard("error", f"gave up after {MAX_REQUESTS} requests"), on_heard)

    def _hear(self, heard: Heard, on_heard):
        self.heard.append(heard)
        if on_heard:
            on_heard(heard)
        return self.heard

    def _speak(self, verb, on_heard):
        if verb.tag == "Say":
            self._hear(Heard("say", (verb.text or "").strip(), verb.get("language", "")), on_heard)
        elif verb.tag == "Play":
            self._hear(Heard("play", (verb.text or "").strip()), on_heard)
        elif verb.tag == "Pause":
            self._hear(Heard("pause", verb.get("length", "1") + "s"), on_heard)

    def _follow(self, document, url, answer, on_heard):
        """Run one TwiML document; return the next (url, params) to post, or None when the call ends."""
        for verb in document:
            if verb.tag in ("Say", "Play", "Pause"):
                self._speak(verb, on_heard)
            elif verb.tag == "Gather":
                for child in verb:
                    self._speak(child, on_heard)
                self._hear(Heard("menu", verb.get("input", "dtmf")), on_heard)
                reply = answer(self.heard)
                if reply is None:
                    self._hear(Heard("hangup", "the caller hung up"), on_heard)
                    return None
                if reply == "":
                    continue                          # silence: on to the next verb, like Twilio
                action = urljoin(url, verb.get("action", url))
                if reply.startswith("say:"):
                    return action, {"SpeechResult": reply[4:], "Confidence": "0.9"}
                return action, {"Digits": reply}
            elif verb.tag == "Redirect":
                return urljoin(url, (verb.text or "").strip()), {}
            elif verb.tag == "Dial":
                numbers = [n.text.strip() for n in verb.findall("Number")] or [(verb.text or "").strip()]
                self._hear(Heard("dial", ", ".join(numbers)), on_heard)
                self._ring(verb, url)
                if verb.get("action"):
                    return urljoin(url, verb.get("action")), {"DialCallStatus": self.dial_outcome}
                if self.dial_outcome == "completed":
                    return None
            elif verb.tag == "Record":
                self._hear(Heard("record", f"up to {verb.get('maxLength', '3600')}s"), on_heard)
                return urljoin(url, verb.get("action", url)), {
                    "RecordingUrl": "https://api.twilio.com/recording/RE" + "0" * 32,
                    "RecordingDuration": "12"}
            elif verb.tag == "Enqueue":
                return self._hold(verb, url, answer, on_heard)
            elif verb.tag == "Hangup":
                self._hear(Heard("hangup"), on_heard)
                return None
            else:
                self._hear(Heard("error", f"unknown verb <{verb.tag}>"), on_heard)
                return None
        self._hear(Heard("cut-off", "the document ended without a goodbye: Twilio hangs up"), on_heard)
        return None


    def _ring(self, dial, url) -> None:
        """The professionals' side of a <Dial>, as Twilio reports it: the first one answers, hears the
        whisper and presses 1 (when the outcome is 'completed'), or nobody picks up."""
        for position, number in enumerate(dial.findall("Number")):
            leg = "CA" + uuid.uuid4().hex
            if self.dial_outcome == "completed" and position == 0 and number.get("url"):
                whisper_url = urljoin(url, number.get("url"))
                _, body = self.post(whisper_url, {"CallSid": leg})
                gather = ET.fromstring(body).find("Gather")
                if gather is not None and gather.get("action"):
                    self.post(urljoin(whisper_url, gather.get("action")), {"CallSid": leg, "Digits": "1"})
            if number.get("statusCallback"):
                status = "completed" if self.dial_outcome == "completed" and position == 0 else (
                    "canceled" if self.dial_outcome == "completed" else self.dial_outcome)
                self.post(urljoin(url, number.get("statusCallback")), {"CallSid": leg, "CallStatus": status})

    def _hold(self, enqueue, url, answer, on_heard):
        """Waiting in a Twilio queue: ask the waitUrl again and again, as the music ends."""
        self._hear(Heard("hold", (enqueue.text or "").strip()), on_heard)
        wait_url, action = urljoin(url, enqueue.get("waitUrl")), urljoin(url, enqueue.get("action"))
        waited = 0
        for _ in range(MAX_REQUESTS // 4):
            queue = {"QueuePosition": "1", "QueueTime": str(waited), "AvgQueueTime": str(waited),
                     "CurrentQueueSize": "1"}
            _, body = self.post(wait_url, queue)
            result = self._wait(ET.fromstring(body), wait_url, answer, on_heard)
            if result == "hangup":
                self.post(action, {"QueueResult": "hangup", "QueueTime": str(waited)})
                return None
            if result == "leave":
                return action, {"QueueResult": "leave", "QueueTime": str(waited)}
            waited += 30                       # the hold music lasts about that long
        return action, {"QueueResult": "leave", "QueueTime": str(waited)}

    def _wait(self, document, url, answer, on_heard):
        for verb in document:
            if verb.tag in ("Say", "Play", "Pause"):
                self._speak(verb, on_heard)
            elif verb.tag == "Leave":
                return "leave"
            elif verb.tag == "Hangup":
                return "hangup"
            elif verb.tag == "Gather":
                for child in verb:
                    self._speak(child, on_heard)
                self._hear(Heard("menu", "on hold"), on_heard)
                reply = answer(self.heard)
                if reply is None:
                    self._hear(Heard("hangup", "the caller hung up"), on_heard)
                    return "hangup"
                if reply:
                    _, body = self.post(urljoin(url, verb.get("action")), {"Digits": reply})
                    return self._wait(ET.fromstring(body), url, answer, on_heard)
        return None


def scripted(inputs: list):
    """An `answer` that replays the given inputs, then hangs up."""
    remaining = list(inputs)

    def answer(_heard):
        if not remaining:
            return None
        token = remaining.pop(0).strip()
        return "" if token.lower() in ("wait", "silence", "-") else token
    return answer
