"""The one adapter to Twilio's REST API (v2010), on the twilio library's Client.

Call control places each professional's leg, ends legs nobody needs any more, asks Twilio about a
leg whose last callback never came, and takes a waiting caller out of the queue when a
professional accepts; `ivr twilio` reads and sets the helpline's number and reads the account;
the staff pages hear a voicemail's recording through it and have it deleted once handled.
Every request goes to `base_url` (Twilio's own by default; a simulator or a staging stand-in in
tests), and any failure comes back as one exception, `TwilioUnavailable`.
"""
from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from .statuses import FINAL_STATUSES

log = logging.getLogger(__name__)
TWILIO_API = "https://api.twilio.com"
#: Every progress event of a professional's leg, each sent as its own StatusCallbackEvent value
#: (https://www.twilio.com/docs/voice/api/call-resource: "specify each one in a separate
#: status_callback_event parameter"; 'answered' arrives as CallStatus=in-progress).
LEG_EVENTS = ("initiated", "ringing", "answered", "completed")
ENDED = FINAL_STATUSES
#: A REST request that takes longer than this is a Twilio we cannot count on right now.
REST_TIMEOUT = 5.0
#: "The requested resource was not found": the call or queue member is gone.
NOT_FOUND = 404
#: The most of a recording's audio read into memory: at Twilio's MP3 rates, hours of voicemail.
MAX_RECORDING_BYTES = 20 * 1024 * 1024
#: A Recording's sid, as Twilio's API documents it (^RE[0-9a-fA-F]{32}$).
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
#: The path of a Recording resource, its extension (.mp3, .wav, .json) aside.
RECORDING_PATH = re.compile(r"(?P<prefix>.*)/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Recordings/"
                            r"(?P<sid>RE[0-9a-fA-F]{32})(?:\.(?:mp3|wav|json))?")


#: What `find_number` and `update_number` return of an IncomingPhoneNumber, by its JSON names
#: (the library's attribute names and update() keywords are the same).
NUMBER_FIELDS = ("sid", "phone_number", "friendly_name", "voice_url", "voice_method", "voice_fallback_url",
                 "voice_fallback_method", "status_callback", "status_callback_method", "sms_url", "sms_method",
                 "voice_application_sid", "trunk_sid", "sms_application_sid", "voice_receive_mode",
                 "capabilities")


