"""A caller's phone and Twilio's handling of their call, in software: drives the real webhook and
reports what a caller would hear.

Used by `ivr call` (staff trying an edited flow) and by the tests. Every request is signed exactly
as Twilio signs it. It follows <Gather>, <Redirect>, <Dial>, <Record>, <Enqueue> (the waitUrl
asked again whenever its document ends, <Leave>, a REST dequeue) and <Conference>, and treats the
end of a document without <Hangup> as what it is for a caller: being cut off. The professionals'
side — REST-placed legs, whispers, voicemail boxes — is played by `ivr.sim`.

A <Gather> followed by a <Redirect> (or by nothing) is a menu: at its end the caller is asked for
an answer. One followed by another verb — the words before <Enqueue>, <Record> or <Hangup> —
only lets keys work while we speak: nobody is asked anything, and silence runs on into that verb.

A caller may also press keys or speak *while* a prompt plays (barge-in). Inside a <Gather> that
takes that input, Twilio stops the prompt, skips the Gather's other nested verbs and requests its
action with Digits (or SpeechResult); outside one nothing listens and the key is lost while the
caller hears on — kept as Heard("ignored-key") (or "ignored-words"). A scripted answer (`scripted`)
says when, with a token `ANSWER@WHEN`:

    0@during:emergency   press 0 during the first Say or Play from now on whose text (for a
                         recording, its file name) contains these words, case and spacing aside
    say:overdose@during:thank you for calling
                         say the words during it instead
    3@2                  press 3 during the 2nd Say or Play of the next TwiML document

Such a token takes its turn like any other: the answers before it are used first. A caller still
waiting for the prompt they mean to interrupt hangs up at the next menu, so a script whose prompt
never comes ends there instead of wandering on.
"""
from __future__ import annotations

import io
import time
import uuid
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from .clock import SimClock

MAX_REQUESTS = 400
SAY_WORDS_PER_SECOND = 2.5
RECORDED_SECONDS = 12                # how long a caller speaks into a <Record>


