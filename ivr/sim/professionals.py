"""The phones the helpline rings, and what answers them — the unpleasant cases first.

A voicemail box answers sooner than any person (and, with detection on, Twilio says
AnsweredBy=machine_start: https://www.twilio.com/docs/voice/answering-machine-detection); a person
may answer and not press; a line may be busy, or ring until the leg's Timeout. Each leg runs in its
own thread and sends its status callbacks as Twilio does (initiated, ringing, in-progress, and a
final completed/busy/no-answer/canceled with CallDuration).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin

from .state import Call, new_sid


@dataclass(frozen=True)
class Phone:
    answers_after: float | None      # simulated seconds of ringing; None: nobody answers
    machine: bool = False            # a voicemail box or an answering machine
    presses: str = ""                # the key pressed during the whisper ("" : none)
    busy: bool = False
    talks_for: float = 60.0          # seconds, once connected, before hanging up
    hangs_up_after: float | None = None    # seconds into a <Dial> they make: they hang up first


PHONES = {
    "person": Phone(answers_after=4, presses="1"),
    "slow-person": Phone(answers_after=12, presses="1"),
    "voicemail": Phone(answers_after=1.5, machine=True),
    "silent": Phone(answers_after=3),                 # answers, never presses (a pocket, a child)
    "declines": Phone(answers_after=3, presses="2"),
    "busy": Phone(answers_after=None, busy=True),
    "no-answer": Phone(answers_after=None),
    "hangs-up-first": Phone(answers_after=4, presses="1", hangs_up_after=30),   # before the caller does
}
#: A caller being called back: they answer and talk, or their voicemail does, or nobody.
CALLED_BACK = {"person": Phone(answers_after=5, talks_for=120), "voicemail": Phone(answers_after=3, machine=True,
                                                                                  talks_for=20),
               "no-answer": Phone(answers_after=None), "busy": Phone(answers_after=None, busy=True)}
SAY_WORDS_PER_SECOND = 2.5


def run_leg(sim, call: Call, name) -> None:
    phone = PHONES[name] if isinstance(name, str) else name
    sim.progress(call, "initiated", "initiated")
    if phone.busy:
        sim.clock.sleep(0.5)
        sim.progress(call, "busy", "completed")
        return
    sim.progress(call, "ringing", "ringing")
    rings = min(phone.answers_after if phone.answers_after is not None else call.timeout, call.timeout)
    if sim.clock.sleep(rings, call.hangup):
        sim.progress(call, "canceled", "completed")
        return
    if phone.answers_after is None or phone.answers_after > call.timeout:
        sim.progress(call, "no-answer", "completed")
        return
    call.started = sim.clock.seconds()
    if call.machine_detection:
        # Synchronous detection: the verdict comes before the Url is fetched, with it.
        call.answered_by = "machine_start" if phone.machine else "human"
    sim.progress(call, "in-progress", "answered")
    ProfessionalSide(sim, call, phone).run(call.url, {"AnsweredBy": call.answered_by} if call.answered_by else {})
    sim.progress(call, "completed", "completed")


class ProfessionalSide:
    """Runs the TwiML the helpline gives a professional's leg, as their phone hears it."""

    def __init__(self, sim, call: Call, phone: Phone):
        self.sim, self.call, self.phone = sim, call, phone
        self.heard: list = []

    def post(self, url: str, extra: dict | None = None):
        params = {"CallSid": self.call.sid, "AccountSid": "AC" + "0" * 32, "From": self.call.from_,
                  "To": self.call.to, "CallStatus": "in-progress", "Direction": "outbound-api",
                  "ApiVersion": "2010-04-01", **(extra or {})}
        status, body = self.sim.helpline.post(url, params)
        try:
            return ET.fromstring(body) if status == 200 else None
        except ET.ParseError:
            return None

    def run(self, url: str, extra: dict) -> None:
        document = self.post(url, extra)
        if document is None and self.call.fallback_url:
            # The Url gave no TwiML (not reached, an error status, not XML): "a request is
            # immediately made to the ... Fallback URL", with ErrorCode and ErrorUrl
            # (https://www.twilio.com/docs/usage/security/availability-reliability).
            extra = {**extra, "ErrorCode": "11200", "ErrorUrl": url}      # 11200 for every failure here
            url = self.call.fallback_url
            document = self.post(url, extra)
        for _ in range(20):
            if document is None or self.call.hangup.is_set():
                return
            nxt = self.follow(document, url)
            if nxt is None:
                return
            url, extra = nxt
            document = self.post(url, extra)

    def follow(self, document, url):
        for verb in document:
            if self.call.hangup.is_set():
                return None
            if verb.tag in ("Say", "Play", "Pause"):
                self.hear(verb)
            elif verb.tag == "Gather":
                for child in verb:
                    self.hear(child)
                    if self.phone.presses and child.tag == "Say":
                        # A person presses as soon as they have heard the first sentence.
                        return urljoin(url, verb.get("action", url)), {"Digits": self.phone.presses}
                if self.sim.clock.sleep(float(verb.get("timeout", "5")), self.call.hangup):
                    return None
            elif verb.tag == "Dial":
                return self.dial(verb, url)
            elif verb.tag == "Redirect":
                return urljoin(url, (verb.text or "").strip()), {}
            elif verb.tag == "Hangup":
                return None
        return None                    # the document ended: Twilio hangs up

    def hear(self, verb) -> None:
        self.heard.append((verb.tag, (verb.text or "").strip()))
        if verb.tag == "Say":
            self.sim.clock.sleep(len((verb.text or "").split()) / SAY_WORDS_PER_SECOND, self.call.hangup)
        elif verb.tag == "Pause":
            self.sim.clock.sleep(float(verb.get("length", "1")), self.call.hangup)

    def dial(self, verb, url):
        room = verb.find("Conference")
        if room is None:
            return self.dial_number(verb, url)
        conference = self.sim.join(self.call, (room.text or "").strip(),
                                   room.get("endConferenceOnExit", "false") == "true")
        # They talk while the caller is there, then hang up; or the conference ends under them.
        waited = 0.0
        while not conference.talked and waited < 30 and not conference.over.is_set():
            if self.sim.clock.sleep(0.5, self.call.hangup):
                break
            waited += 0.5
        if conference.talked and not conference.over.is_set():
            self.sim.clock.sleep(self.phone.talks_for, conference.over)
        self.sim.leave(self.call, conference)
        if verb.get("action"):
            status = "completed" if conference.talked else "no-answer"
            return urljoin(url, verb.get("action")), {"DialCallStatus": status}
        return None

    def dial_number(self, verb, url):
        """The professional's leg dials a number (a caller called back): who answers there is
        `sim.phones` (person, voicemail, no-answer, busy), the call showing `callerId`."""
        number = verb.find("Number")
        to = ((number.text if number is not None else verb.text) or "").strip()
        # The dialled call is a child of this leg: its ParentCallSid is the leg's CallSid, and it is
        # listed as such (https://www.twilio.com/docs/voice/api/call-resource, parent_call_sid).
        dialed = Call(new_sid(), to, verb.get("callerId", self.call.from_), "outbound-dial", status="ringing",
                      parent_sid=self.call.sid)
        with self.sim.lock:
            self.sim.calls[dialed.sid] = dialed
        other = CALLED_BACK.get(self.sim.phones.get(to, "person"), CALLED_BACK["person"])
        timeout = float(verb.get("timeout", "30"))
        leaves = self.phone.hangs_up_after
        if other.busy:
            status, talked, hung_up_first = "busy", 0.0, False
        elif other.answers_after is None or other.answers_after > timeout:
            # A professional who hangs up first does not wait out the ringing. What Twilio calls a
            # dialled call whose parent left while it rang, its docs do not say; here it stays
            # 'no-answer' (the helpline counts no-answer, busy, failed and canceled alike).
            self.sim.clock.sleep(timeout if leaves is None else min(timeout, leaves), self.call.hangup)
            status, talked, hung_up_first = "no-answer", 0.0, leaves is not None
        else:
            self.sim.clock.sleep(other.answers_after, self.call.hangup)
            dialed.started, dialed.status = self.sim.clock.seconds(), "in-progress"
            talked = min(other.talks_for, leaves or other.talks_for)
            self.sim.clock.sleep(talked, self.call.hangup)
            status, hung_up_first = "completed", leaves is not None and talked < other.talks_for
        dialed.status = status
        dialed.ended = self.sim.clock.seconds()
        if hung_up_first:
            # The professional (this, the parent call) hung up first. The Dial page
            # (https://www.twilio.com/docs/voice/twiml/dial) says the action URL is requested "when
            # the <Dial> call ends" and the call then continues with its TwiML, not whether it is
            # requested for a parent already gone: `sim.dial_action_after_hangup` picks the reading
            # (by default the unpleasant one, no request), with CallStatus=completed.
            if not (verb.get("action") and getattr(self.sim, "dial_action_after_hangup", False)):
                return None
            self.post(urljoin(url, verb.get("action")), {"DialCallStatus": status, "DialCallSid": dialed.sid,
                                                          "DialCallDuration": str(int(talked)),
                                                          "CallStatus": "completed"})
            return None
        if verb.get("action"):
            # The dialled person (the callee) hung up first, or never answered: the <Dial> call
            # ended, so the action URL is requested and the professional's call goes on with its
            # TwiML (https://www.twilio.com/docs/voice/twiml/dial: "Twilio will make a GET or POST
            # request to the action URL (if provided) when the <Dial> call ends. Call flow will
            # then continue, using the TwiML you send in response to that request.").
            return urljoin(url, verb.get("action")), {"DialCallStatus": status, "DialCallSid": dialed.sid,
                                                      "DialCallDuration": str(int(talked))}
        return None
