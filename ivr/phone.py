"""A caller's phone and Twilio's handling of their call, in software: drives the real webhook and
reports what a caller would hear.

Used by `ivr call` (staff trying an edited flow) and by the tests. Every request is signed exactly
as Twilio signs it. It follows <Gather>, <Redirect>, <Dial>, <Record>, <Enqueue> (the waitUrl
asked again whenever its document ends, <Leave>, a REST dequeue) and <Conference>, and treats the
end of a document without <Hangup> as what it is for a caller: being cut off. The professionals'
side — REST-placed legs, whispers, voicemail boxes — is played by `ivr.sim`.
"""
from __future__ import annotations

import io
import uuid
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from .sim.clock import SimClock
from .sim.twilio import Helpline, SimTwilio

MAX_REQUESTS = 400
SAY_WORDS_PER_SECOND = 2.5


@dataclass
class Heard:
    kind: str            # say | play | pause | menu | dial | record | hold | talk | hangup | cut-off | error
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

    def get(self, url: str) -> bytes:
        path = url.split("://", 1)[1]
        return self.client.get(path[path.index("/"):]).get_data()


class HttpTransport:
    """Posts over real HTTP to a running helpline."""

    def __init__(self, timeout: float = 15):
        import requests

        self.session = requests.Session()
        self.timeout = timeout

    def post(self, url: str, params: dict, headers: dict):
        response = self.session.post(url, data=params, headers=headers, timeout=self.timeout)
        return response.status_code, response.text

    def get(self, url: str) -> bytes:
        return self.session.get(url, timeout=self.timeout).content