@dataclass
class Heard:
    # say | play | pause | menu | dial | record | hold | talk | hangup | cut-off | error, and while a
    # prompt plays: barge-in (a <Gather> took the key or words) | ignored-key | ignored-words (lost)
    kind: str
    text: str = ""
    language: str = ""
    document: int = field(default=0, compare=False)   # which TwiML document of the call (1, 2, ...)
    position: int = field(default=0, compare=False)   # which Say or Play of that document (1, 2, ...)

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

    def post_within(self, url: str, params: dict, headers: dict, connect: float, read: float):
        """One try of a webhook cut off as Twilio cuts it: ConnectionError when no connection was
        made within `connect` seconds (or it was refused), TimeoutError when no answer came within
        `read` seconds of it."""
        import requests

        try:
            response = self.session.post(url, data=params, headers=headers, timeout=(connect, read))
        except requests.ConnectTimeout as error:
            raise ConnectionError(f"no connection within {connect} s") from error
        except requests.ReadTimeout as error:
            raise TimeoutError(f"no answer within {read} s") from error
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
    twilio: object = None          # the simulated Twilio (twilio.SimTwilio) the helpline's REST API reaches
    clock: SimClock | None = None
    heard: list = field(default_factory=list)
    requests: list = field(default_factory=list)   # (url, params, status)
    outside_lines_answer: bool = True        # a <Dial>ed number outside the helpline (the backup line)

    def __post_init__(self):
        if self.twilio is None:
            raise ValueError("a Phone calls through a simulated Twilio: give it one (twilio.lone_phone makes both)")
        self.clock = self.twilio.clock
        self._durations: dict = {}
        self._document = self._position = 0
        self._during = self._barged = None

    def post(self, url: str, extra: dict | None = None):
        params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": self.from_number,
                  "To": self.to_number, "CallStatus": "in-progress", "Direction": "inbound",
                  "ApiVersion": "2010-04-01", **(extra or {})}
        status, body = self.twilio.helpline.post(url, params)
        self.requests.append((url, params, status))
        return status, body

    def call(self, answer, on_heard=None, during=None) -> list:
        """Ring the helpline; `answer(heard)` returns a key, 'say:words', '' for silence or None to hang up.
        `during(heard)` (by default `answer.during`, if it has one) is asked as each Say or Play
        starts (heard[-1]): a key or 'say:words' pressed or said over it, or None to listen."""
        self._answer, self._on_heard = answer, on_heard
        self._during = during or getattr(answer, "during", None)
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
                  {"CallStatus": "completed", "CallDuration": str(int(self.clock.seconds() - self.leg.started)),
                   "SequenceNumber": self.leg.next_sequence()})

    def _fetch(self, url, extra):
        status, body = self.post(url, extra)
        if status == 0:
            self._hear(Heard("error", f"could not reach the helpline at {url}: is it running?"))
            return None
        if status != 200:
            self._hear(Heard("error", f"HTTP {status} from {url}"))
            return None
        try:
            return ET.fromstring(body)
        except ET.ParseError as error:
            self._hear(Heard("error", f"not TwiML: {error}"))
            return None

    def _hear(self, heard: Heard):
        heard.document = heard.document or self._document
        self.heard.append(heard)
        if self._on_heard:
            self._on_heard(heard)
        return self.heard

    def _speak(self, verb, url, interrupt=None, gather=None) -> bool:
        """Hear a Say, Play or Pause, taking the time it takes; True if it was cut short: by
        `interrupt`, or by the caller barging in on it, inside `gather`, with what is then in
        self._barged."""
        # A <Say>'s words may sit in SSML elements (<say-as>, <sub>, <phoneme>): all of its text.
        text = "".join(verb.itertext()).strip()
        if verb.tag == "Say":
            self._position += 1
            self._hear(Heard("say", text, verb.get("language", ""), position=self._position))
            seconds = len(text.split()) / SAY_WORDS_PER_SECOND
        elif verb.tag == "Play":
            self._position += 1
            self._hear(Heard("play", text, position=self._position))
            seconds = self._duration(urljoin(url, text))
        elif verb.tag == "Pause":
            self._hear(Heard("pause", verb.get("length", "1") + "s"))
            return self.clock.sleep(float(verb.get("length", "1")), interrupt)
        else:
            return False
        if self._barge_in(gather):
            return True
        return self.clock.sleep(seconds, interrupt)

    def _barge_in(self, gather) -> bool:
        """The caller's key or words as a prompt starts, if `during` has any: True when `gather` takes
        them. Nested <Say> and <Play> let a caller "enter a menu selection at any time. After the
        first digit is received the audio will stop playing", and `bargeIn` (on by default) stops it
        on speech (https://www.twilio.com/docs/voice/twiml/gather): the Gather's other nested verbs
        are not played and its action is requested with what was entered. Outside a <Gather>
        nothing collects a key: it is lost and the prompt plays on."""
        reply = self._during(self.heard) if self._during else None
        if not reply:
            return False
        words = reply.startswith("say:")
        taken = gather is not None and ("speech" if words else "dtmf") in gather.get("input", "dtmf").split()
        if taken and words and gather.get("bargeIn", "true").lower() == "false":
            taken = False      # the prompt plays on over their words: not counted on as heard
        if not taken:
            self._hear(Heard("ignored-words", reply[4:]) if words else Heard("ignored-key", reply))
            return False
        self._hear(Heard("barge-in", reply))
        self._barged = reply
        return True

    def _duration(self, url: str) -> float:
        if url not in self._durations:
            try:
                with wave.open(io.BytesIO(self.transport.get(url))) as recording:
                    self._durations[url] = recording.getnframes() / recording.getframerate()
            except (OSError, wave.Error, EOFError, AttributeError):
                self._durations[url] = 10.0
        return self._durations[url]

    def _begin(self) -> None:
        """A new TwiML document starts: its Says and Plays are counted from 1."""
        self._document, self._position = self._document + 1, 0

    def _follow(self, document, url):
        """Run one TwiML document; return the next (url, params) to post, or None when the call ends."""
        self._begin()
        verbs = list(document)
        for at, verb in enumerate(verbs):
            if verb.tag in ("Say", "Play", "Pause"):
                self._speak(verb, url)
            elif verb.tag == "Gather":
                reply = self._gather(verb, url, asks=at + 1 == len(verbs) or verbs[at + 1].tag == "Redirect")
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
                return urljoin(url, verb.get("action", url)), self._recorded(verb)
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

    def _recorded(self, verb) -> dict:
        """What Twilio sends to a <Record>'s action: "RecordingUrl: the URL of the recorded audio"
        (no extension) and RecordingDuration in seconds (https://www.twilio.com/docs/voice/twiml/record);
        Twilio sends the RecordingSid with them too. The recording is the simulated Twilio's own,
        at its REST API once served (at api.twilio.com's address until then)."""
        duration = min(RECORDED_SECONDS, int(verb.get("maxLength", "3600") or "3600") or 3600)
        sid, recording_url = self.twilio.add_recording(self.call_sid, duration)
        return {"RecordingUrl": recording_url, "RecordingSid": sid, "RecordingDuration": str(duration)}

    def _gather(self, verb, url, interrupt=None, asks=True):
        """None: the caller hung up; '': silence (on to the next verb); else (action, params).

        A menu's <Gather> `asks`: the <Redirect> after it handles silence (or nothing follows). One
        followed by another verb (the words before <Enqueue>, <Record> or <Hangup>) only lets keys
        work while we speak: the caller is asked nothing at its end, and silence runs on."""
        for child in verb:
            if self._speak(child, url, interrupt, gather=verb):
                if self._barged is None:
                    return ""
                reply, self._barged = self._barged, None
                return self._entered(verb, url, reply)
        if not asks and verb.get("actionOnEmptyResult") != "true":
            return ""
        if interrupt is None:
            kind = verb.get("input", "dtmf")
        elif any(child.tag == "Say" for child in verb):     # a hold page telling the caller their choices
            kind = "on hold"
        else:       # the ringing tone while phones ring, or the hold music
            kind = "ringing" if any("ringing" in (child.text or "") for child in verb) else "music"
        self._hear(Heard("menu", kind))
        reply = self._answer(self.heard)
        if reply is None:
            self._hear(Heard("hangup", "the caller hung up"))
            return None
        if reply == "":
            # Silence: the next verb, unless actionOnEmptyResult asks for the action all the same.
            return (urljoin(url, verb.get("action", url)), {}) if verb.get("actionOnEmptyResult") == "true" else ""
        return self._entered(verb, url, reply)

    @staticmethod
    def _entered(verb, url, reply: str):
        action = urljoin(url, verb.get("action", url))
        if reply.startswith("say:") and "speech" not in verb.get("input", "dtmf").split():
            return ""                  # words to a <Gather> that only listens for keys: not heard
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
        # A number outside the helpline (the backup line) answers and talks, unless told not to.
        if action and not self.outside_lines_answer:
            return action, {"DialCallStatus": "no-answer", "DialCallDuration": "0"}
        if action:
            return action, {"DialCallStatus": "completed", "DialCallDuration": "60"}
        return None

    def _talk(self, room, action):
        conference = self.twilio.join(self.leg, (room.text or "").strip(),
                                      room.get("endConferenceOnExit", "false") == "true")
        self._hear(Heard("talk", (room.text or "").strip()))
        longest = time.monotonic() + 600 / max(1.0, self.clock.speed) + 5
        while not conference.over.wait(0.05) and not self.leg.hangup.is_set() and time.monotonic() < longest:
            pass
        self.twilio.leave(self.leg, conference)
        if self.leg.hangup.is_set():
            return self._hear(Heard("hangup", "the call was ended through the REST API")) and None
        if action:
            return action, {"DialCallStatus": "completed" if conference.talked else "no-answer"}
        return None

    def _hold(self, enqueue, url):
        """Waiting in a Twilio queue: the waitUrl, asked again whenever its document ends."""
        name = (enqueue.text or "").strip()
        self._hear(Heard("hold", name))
        queue = self.twilio.enqueue(self.leg, name)
        wait_url, action = urljoin(url, enqueue.get("waitUrl")), urljoin(url, enqueue.get("action"))
        if queue is None:
            return action, {"QueueResult": "queue-full"}
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
                # A waitUrl whose TwiML failed ends the wait, with the caller still on the line: the
                # action is requested with QueueResult 'error' (the <Enqueue> or its waitUrl's
                # document failed) or 'system-error' (Twilio itself failed), and the call goes on
                # with the TwiML it answers (https://www.twilio.com/docs/voice/twiml/enqueue, action
                # and QueueResult). Which of the two Twilio sends for a given failure the page does
                # not say: `twilio.failed_hold_page_result` picks.
                self.twilio.leave_queue(self.leg)
                return action, {"QueueResult": self.twilio.failed_hold_page_result, "QueueSid": queue.sid}
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
        self._begin()
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


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class _Answer:
    """One input of a script: what the caller does, and, for `ANSWER@WHEN`, over which prompt."""
    reply: str
    position: int | None = None       # the N-th Say or Play of the next document
    words: str | None = None          # the first Say or Play whose text holds these words

    @property
    def during(self) -> bool:
        return self.position is not None or self.words is not None

    @classmethod
    def read(cls, token: str) -> "_Answer":
        token = token.strip()
        reply, at, when = token.partition("@")
        if not at:
            return cls(token)
        reply, when = reply.strip().removeprefix("hold:"), when.strip()
        if not (reply.startswith("say:") and reply[4:].strip() or reply and all(c in "0123456789*#" for c in reply)):
            raise ValueError(f"{token!r}: before '@' come keys (0) or words (say:overdose)")
        if when.isdigit() and int(when) >= 1:
            return cls(reply, position=int(when))
        if when.startswith("during:") and when[len("during:"):].strip():
            return cls(reply, words=_squash(when[len("during:"):]))
        raise ValueError(f"{token!r}: after '@' comes the number of a Say or Play in the next document (0@2) "
                         "or 'during:' and words it says (0@during:emergency)")


