"""The simulator's recordings and text messages: what a <Record> leaves (fetched as WAV, MP3 or
JSON, deleted by the helpline once handled) and the SMS the helpline sends, each as Twilio's REST
API v2010 documents them — a text is accepted (201, queued) and only its status callbacks say
later whether it was delivered or blocked (account.py's `undelivered`)."""
from __future__ import annotations

import email.utils
import io
import wave
from dataclasses import dataclass

from flask import jsonify, request

from .state import ACCOUNT_SID, API, API_PATH, error, new_sid


@dataclass
class Recording:
    sid: str
    call_sid: str
    duration: int                    # seconds
    made: float                      # simulated seconds


def add_media_routes(app, sim) -> None:
    """The Messages and Recordings resources, on the simulator's REST app."""
    @app.post(API + "/Messages.json")
    def create_message(account):
        # https://www.twilio.com/docs/messaging/api/message-resource: To (21604), From (21603)
        # and a Body (21602) are required; a new Message is "queued". `refuse_messages` plays
        # a Twilio that cannot send now (a 503 the helpline must survive).
        form = request.form
        if sim.refuse_messages:
            return error(503, 20500, "Service Unavailable")
        for name, code in (("To", 21604), ("From", 21603), ("Body", 21602)):
            if not form.get(name):
                return error(400, code, f"A '{name}' is required to send a Message")
        message = {"sid": new_sid("SM"), "to": form["To"], "from": form["From"], "body": form["Body"],
                   "status": "queued", "account_sid": ACCOUNT_SID, "direction": "outbound-api",
                   "api_version": "2010-04-01", "num_segments": "1",
                   "uri": f"{API_PATH}/Messages/{{sid}}.json"}
        message["uri"] = message["uri"].format(sid=message["sid"])
        with sim.lock:
            sim.messages.append(message)
        answer = dict(message)
        if form.get("StatusCallback"):
            sim.start(report_message_status, sim, message, form["StatusCallback"])
        return jsonify(answer), 201

    @app.route(API + "/Recordings/<name>", methods=["GET", "DELETE"])
    def recording(account, name):
        # https://www.twilio.com/docs/voice/api/recording: no extension or .wav is the WAV
        # (audio/x-wav), .mp3 the MP3 (audio/mpeg), .json the resource; DELETE answers 204,
        # after which the recording is not found.
        sid, _, extension = name.partition(".")
        with sim.lock:
            found = sim.recordings.get(sid) if account == ACCOUNT_SID else None
            if found is not None and request.method == "DELETE" and extension in ("", "json"):
                del sim.recordings[sid]
                return "", 204
        if found is None or request.method == "DELETE" or extension not in ("", "wav", "mp3", "json"):
            return error(404, 20404, f"The requested resource {request.path} was not found")
        if extension == "json":
            return jsonify(recording_resource(sim, found))
        if extension == "mp3":
            return silent_mp3(found.duration), 200, {"Content-Type": "audio/mpeg"}
        return silent_wav(found.duration), 200, {"Content-Type": "audio/x-wav"}



def report_message_status(sim, message: dict, url: str) -> None:
    """Each status change after the first, POSTed (signed) to the text's StatusCallback: sent then
    delivered, or failed with the ErrorCode of a blocked text. Twilio sends "a status callback
    request ... when the Message resource's status changes after creation", never for the initial
    queued (https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks).
    With callbacks 'retried-and-late', each is sent twice and the last comes first."""
    code = sim.account.blocked(message["to"])
    steps = [("failed", code)] if code else [("sent", None), ("delivered", None)]
    if sim.callbacks != "in-order":
        steps = [step for step in reversed(steps) for _ in range(2)]
    for status, error_code in steps:
        sim.clock.sleep(0.2)
        message["status"] = status
        params = {"MessageSid": message["sid"], "SmsSid": message["sid"], "AccountSid": ACCOUNT_SID,
                  "From": message["from"], "To": message["to"], "MessageStatus": status, "SmsStatus": status,
                  "ApiVersion": "2010-04-01"}
        if error_code:
            params["ErrorCode"] = str(error_code)
        sim.helpline.post(url, params)


def add_recording(sim, call_sid: str, duration: int) -> tuple:
    """A <Record> of `call_sid` ended: (its RecordingSid, its RecordingUrl — no extension, as
    Twilio sends it to the action URL)."""
    recording = Recording(new_sid("RE"), call_sid, int(duration), sim.clock.seconds())
    with sim.lock:
        sim.recordings[recording.sid] = recording
    return recording.sid, f"{sim.api_url}{API_PATH}/Recordings/{recording.sid}"


def recording_resource(sim, recording: Recording) -> dict:
    made = email.utils.formatdate(sim.clock.start.timestamp() + recording.made, usegmt=True)
    return {"sid": recording.sid, "account_sid": ACCOUNT_SID, "call_sid": recording.call_sid,
            "conference_sid": None, "api_version": "2010-04-01", "date_created": made, "date_updated": made,
            "start_time": made, "duration": str(recording.duration), "channels": 1, "source": "RecordVerb",
            "status": "completed", "price": None, "price_unit": "USD", "error_code": None,
            "uri": f"{API_PATH}/Recordings/{recording.sid}.json"}


def silent_wav(seconds: int) -> bytes:
    """`seconds` of silence as a WAV file: 8 kHz, 16-bit, mono, as a phone call is recorded."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setparams((1, 2, 8000, 0, "NONE", "not compressed"))
        audio.writeframes(b"\0\0" * 8000 * seconds)
    return out.getvalue()


#: One MPEG-1 Layer III frame, 32 kbit/s, 32 kHz, mono, no CRC (header FF FB 18 C0): 144 bytes of
#: 1152 samples (36 ms). Its side information and main data are zeros, which decoders play as
#: silence: a real MP3, though no encoder made it.
MP3_FRAME = bytes([0xFF, 0xFB, 0x18, 0xC0]) + bytes(140)


def silent_mp3(seconds: int) -> bytes:
    """About `seconds` of silence as MP3 frames."""
    return MP3_FRAME * max(1, round(seconds * 32000 / 1152))
