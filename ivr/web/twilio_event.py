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


class TwilioEvent:
    """Each field is cleaned when it is read, the same way wherever: a menu press reads three of them,
    and the webhook's hot path pays for those alone."""

    __slots__ = ("_first",)

    def __init__(self, params):
        self._first = params.first

    @property
    def call_sid(self) -> str:
        """Letters, digits and '-' only, at most 64; "" when absent."""
        return token(self._first("CallSid"))

    @property
    def caller(self) -> str:
        """From: never logged nor stored in clear (see ivr/privacy.py)."""
        return self._first("From")[:32]

    @property
    def line(self) -> str:
        """To: the number dialled."""
        return self._first("To")[:32]

    @property
    def call_status(self) -> str:
        return self._first("CallStatus")[:20].strip().lower()

    @property
    def digits(self) -> str:
        """What was pressed, stripped."""
        return self._first("Digits")[:MAX_ANSWER].strip()

    @property
    def speech(self) -> str:
        """What was said (SpeechResult), stripped."""
        return self._first("SpeechResult")[:MAX_ANSWER].strip()

    def key_is(self, key: str) -> bool:
        return self.digits == key

    @property
    def dial_status(self) -> str:
        """DialCallStatus: how a <Dial> ended."""
        return self._first("DialCallStatus")[:20].strip().lower()

    @property
    def dial_seconds(self) -> int | None:
        return whole_number(self._first("DialCallDuration"))

    @property
    def call_seconds(self) -> int | None:
        """CallDuration, on a status callback."""
        return whole_number(self._first("CallDuration"))

    @property
    def sequence(self) -> int | None:
        """SequenceNumber, on a status callback: read as "sent later" when larger. Its exact meaning
        was not found in the docs searched, so it only ever holds back an older progress status,
        never a final one (see store/calls.py)."""
        return whole_number(self._first("SequenceNumber"), longest=10)

    @property
    def queue_result(self) -> str:
        """QueueResult: why the caller left an <Enqueue>."""
        return self._first("QueueResult")[:20].strip().lower()

    @property
    def queue_sid(self) -> str:
        return token(self._first("QueueSid"))

    @property
    def answered_by(self) -> str:
        """AnsweredBy: a person or a machine, on a leg placed with detection."""
        return self._first("AnsweredBy")[:40].strip()

    @property
    def recording_url(self) -> str:
        return self._first("RecordingUrl")[:500].strip()

    @property
    def recording_seconds(self) -> int | None:
        return whole_number(self._first("RecordingDuration"), longest=7)

    @property
    def error_code(self) -> int | None:
        """ErrorCode: on a fallback, on a text's failure."""
        return whole_number(self._first("ErrorCode"), longest=10)

    @property
    def message_sid(self) -> str:
        """A text's: an incoming one, or the status of one sent."""
        return token(self._first("MessageSid"))

    @property
    def message_status(self) -> str:
        return self._first("MessageStatus")[:20].strip().lower()

    @property
    def body(self) -> str:
        """An incoming text's words."""
        return self._first("Body")[:MAX_TEXT]


def event(environ=None) -> TwilioEvent:
    """This request's event, read once (kept in the WSGI environ beside the parsed form)."""
    environ = environ or request.environ
    cached = environ.get("ivr.event")
    if cached is None:
        cached = environ["ivr.event"] = TwilioEvent(form(environ))
    return cached
