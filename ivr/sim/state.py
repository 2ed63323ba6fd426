"""What the simulated Twilio keeps: the account, its calls, queues and conferences, and Twilio's
error body — shared by the REST API (twilio.py), the account's numbers (account.py), the media
(media.py) and the professionals' phones (professionals.py), so none needs another."""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from flask import jsonify

from ..twilio.statuses import FINAL_STATUSES

ACCOUNT_SID = "AC" + "0" * 32
API = "/2010-04-01/Accounts/<account>"
API_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
TWILIO_API = "https://api.twilio.com"      # what a RecordingUrl names until the sim is served
FINAL = FINAL_STATUSES


def new_sid(prefix: str = "CA") -> str:
    return prefix + uuid.uuid4().hex


def error(status: int, code: int, message: str):
    """Twilio's error body, which the twilio library turns into TwilioRestException."""
    return jsonify({"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}), status


@dataclass
class Call:
    sid: str
    to: str
    from_: str
    direction: str                   # inbound | outbound-api
    status: str = "queued"
    url: str = ""
    fallback_url: str = ""
    status_callback: str = ""
    events: tuple = ()
    timeout: int = 60
    machine_detection: str = ""
    answered_by: str = ""
    started: float | None = None     # simulated seconds, once answered
    ended: float | None = None
    hangup: threading.Event = field(default_factory=threading.Event)     # it must end now
    wake: threading.Event = field(default_factory=threading.Event)       # something changed for it
    dequeue_url: str = ""            # set by a REST Member update
    sequence: int = 0                # the SequenceNumber of this call's next status callback
    send_digits: str = ""            # SendDigits: keys pressed once it connects
    parent_sid: str = ""             # the call whose <Dial> placed this one (its ParentCallSid)
    ordinal: int = 0                 # how many calls were placed to the same number before this one

    def next_sequence(self) -> str:
        """The SequenceNumber of a status callback about to be sent: 0 for the call's first, one
        more for each after it; a retry of one repeats its number."""
        number, self.sequence = self.sequence, self.sequence + 1
        return str(number)


@dataclass
class Queue:
    sid: str
    name: str
    members: list = field(default_factory=list)       # [(call sid, simulated time enqueued)]
    max_size: int = 1000     # "The default maximum length of the queue is 1000" (Enqueue docs)
    waits: list = field(default_factory=list)         # seconds each member who left had waited


@dataclass
class Conference:
    name: str
    members: dict = field(default_factory=dict)       # call sid -> endConferenceOnExit
    over: threading.Event = field(default_factory=threading.Event)
    talked: bool = False
