"""The simulated account's phone numbers, as Twilio's REST API shows them: its IncomingPhoneNumbers
(with their capabilities and webhook settings), its verified caller IDs (OutgoingCallerIds: the
simulator's `caller_ids`, the same set its create_call refuses any other From with, 21210), the
toll-free verification of each toll-free number, and the Account itself.
"""
from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from flask import jsonify, request

from .phone import Phone
from .professionals import Phone as ProfessionalsPhone, run_leg
from .state import ACCOUNT_SID, API, API_PATH, Call, error, new_sid

#: The helpline number of the simulator's calls (ivr.sim.phone dials it): toll-free, voice and SMS.
HELPLINE = "+18005550100"


def number_resource(phone_number: str, sid: str | None = None, sms: bool = True) -> dict:
    """An IncomingPhoneNumber as a number just bought, in Twilio's JSON names."""
    sid = sid or new_sid("PN")
    return {"sid": sid, "account_sid": ACCOUNT_SID, "phone_number": phone_number, "friendly_name": phone_number,
            "voice_url": "", "voice_method": "POST", "voice_fallback_url": "", "voice_fallback_method": "POST",
            "status_callback": "", "status_callback_method": "POST", "sms_url": "", "sms_method": "POST",
            "voice_application_sid": None, "trunk_sid": None, "sms_application_sid": "",
            "voice_receive_mode": "voice", "capabilities": {"voice": True, "sms": sms, "mms": sms, "fax": False},
            "uri": f"{API_PATH}/IncomingPhoneNumbers/{sid}.json"}


@dataclass
class SimAccount:
    """What the account has. Texts are delivered unless `undelivered` names their To (or "*" for
    every text) with the error code their status callback reports, as a blocked text is reported
    (30032 for a toll-free number not verified: https://www.twilio.com/docs/api/errors/30032)."""
    numbers: dict = field(default_factory=lambda: {HELPLINE: number_resource(HELPLINE)})
    #: IncomingPhoneNumber sid -> status (PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED);
    #: a toll-free number absent here has no verification.
    tollfree_verifications: dict = field(default_factory=dict)
    undelivered: dict = field(default_factory=dict)
    status: str = "active"
    type: str = "Full"

    def __post_init__(self):
        for resource in self.numbers.values():
            self.tollfree_verifications.setdefault(resource["sid"], "TWILIO_APPROVED")

    def add_number(self, phone_number: str, sms: bool = True) -> dict:
        resource = self.numbers[phone_number] = number_resource(phone_number, sms=sms)
        return resource

    def blocked(self, to: str) -> int | None:
        """The error code a text to `to` fails with, or None when it is delivered."""
        return self.undelivered.get(to, self.undelivered.get("*"))


def _page(key: str, items: list) -> dict:
    return {key: items, "next_page_uri": None, "page": 0, "page_size": 50, "start": 0, "end": max(0, len(items) - 1),
            "first_page_uri": request.full_path, "previous_page_uri": None, "uri": request.full_path}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def add_account_routes(app, sim) -> None:
    account = sim.account

    @app.get("/2010-04-01/Accounts/<sid>.json")
    def fetch_account(sid):
        if sid != ACCOUNT_SID:
            return error(404, 20404, "The requested resource was not found")
        return jsonify({"sid": ACCOUNT_SID, "owner_account_sid": ACCOUNT_SID, "friendly_name": "Simulated helpline",
                        "status": account.status, "type": account.type, "uri": f"{API_PATH}.json"})

    @app.get(API + "/IncomingPhoneNumbers.json")
    def list_numbers(account_sid=None, **_):
        # "You can specify partial numbers": the filter matches any number containing it.
        wanted = request.args.get("PhoneNumber", "")
        with sim.lock:
            found = [dict(n) for n in account.numbers.values() if wanted in n["phone_number"]]
        return jsonify(_page("incoming_phone_numbers", found))

    @app.post(API + "/IncomingPhoneNumbers/<sid>.json")
    def update_number(sid, **_):
        with sim.lock:
            number = next((n for n in account.numbers.values() if n["sid"] == sid), None)
            if number is None:
                return error(404, 20404, f"The requested resource /IncomingPhoneNumbers/{sid}.json was not found")
            number.update({_snake(name): value for name, value in request.form.items()})
            return jsonify(dict(number))

    @app.get(API + "/OutgoingCallerIds.json")
    def list_caller_ids(**_):
        # The simulator's `caller_ids` are the numbers a call may come From; those that are not the
        # account's own numbers are its verified caller IDs.
        wanted = request.args.get("PhoneNumber", "")
        with sim.lock:
            verified = sorted(set(sim.caller_ids or ()) - set(account.numbers))
            found = [{"sid": "PN" + hashlib.md5(n.encode()).hexdigest(), "account_sid": ACCOUNT_SID,
                      "phone_number": n, "friendly_name": n} for n in verified if wanted in n]
        return jsonify(_page("outgoing_caller_ids", found))

    @app.get("/messaging/v1/Tollfree/Verifications")
    def list_tollfree_verifications():
        # https://www.twilio.com/docs/messaging/api/tollfree-verification-resource: read, filtered
        # by TollfreePhoneNumberSid; a HH… sid and a status each.
        wanted = request.args.get("TollfreePhoneNumberSid", "")
        with sim.lock:
            found = [{"sid": "HH" + number_sid[2:], "account_sid": ACCOUNT_SID, "tollfree_phone_number_sid": number_sid,
                      "status": status, "rejection_reason": None, "date_updated": "2026-12-01T00:00:00Z"}
                     for number_sid, status in account.tollfree_verifications.items()
                     if not wanted or number_sid == wanted]
        return jsonify({"verifications": found, "meta": {"page": 0, "page_size": 50, "key": "verifications"}})