def scripted(inputs: list):
    """An `answer` that replays the given inputs, then hangs up. While professionals' phones ring
    the caller listens; on hold they stay silent and wait, unless the next input is for the hold
    page: 'hold:2' (a key), 'hold:say:words', 'hold:hangup'. 'KEY@WHEN' and 'say:words@WHEN' are
    pressed or said while a prompt plays (see the module's docstring); `answer.during` does that."""
    remaining = [_Answer.read(token) for token in inputs]
    since = [0]       # the document the caller was in when the first remaining input's turn came

    def take(heard) -> _Answer:
        since[0] = heard[-1].document if heard else 0
        return remaining.pop(0)

    def answer(heard):
        waiting = bool(heard) and heard[-1].kind == "menu" and heard[-1].text in ("on hold", "ringing", "music")
        if waiting and heard[-1].text in ("ringing", "music"):
            return ""                  # while phones ring, or the music plays, the caller listens
        if waiting:
            if not remaining or remaining[0].during or not remaining[0].reply.startswith("hold:"):
                return ""
            token = take(heard).reply[len("hold:"):]
            return None if token == "hangup" else token
        if not remaining or remaining[0].during:
            return None                # out of answers, or the prompt they listen for never came
        token = take(heard).reply
        return "" if token.lower() in ("wait", "silence", "-") else token

    def during(heard):
        if not remaining or not remaining[0].during:
            return None
        wanted, now = remaining[0], heard[-1]
        if wanted.position is not None:
            hit = now.document == since[0] + 1 and now.position == wanted.position
        else:
            hit = wanted.words in _squash(now.text)
        return take(heard).reply if hit else None

    answer.during = during
    return answer
