"""One Twilio webhook request, read once and cleaned in one place: what every view needs to know
about it (which call, who dialled which line, what they pressed or said, how a call or dial ended),
as plain values. The views read an event, never the form: so a CallSid, a key or a duration is
cleaned the same way whichever webhook it came to.

Twilio's parameter names are its docs' (https://www.twilio.com/docs/voice/twiml#request-parameters,
/docs/voice/twiml/gather, /docs/voice/twiml/dial, /docs/voice/twiml/enqueue,
/docs/voice/api/call-resource#statuscallback, /docs/messaging/guides/webhook-request).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import request

from .twilio_params import form

#: The longest typed answer or transcription kept (a <Gather> may send a long one; nobody reads more).
MAX_ANSWER = 2000
#: The longest text read: a message of ten segments (Twilio concatenates up to 1,600 characters).
MAX_TEXT = 1600
#: Only letters, digits and '-' go back into a URL or a record we write (a CallSid, an id, a language).
UNSAFE = re.compile(r"[^A-Za-z0-9-]")


def token(text: str, longest: int = 64) -> str:
    return UNSAFE.sub("", text)[:longest]


def whole_number(text: str, longest: int = 9) -> int | None:
    """A count Twilio sends as text (seconds, a sequence number), or None when it is missing, not a
    plain number, or too long to be true."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < longest else None


@dataclass(frozen=True, slots=True)
class TwilioEvent:
    call_sid: str                 # letters, digits and '-' only, at most 64; "" when absent
    caller: str                   # From: never logged nor stored in clear (see ivr/privacy.py)
    line: str                     # To: the number dialled
    call_status: str              # CallStatus, lower case
    digits: str                   # what was pressed, stripped
    speech: str                   # what was said (SpeechResult), stripped
    dial_status: str              # DialCallStatus: how a <Dial> ended
    dial_seconds: int | None      # DialCallDuration
    call_seconds: int | None      # CallDuration, on a status callback
    #: SequenceNumber, on a status callback: read as "sent later" when larger. Its exact meaning was
    #: not found in the docs searched, so it only ever holds back an older progress status, never a
    #: final one (see store/calls.py).
    sequence: int | None
    queue_result: str             # QueueResult: why the caller left an <Enqueue>
    queue_sid: str
    answered_by: str              # AnsweredBy: a person or a machine, on a leg placed with detection
    recording_url: str
    recording_seconds: int | None
    error_code: int | None        # ErrorCode: on a fallback, on a text's failure
    message_sid: str              # a text's (an incoming one, or the status of one sent)
    message_status: str           # MessageStatus, lower case
    body: str                     # an incoming text's words

    def key_is(self, key: str) -> bool:
        return self.digits == key


def read(params) -> TwilioEvent:
    first = params.first
    return TwilioEvent(
        call_sid=token(first("CallSid")),
        caller=first("From")[:32],
        line=first("To")[:32],
        call_status=first("CallStatus")[:20].strip().lower(),
        digits=first("Digits")[:MAX_ANSWER].strip(),
        speech=first("SpeechResult")[:MAX_ANSWER].strip(),
        dial_status=first("DialCallStatus")[:20].strip().lower(),
        dial_seconds=whole_number(first("DialCallDuration")),
        call_seconds=whole_number(first("CallDuration")),
        sequence=whole_number(first("SequenceNumber"), longest=10),
        queue_result=first("QueueResult")[:20].strip().lower(),
        queue_sid=token(first("QueueSid")),
        answered_by=first("AnsweredBy")[:40].strip(),
        recording_url=first("RecordingUrl")[:500].strip(),
        recording_seconds=whole_number(first("RecordingDuration"), longest=7),
        error_code=whole_number(first("ErrorCode"), longest=10),
        message_sid=token(first("MessageSid")),
        message_status=first("MessageStatus")[:20].strip().lower(),
        body=first("Body")[:MAX_TEXT],
    )


def event(environ=None) -> TwilioEvent:
    """This request's event, read once (kept in the WSGI environ beside the parsed form)."""
    environ = environ or request.environ
    cached = environ.get("ivr.event")
    if cached is None:
        cached = environ["ivr.event"] = read(form(environ))
    return cached