@dataclass
class Phone:
    transport: object
    auth_token: str
    base_url: str = "http://localhost"
    from_number: str = "+15550100123"
    to_number: str = "+18005550100"
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    twilio: SimTwilio | None = None          # the simulated Twilio the helpline's REST API reaches
    clock: SimClock | None = None
    heard: list = field(default_factory=list)
    requests: list = field(default_factory=list)   # (url, params, status)

    def __post_init__(self):
        if self.twilio is None:
            self.clock = self.clock or SimClock(speed=1000.0)
            self.twilio = SimTwilio(Helpline(self.transport, self.auth_token), self.clock, self.auth_token)
        self.clock = self.twilio.clock
        self._durations: dict = {}

    def post(self, url: str, extra: dict | None = None):
        params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number,
                  "To": self.to_number, "CallStatus": "in-progress", "Direction": "inbound",
                  "ApiVersion": "2010-04-01", **(extra or {})}
        status, body = self.twilio.helpline.post(url, params)
        self.requests.append((url, params, status))
        return status, body

    def call(self, answer, on_heard=None) -> list:
        """Ring the helpline; `answer(heard)` returns a key, 'say:words', '' for silence or None to hang up."""
        self._answer, self._on_heard = answer, on_heard
        self.leg = self.twilio.incoming_call(self.call_sid, self.from_number, self.to_number)
        url = urljoin(self.base_url, "/voice/incoming")
        extra: dict | None = None
        try:
            for _ in range(MAX_REQUESTS):
                document = self._fetch(url, extra)
                if document is None:
                    return self.heard
                nxt = self._follow(document, url)
                if nxt is None:
                    return self.heard
                url, extra = nxt
            return self._hear(Heard("error", f"gave up after {MAX_REQUESTS} requests"))
        finally:
            self._ended()

    def _ended(self) -> None:
        """The call is over: Twilio sends the number's status callback (completed)."""
        self.twilio.progress(self.leg, "completed", "completed")
        self.post(urljoin(self.base_url, "/voice/status"),
                  {"CallStatus": "completed", "CallDuration": str(int(self.clock.seconds() - self.leg.started))})

    def _fetch(self, url, extra):
        status, body = self.post(url, extra)
        if status != 200:
            self._hear(Heard("error", f"HTTP {status} from {url}"))
            return None
        try:
            return ET.fromstring(body)
        except ET.ParseError as error:
            self._hear(Heard("error", f"not TwiML: {error}"))
            return None

    def _hear(self, heard: Heard):
        self.heard.append(heard)
        if self._on_heard:
            self._on_heard(heard)
        return self.heard

    def _speak(self, verb, url, interrupt=None) -> bool:
        """Hear a Say, Play or Pause, taking the time it takes; True if `interrupt` cut it short."""
        if verb.tag == "Say":
            self._hear(Heard("say", (verb.text or "").strip(), verb.get("language", "")))
            seconds = len((verb.text or "").split()) / SAY_WORDS_PER_SECOND
        elif verb.tag == "Play":
            self._hear(Heard("play", (verb.text or "").strip()))
            seconds = self._duration(urljoin(url, (verb.text or "").strip()))
        elif verb.tag == "Pause":
            self._hear(Heard("pause", verb.get("length", "1") + "s"))
            seconds = float(verb.get("length", "1"))
        else:
            return False
        return self.clock.sleep(seconds, interrupt)

    def _duration(self, url: str) -> float:
        if url not in self._durations:
            try:
                with wave.open(io.BytesIO(self.transport.get(url))) as recording:
                    self._durations[url] = recording.getnframes() / recording.getframerate()
            except (OSError, wave.Error, EOFError, AttributeError):
                self._durations[url] = 10.0
        return self._durations[url]

    def _follow(self, document, url):
        """Run one TwiML document; return the next (url, params) to post, or None when the call ends."""
        for verb in document:
            if verb.tag in ("Say", "Play", "Pause"):
                self._speak(verb, url)
            elif verb.tag == "Gather":
                reply = self._gather(verb, url)
                if reply is None:
                    return None
                if reply:
                    return reply
            elif verb.tag == "Redirect":
                return urljoin(url, (verb.text or "").strip()), {}
            elif verb.tag == "Dial":
                return self._dial(verb, url)
            elif verb.tag == "Record":
                self._hear(Heard("record", f"up to {verb.get('maxLength', '3600')}s"))
                return urljoin(url, verb.get("action", url)), {
                    "RecordingUrl": "https://api.twilio.com/recording/RE" + "0" * 32, "RecordingDuration": "12"}
            elif verb.tag == "Enqueue":
                return self._hold(verb, url)
            elif verb.tag == "Hangup":
                self._hear(Heard("hangup"))
                return None
            else:
                self._hear(Heard("error", f"unknown verb <{verb.tag}>"))
                return None
        self._hear(Heard("cut-off", "the document ended without a goodbye: Twilio hangs up"))
        return None

    def _gather(self, verb, url, interrupt=None):
        """None: the caller hung up; '': silence (on to the next verb); else (action, params)."""
        for child in verb:
            if self._speak(child, url, interrupt):
                return ""
        if interrupt is None:
            kind = verb.get("input", "dtmf")
        else:       # a hold page: one that tells the caller their choices, or the ringing tone
            kind = "on hold" if any(child.tag == "Say" for child in verb) else "ringing"
        self._hear(Heard("menu", kind))
        reply = self._answer(self.heard)
        if reply is None:
            self._hear(Heard("hangup", "the caller hung up"))
            return None
        if reply == "":
            return ""
        action = urljoin(url, verb.get("action", url))
        if reply.startswith("say:"):
            return action, {"SpeechResult": reply[4:], "Confidence": "0.9"}
        return action, {"Digits": reply}

    def _dial(self, verb, url):
        conference = verb.find("Conference")
        action = urljoin(url, verb.get("action")) if verb.get("action") else None
        if conference is not None:
            return self._talk(conference, action)
        numbers = [n.text.strip() for n in verb.findall("Number")] or [(verb.text or "").strip()]
        self._hear(Heard("dial", ", ".join(numbers)))
        # A number outside the helpline (the backup line) answers and talks.
        if action:
            return action, {"DialCallStatus": "completed", "DialCallDuration": "60"}
        return None

    def _talk(self, room, action):
        conference = self.twilio.join(self.leg, (room.text or "").strip(),
                                      room.get("endConferenceOnExit", "false") == "true")
        self._hear(Heard("talk", (room.text or "").strip()))
        conference.over.wait(timeout=600 / max(1.0, self.clock.speed) + 5)
        self.twilio.leave(self.leg, conference)
        if action:
            return action, {"DialCallStatus": "completed" if conference.talked else "no-answer"}
        return None

    def _hold(self, enqueue, url):
        """Waiting in a Twilio queue: the waitUrl, asked again whenever its document ends."""
        name = (enqueue.text or "").strip()
        self._hear(Heard("hold", name))
        queue = self.twilio.enqueue(self.leg, name)
        wait_url, action = urljoin(url, enqueue.get("waitUrl")), urljoin(url, enqueue.get("action"))
        page = wait_url
        for _ in range(MAX_REQUESTS):
            if self.leg.dequeue_url:
                return self._dequeued(action, queue)
            status, body = self.post(page, self.twilio.queue_params(self.leg, queue))
            try:
                document = ET.fromstring(body) if status == 200 else None
            except ET.ParseError:
                document = None
            if document is None:
                # Twilio treats a broken waitUrl as the end of the wait: on to the action.
                self.twilio.leave_queue(self.leg)
                return action, {"QueueResult": "error", "QueueSid": queue.sid}
            outcome = self._wait(document, page)
            if outcome == "hangup":
                params = {"QueueResult": "hangup", **self._stay(queue)}
                self.twilio.leave_queue(self.leg)
                self.post(action, params)
                return None
            if outcome == "leave":
                params = {"QueueResult": "leave", **self._stay(queue)}
                self.twilio.leave_queue(self.leg)
                return action, params
            page = outcome if isinstance(outcome, str) and outcome.startswith("http") else wait_url
        return self._hear(Heard("error", "on hold for too long")) and None

    def _stay(self, queue) -> dict:
        params = self.twilio.queue_params(self.leg, queue)
        return {"QueueSid": queue.sid, "QueueTime": params["QueueTime"]}

    def _dequeued(self, action, queue):
        """A REST request took the caller out: the action is requested "right away"
        (https://www.twilio.com/docs/voice/twiml/enqueue) and the call runs the Member's Url."""
        self.post(action, {"QueueResult": "redirected", "QueueSid": queue.sid})
        return self.leg.dequeue_url, {}

    def _wait(self, document, url):
        """Run a waitUrl document: 'leave', 'hangup', a URL to fetch next (a Redirect or a key's
        action), or None when it ran out (Twilio asks the waitUrl again)."""
        for verb in document:
            if self.leg.dequeue_url:
                return None
            if verb.tag in ("Say", "Play", "Pause"):
                self._speak(verb, url, self.leg.wake)
            elif verb.tag == "Leave":
                return "leave"
            elif verb.tag == "Hangup":
                return "hangup"
            elif verb.tag == "Redirect":
                return urljoin(url, (verb.text or "").strip())
            elif verb.tag == "Gather":
                reply = self._gather(verb, url, self.leg.wake)
                if self.leg.dequeue_url:
                    return None
                if reply is None:
                    return "hangup"
                if reply:
                    key_url, params = reply
                    status, body = self.post(key_url, params | self._queue_params())
                    return self._wait(ET.fromstring(body), key_url) if status == 200 else None
        return None

    def _queue_params(self) -> dict:
        for queue in self.twilio.queues.values():
            if any(sid == self.call_sid for sid, _ in queue.members):
                return self.twilio.queue_params(self.leg, queue)
        return {}


def scripted(inputs: list):
    """An `answer` that replays the given inputs, then hangs up. While professionals' phones ring
    the caller listens; on hold they stay silent and wait, unless the next input is for the hold
    page: 'hold:2' (a key), 'hold:say:words', 'hold:hangup'."""
    remaining = [token.strip() for token in inputs]

    def answer(heard):
        waiting = bool(heard) and heard[-1].kind == "menu" and heard[-1].text in ("on hold", "ringing")
        if waiting and heard[-1].text == "ringing":
            return ""                  # while phones ring, the caller listens
        if waiting:
            if not remaining or not remaining[0].startswith("hold:"):
                return ""
            token = remaining.pop(0)[len("hold:"):]
            return None if token == "hangup" else token
        if not remaining:
            return None
        token = remaining.pop(0)
        return "" if token.lower() in ("wait", "silence", "-") else token
    return answer