class TwilioUnavailable(Exception):
    """Twilio refused or could not be reached; `status` is the HTTP status when it answered."""

    def __init__(self, message: str, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status, self.code = status, code


class NotOurRecording(TwilioUnavailable):
    """A recording URL that is not a Recording of this account at this adapter's Twilio: nothing
    was requested (our Account SID and Auth Token would have gone with it)."""


class OnlyWhenDebugging(logging.Filter):
    """The twilio library logs every request's method, URL, headers and body at INFO: a helpline's
    log would be mostly that. Its lines are kept only when the helpline logs at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        return logging.getLogger().isEnabledFor(logging.DEBUG)


#: Where the library's request dumps go (see OnlyWhenDebugging).
REQUEST_DUMPS = logging.getLogger(__name__ + ".requests")
REQUEST_DUMPS.addFilter(OnlyWhenDebugging())


class BaseUrlHttpClient(TwilioHttpClient):
    """The library's HTTP client, sending what it would send to api.twilio.com to `base_url`."""

    def __init__(self, base_url: str, timeout: float = REST_TIMEOUT):
        super().__init__(timeout=timeout, logger=REQUEST_DUMPS)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API) and self.base_url != TWILIO_API:
            url = self.base_url + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class TwilioApi:
    def __init__(self, account_sid: str, auth_token: str, base_url: str = TWILIO_API, http_client=None):
        self.account_sid, self._auth_token = account_sid, auth_token
        # Where every request goes: a BaseUrlHttpClient's own base URL when one is given.
        self.base_url = getattr(http_client, "base_url", base_url).rstrip("/")
        # edge/region stay unset: the library would rewrite the host (and read TWILIO_EDGE).
        self.client = Client(account_sid, auth_token, account_sid=account_sid,
                             http_client=http_client or BaseUrlHttpClient(base_url))
        # The library reads TWILIO_EDGE/TWILIO_REGION from the environment and would rewrite the
        # host before our base URL applies.
        self.client.edge = self.client.region = None

    @property
    def configured(self) -> bool:
        return bool(self.account_sid)

    def ring(self, to: str, caller_id: str, url: str, status_callback: str, timeout: int,
             machine_detection: bool, *, fallback_url: str) -> str:
        """Place a professional's leg; its CallSid. `url` is fetched when they answer (the whisper);
        `fallback_url` when that fails: "The URL that we call using the fallback_method if an error
        occurs when requesting or executing the TwiML at url" (Create a Call,
        https://www.twilio.com/docs/voice/api/call-resource; FallbackMethod "Can be: GET or POST").
        Without it Twilio plays its own "application error" message to the professional."""
        options = {}
        if machine_detection:
            # Synchronous AMD: Twilio waits for the verdict and sends AnsweredBy with the Url request
            # (https://www.twilio.com/docs/voice/answering-machine-detection).
            options["machine_detection"] = "Enable"
        call = self._do("place a call", lambda: self.client.calls.create(
            to=to, from_=caller_id, url=url, method="POST", fallback_url=fallback_url, fallback_method="POST",
            status_callback=status_callback, status_callback_method="POST",
            status_callback_event=list(LEG_EVENTS), timeout=timeout, **options))
        return call.sid

    def stop_ringing(self, leg_sid: str) -> None:
        """End a professional's leg whatever its state: Status=canceled stops a ringing call but
        "will not affect calls already in progress", which Status=completed hangs up
        (https://www.twilio.com/docs/voice/api/call-resource, Update a Call)."""
        for status in ("canceled", "completed"):
            try:
                call = self._do(f"end call ({status})", lambda: self.client.calls(leg_sid).update(status=status))
            except TwilioUnavailable as error:
                if error.status is None or error.status >= 500:
                    raise                  # not reached, or Twilio failed: the caller of this method logs it
                return                     # 4xx: already over (e.g. 21220); nothing is left to end
            if call.status in ENDED:
                return

    def leg_status(self, leg_sid: str) -> str:
        """Twilio's word on a leg (queued, ringing, in-progress, completed, busy, …)."""
        return self._do("fetch a call", lambda: self.client.calls(leg_sid).fetch()).status

    def dialed_calls(self, parent_sid: str) -> list[dict]:
        """The calls a <Dial> on the call `parent_sid` placed, as dicts of sid, status and duration
        (seconds, a string; None until it ended, and for a call never answered) — never the number
        called, which for a callback is the caller's. Read
        Multiple Calls filtered by ParentCallSid, "Only include calls spawned by calls with this
        SID"; a dialled call's parent_call_sid is "The SID that identifies the call that created
        this leg" (https://www.twilio.com/docs/voice/api/call-resource, as the twilio library
        documents the filter and the property)."""
        def listed():
            try:
                return self.client.calls.list(parent_call_sid=parent_sid, limit=20)
            except TwilioException as error:
                raise _page_refused(error) from None

        return [_fields(call, ("sid", "status", "duration", "direction", "parent_call_sid"))
                for call in self._do("list the calls a dial placed", listed)]

    def dequeue(self, queue_sid: str, call_sid: str, url: str) -> None:
        """Take a waiting caller out of the queue to run the TwiML at `url`
        (https://www.twilio.com/docs/voice/api/queue-member, Update a Member)."""
        self._do("dequeue a caller", lambda: self.client.queues(queue_sid).members(call_sid).update(
            url=url, method="POST"))

    def find_number(self, phone_number: str) -> dict | None:
        """The account's IncomingPhoneNumber that is exactly `phone_number` (E.164), as a dict of
        NUMBER_FIELDS; None when the account has no such number. Twilio's PhoneNumber filter also
        matches partial numbers ("You can specify partial numbers and use '*' as a wildcard":
        https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource), hence the
        exact comparison here."""
        def listed():
            try:
                return self.client.incoming_phone_numbers.list(phone_number=phone_number)
            except TwilioException as error:
                raise _page_refused(error) from None

        numbers = self._do("list the account's phone numbers", listed)
        for number in numbers:
            if number.phone_number == phone_number:
                return _fields(number, NUMBER_FIELDS)
        return None

    def update_number(self, sid: str, **settings) -> dict:
        """Set fields of the IncomingPhoneNumber `sid`, by the library's names (voice_url=…,
        trunk_sid="" clears one); the number as Twilio now has it. Fields not named stay as they are."""
        number = self._do("update the phone number",
                          lambda: self.client.incoming_phone_numbers(sid).update(**settings))
        return _fields(number, NUMBER_FIELDS)

    def account(self) -> dict:
        """This account's sid, friendly_name, status (active, suspended, closed) and type (Trial,
        Full): https://www.twilio.com/docs/iam/api/account."""
        account = self._do("fetch the account", lambda: self.client.api.v2010.accounts(self.account_sid).fetch())
        return _fields(account, ("sid", "friendly_name", "status", "type", "owner_account_sid"))

    def recording_audio(self, recording_url: str) -> tuple[bytes, str]:
        """The MP3 of one of this account's recordings and its content type (audio/mpeg), fetched
        with the account's credentials. A RecordingUrl has no extension: "Appending ".mp3" to the URI
        returns a binary MP3 audio file with mime-type type "audio/mpeg"" (".wav": "audio/x-wav")
        (https://www.twilio.com/docs/voice/api/recording#fetch-a-recording-media-file), and once
        "Enforce HTTP Auth on Media URLs" is on, "the Twilio Account Sid and Auth Token ... are
        required for accessing, fetching and downloading call ... recordings media files"
        (https://support.twilio.com/hc/en-us/articles/15827821586843). NotOurRecording for any URL
        but a Recording of this account at `base_url`; TwilioUnavailable (status 404 once deleted) otherwise.

        Through `requests` itself: the twilio library's HTTP client reads a body as text, which
        would mangle audio. A RecordingUrl arrives in a webhook, so a forged one could name any
        host: the URL fetched is rebuilt from our base URL, our account and the sid alone."""
        sid = self._our_recording(recording_url)
        url = f"{self._recordings_url()}/{sid}.mp3"
        try:
            # Twilio may redirect to where the media is kept; requests drops the Authorization
            # header when a redirect leaves the host it was sent to.
            with requests.get(url, auth=(self.account_sid, self._auth_token), timeout=REST_TIMEOUT,
                              stream=True) as response:
                if response.status_code != 200:
                    code = _error_code(response)
                    raise TwilioUnavailable(f"Twilio refused to fetch a recording: {response.status_code} {code}",
                                            response.status_code, code)
                content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if not content_type.startswith("audio/"):
                    # Served on our own pages as it came: never anything a browser would run.
                    raise TwilioUnavailable(f"Twilio answered a recording with {content_type or 'no content type'}")
                return _capped(response), content_type
        except requests.RequestException as error:
            raise TwilioUnavailable(f"Twilio could not be reached to fetch a recording: "
                                    f"{error.__class__.__name__}") from None

    def delete_recording(self, recording_url_or_sid: str) -> None:
        """Delete one of this account's recordings at Twilio (DELETE …/Recordings/{Sid}.json:
        https://www.twilio.com/docs/voice/api/recording); one already deleted (404) counts as done.
        Given a URL rather than a sid, NotOurRecording unless it is a Recording of this account here."""
        given = recording_url_or_sid.strip()
        sid = given if RECORDING_SID.fullmatch(given) else self._our_recording(given)
        try:
            self._do("delete a recording", lambda: self.client.recordings(sid).delete())
        except TwilioUnavailable as error:
            if error.status != NOT_FOUND:
                raise

    def send_sms(self, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
        """Text `to` from one of the account's numbers (POST …/Messages.json, To, From and Body:
        https://www.twilio.com/docs/messaging/api/message-resource); the Message's sid. Twilio
        refuses a From that is not an SMS-capable number of the account (21606).

        Twilio's 201 only means the text is queued: one blocked on its way (from a toll-free number
        not verified, error 30032: https://www.twilio.com/docs/api/errors/30032) is reported later,
        as failed or undelivered, to `status_callback` — the Messages resource's StatusCallback
        parameter, POSTed at each status change after the first
        (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status)."""
        options = {"status_callback": status_callback} if status_callback else {}
        message = self._do("send a text message", lambda: self.client.messages.create(
            to=to, from_=from_, body=body, **options))
        return message.sid

    def call_to_say(self, to: str, from_: str, url: str, *, fallback_url: str) -> str:
        """Place a short call whose TwiML is fetched from `url` (a notice said aloud, when its text
        was not delivered); its CallSid. `fallback_url` is fetched when that TwiML cannot be had or
        run, as for a leg (`ring`): without it the person hears Twilio's "application error". Twilio
        refuses a From that is neither a number of the account nor a verified caller ID (21210:
        https://www.twilio.com/docs/errors/21210)."""
        call = self._do("place a call", lambda: self.client.calls.create(
            to=to, from_=from_, url=url, method="POST", fallback_url=fallback_url, fallback_method="POST"))
        return call.sid

    def is_outgoing_caller_id(self, phone_number: str) -> bool:
        """Whether `phone_number` is one of the account's verified caller IDs (the OutgoingCallerIds
        list resource: https://www.twilio.com/docs/voice/api/outgoing-caller-ids), exactly."""
        def listed():
            try:
                return self.client.outgoing_caller_ids.list(phone_number=phone_number)
            except TwilioException as error:
                raise _page_refused(error) from None

        return any(entry.phone_number == phone_number
                   for entry in self._do("list the account's verified caller IDs", listed))

    def tollfree_verification(self, number_sid: str) -> dict | None:
        """The toll-free verification of the IncomingPhoneNumber `number_sid` (Messaging v1
        Tollfree/Verifications, filtered by TollfreePhoneNumberSid:
        https://www.twilio.com/docs/messaging/api/tollfree-verification-resource): its sid,
        status (PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED) and rejection_reason;
        the most recently updated when there are several; None when none was submitted.

        Requested through the library's client, but to a URL built here: that API lives on
        messaging.twilio.com, which `BaseUrlHttpClient` does not move, so a stand-in of Twilio
        serves it under {base_url}/messaging."""
        host = MESSAGING_API if self.base_url == TWILIO_API else f"{self.base_url}/messaging"
        response = self._do("read the toll-free verification", lambda: self.client.request(
            "GET", f"{host}/v1/Tollfree/Verifications", params={"TollfreePhoneNumberSid": number_sid}))
        try:
            body = json.loads(response.text or "{}")
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if response.status_code >= 400:
            code = body.get("code")
            raise TwilioUnavailable(f"Twilio refused to read the toll-free verification: {response.status_code} {code}",
                                    response.status_code, code)
        found = [v for v in body.get("verifications") or () if isinstance(v, dict)]
        if not found:
            return None
        newest = max(found, key=lambda v: str(v.get("date_updated") or ""))
        return {name: newest.get(name) for name in ("sid", "status", "rejection_reason", "tollfree_phone_number_sid")}

    def _recordings_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings"

    def _our_recording(self, recording_url: str) -> str:
        """The sid of `recording_url` if it is a Recording of this account at `base_url`; else NotOurRecording."""
        ours, theirs = urlsplit(self.base_url), urlsplit((recording_url or "").strip())
        found = RECORDING_PATH.fullmatch(theirs.path)
        same_place = (theirs.scheme.lower(), theirs.hostname, _port(theirs)) == (
            ours.scheme.lower(), ours.hostname, _port(ours))
        if (not found or not same_place or theirs.username is not None or theirs.password is not None
                or theirs.query or theirs.fragment or found["prefix"] != ours.path.rstrip("/")
                or found["account"] != self.account_sid):
            raise NotOurRecording("not a recording of this Twilio account; not fetched")
        return found["sid"]

    def _do(self, what: str, request):
        try:
            return request()
        except TwilioRestException as error:
            raise TwilioUnavailable(f"Twilio refused to {what}: {error.status} {error.code}",
                                    error.status, error.code) from None
        except (TwilioException, requests.RequestException, OSError) as error:
            raise TwilioUnavailable(f"Twilio could not be reached to {what}: {error.__class__.__name__}") from None

    # -- `ivr twilio rehearse` ---------------------------------------------------------------------
    def place_rehearsal_call(self, to: str, from_: str, send_digits: str, twiml: str) -> str:
        """Place a rehearsal's call into the helpline; its CallSid. `send_digits`: "The string of keys
        to dial after connecting to the number, with a maximum length of 32 digits ... 'w' to insert a
        half-second pause"; `twiml`: "TwiML instructions for the call Twilio will use without fetching
        Twiml from url" (Create a Call, https://www.twilio.com/docs/voice/api/call-resource, as the
        twilio library documents its SendDigits and Twiml parameters). No FallbackUrl: it is for
        "an error ... when requesting or executing the TwiML at url", and this call has no Url; what
        it runs is written here, not fetched from the helpline."""
        call = self._do("place the rehearsal call", lambda: self.client.calls.create(
            to=to, from_=from_, send_digits=send_digits, twiml=twiml))
        return call.sid

    def call_facts(self, call_sid: str) -> dict:
        """A call's from, to, status, duration (seconds, once over) and price, as Twilio has them
        (Fetch a Call, https://www.twilio.com/docs/voice/api/call-resource); Twilio may give the
        price only some time after the call ended, so it may be None."""
        call = self._do("fetch a call", lambda: self.client.calls(call_sid).fetch())
        facts = _fields(call, ("sid", "to", "status", "duration", "price", "price_unit"))
        facts["from"] = getattr(call, "from_", None) or getattr(call, "_from", None)
        return facts


#: Where Twilio's Messaging v1 API (toll-free verifications) is served.
MESSAGING_API = "https://messaging.twilio.com"


def recording_sid(recording_url: str) -> str | None:
    """The RE… sid of a Recording URL (any host, with or without .mp3/.wav/.json), or None."""
    found = RECORDING_PATH.fullmatch(urlsplit((recording_url or "").strip()).path)
    return found["sid"] if found else None


def _port(url) -> int | None:
    try:
        return url.port or {"https": 443, "http": 80}.get(url.scheme.lower())
    except ValueError:          # a port that is not a number
        return -1


def _capped(response) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_RECORDING_BYTES:
        raise TwilioUnavailable(f"a recording of {declared} bytes is more than we read")
    audio = bytearray()
    for chunk in response.iter_content(chunk_size=64 * 1024):
        audio += chunk
        if len(audio) > MAX_RECORDING_BYTES:
            raise TwilioUnavailable(f"a recording of more than {MAX_RECORDING_BYTES} bytes is more than we read")
    return bytes(audio)


def _error_code(response) -> int | None:
    """Twilio's error code in a refusal's JSON body, when it has one (and it is small)."""
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        body = json.loads(response.raw.read(64 * 1024, decode_content=True) or b"{}")
    except (ValueError, OSError):
        return None
    return body.get("code") if isinstance(body, dict) else None


def _fields(instance, names: tuple) -> dict:
    return {name: getattr(instance, name, None) for name in names}


def _page_refused(error: TwilioException) -> TwilioException:
    """A list page Twilio refused comes from the library as TwilioException("Unable to fetch
    page", response), not as TwilioRestException: made one, with Twilio's status and code."""
    response = error.args[1] if len(error.args) > 1 else None
    if not isinstance(response, Response):
        return error
    try:
        body = json.loads(response.text)
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return TwilioRestException(response.status_code, "", str(body.get("message", "")), body.get("code"))