# -- calls To a number of the account ----------------------------------------------------------------
#: How long the stand-in stays once bridged, in the simulator (the rehearsal ends the call anyway).
STAND_IN_TALKS_FOR = 5.0


def runs_number(sim, call) -> bool:
    """A call placed To a number of this account (not given a phone of its own by a test) reaches
    Twilio again, as an incoming call that runs that number's Voice URL
    (https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource, VoiceUrl)."""
    number = sim.account.numbers.get(call.to)
    return bool(number and number.get("voice_url")) and call.to not in sim.phones


def call_into_number(sim, call) -> None:
    number = sim.account.numbers[call.to]
    if call.send_digits:
        _dials_in(sim, call, number)
    else:
        _answers_a_leg(sim, call, number)


def _dials_in(sim, call, number) -> None:
    """`ivr twilio rehearse`'s caller: the number's Voice URL (the helpline) answers, and the call's
    SendDigits are pressed at their moments ('w': half a second), heard by whichever <Gather>
    listens then; the call's own TwiML (a <Pause>) only keeps it open."""
    sim.progress(call, "initiated", "initiated")
    sim.progress(call, "ringing", "ringing")
    call.started = sim.clock.seconds()
    sim.progress(call, "in-progress", "answered")
    phone = Phone(sim.helpline.transport, sim.auth_token, base_url=number["voice_url"], from_number=call.from_,
                  to_number=call.to, twilio=sim)
    sim.linked_hangups[phone.call_sid] = call.hangup
    phone.call(_keys_at_their_moments(call, sim.clock))
    sim.progress(call, "completed", "completed")


def _keys_at_their_moments(call, clock):
    """An `answer` for ivr.sim.phone pressing SendDigits: each key once its moment has come."""
    keys, moment, began = [], 0.0, clock.seconds()
    for character in call.send_digits:
        if character == "w":
            moment += 0.5
        elif character == "W":
            moment += 1.0
        else:
            keys.append((moment, character))

    def due() -> bool:
        return bool(keys) and keys[0][0] <= clock.seconds() - began

    def answer(heard):
        if call.hangup.is_set():
            return None
        if heard and heard[-1].text in ("ringing", "music", "on hold"):
            return ""
        if keys:
            clock.sleep(keys[0][0] - (clock.seconds() - began), call.hangup)
            return keys.pop(0)[1]
        return ""                     # silence: the call's <Pause> holds the line

    def during(heard):
        return keys.pop(0)[1] if due() else None

    answer.during = during
    return answer


def _answers_a_leg(sim, call, number) -> None:
    """The helpline's leg To a number of the account: that number's incoming call runs its Voice URL,
    and the DTMF its <Play digits> sends (https://www.twilio.com/docs/voice/twiml/play) is what the
    leg's whisper <Gather> hears. No TwiML, or no digits: the leg is answered and nothing is pressed."""

    inbound = Call(new_sid(), call.to, call.from_, "inbound", status="ringing")
    with sim.lock:
        sim.calls[inbound.sid] = inbound
    status, body = sim.helpline.post(number["voice_url"], {
        "CallSid": inbound.sid, "AccountSid": ACCOUNT_SID, "From": call.from_, "To": call.to,
        "CallStatus": "ringing", "Direction": "inbound", "ApiVersion": "2010-04-01"})
    presses = ""
    try:
        for verb in ET.fromstring(body) if status == 200 else ():
            if verb.tag == "Play" and verb.get("digits"):
                presses = verb.get("digits").replace("w", "").replace("W", "")[:1]
                break
    except ET.ParseError:
        pass
    inbound.status, inbound.started = "in-progress", sim.clock.seconds()
    run_leg(sim, call, ProfessionalsPhone(answers_after=1, presses=presses, talks_for=STAND_IN_TALKS_FOR))
    inbound.status, inbound.ended = "completed", sim.clock.seconds()
