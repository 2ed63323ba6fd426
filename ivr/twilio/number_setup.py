"""What the helpline's Twilio number must be set to, and how what it has differs: the decisions
behind `ivr twilio configure` and `ivr twilio check`. Plain values in and out; the REST adapter
(twilio_api) fetches and sends, the `ivr` command prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

from .backup_line import backup_line_twiml
from .retries import retried


#: The number's fields the helpline sets, by their JSON names (the twilio library's too), with
#: the REST API's names, which Twilio's docs use and `ivr twilio` prints.
NAMES = {
    "voice_url": "VoiceUrl", "voice_method": "VoiceMethod",
    "voice_fallback_url": "VoiceFallbackUrl", "voice_fallback_method": "VoiceFallbackMethod",
    "status_callback": "StatusCallback", "status_callback_method": "StatusCallbackMethod",
    "sms_url": "SmsUrl", "sms_method": "SmsMethod",
    "voice_application_sid": "VoiceApplicationSid", "trunk_sid": "TrunkSid", "sms_application_sid": "SmsApplicationSid",
}
#: Set on a number, each makes Twilio pass over some of its URLs ("If a voice_application_sid is
#: present, we ignore all of the voice urls"; "If a trunk_sid is present, we ignore all of the voice
#: urls and voice applications": https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource).
OVERRIDES = {
    "voice_application_sid": "Twilio ignores the number's voice URLs while it is set and calls the application's",
    "trunk_sid": "Twilio ignores the number's voice URLs while it is set and sends calls to the SIP trunk",
    "sms_application_sid": "Twilio ignores the number's SmsUrl while it is set, so professionals' ON/OFF "
                           "texts go to that application",
}
#: Those that take callers away from the helpline: configure refuses to leave them in place.
VOICE_OVERRIDES = ("voice_application_sid", "trunk_sid")
NO_STATIC_FALLBACK = ("no --fallback-url: the fallback is this same host's /voice/fallback, so an outage of "
                      "the host takes both down and callers hear Twilio's error message instead of the "
                      "backup line. Host the file of `ivr twilio backup-twiml` elsewhere (S3, GitHub "
                      "Pages…) and pass its URL as --fallback-url.")


class SetupRefused(Exception):
    """What was given cannot be set on a number (a malformed URL, a number that is not dialable)."""


def base_url(text: str) -> str:
    """'https://host/' -> 'https://host': where the helpline's webhooks are, with no query or #."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SetupRefused(f"--base-url {text!r}: give how Twilio reaches the helpline, as https://your-host "
                           "(no query, no #)")
    return text.rstrip("/")


def fallback_url(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SetupRefused(f"--fallback-url {text!r}: give the full URL of the hosted backup TwiML file, "
                           "as https://static-host/backup.xml")
    return text


def wanted_settings(base: str, fallback: str | None = None) -> dict:
    """What configure sets, by JSON name. A static fallback is fetched with GET: "Twilio cannot
    cache POSTs", and many static hosts refuse a POST to a file
    (https://www.twilio.com/docs/voice/twiml, https://www.twilio.com/docs/api/errors/11200)."""
    return {
        "voice_url": f"{base}/voice/incoming", "voice_method": "POST",
        "voice_fallback_url": fallback or f"{base}/voice/fallback",
        "voice_fallback_method": "GET" if fallback else "POST",
        "status_callback": retried(f"{base}/voice/status"), "status_callback_method": "POST",
        "sms_url": f"{base}/sms/incoming", "sms_method": "POST",
    }


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{NAMES[self.field]}: {_shown(self.old)} → {_shown(self.new)}"

    def as_difference(self) -> str:
        return f"{NAMES[self.field]}: is {_shown(self.old)}, should be {_shown(self.new)}"


def changes(number: dict, wanted: dict) -> list:
    """Each of `wanted` that the number does not have yet, old → new."""
    return [Change(name, number.get(name) or "", value) for name, value in wanted.items()
            if not _same(name, number.get(name), value)]


def _same(name: str, have, want: str) -> bool:
    if name.endswith("_method"):
        return (have or "").upper() == want.upper()
    return (have or "") == want


def _shown(value: str) -> str:
    return value or "(none)"


@dataclass(frozen=True)
class Plan:
    """What configure does to one number: `update` is sent as it is (nothing when it is empty)."""
    update: dict
    changes: list
    refused: str = ""
    notes: list = field(default_factory=list)


def plan_configuration(number: dict, base: str, fallback: str | None = None,
                       clear_application: bool = False) -> Plan:
    """Everything configure sets is sent whenever anything differs, so Twilio never sees a
    VoiceFallbackUrl without the VoiceUrl beside it (error 21405,
    https://www.twilio.com/docs/api/errors/21405); only what changes is reported."""
    notes = fallback_notes(base, fallback)
    cleared, refusals = {}, []
    for name in OVERRIDES:
        sid = number.get(name)
        if not sid:
            continue
        if clear_application:
            cleared[name] = ""           # "" clears it; sent with the URLs, in the same request
            notes.append(f"{NAMES[name]} was {sid}: {OVERRIDES[name]}; cleared")
        elif name in VOICE_OVERRIDES:
            refusals.append(f"{number.get('phone_number')} has {NAMES[name]} {sid}: {OVERRIDES[name]}.")
        else:
            notes.append(f"{NAMES[name]} is {sid}: {OVERRIDES[name]} (--clear-application clears it)")
    if refusals:
        return Plan({}, [], "\n".join(refusals + [
            "Nothing was changed. Run again with --clear-application to clear it and send calls to the "
            "helpline, or remove it in the Twilio console."]), notes)
    update = {**wanted_settings(base, fallback), **cleared}
    changed = changes(number, update)
    return Plan(update if changed else {}, changed, "", notes)


def fallback_notes(base: str, fallback: str | None) -> list:
    if fallback is None:
        return [NO_STATIC_FALLBACK]
    if urlsplit(fallback).hostname == urlsplit(base).hostname:
        return [f"--fallback-url is on {urlsplit(base).hostname}, the helpline's own host: an outage of "
                "that host takes both down. Host the backup TwiML somewhere else."]
    return []


def number_problems(number: dict, base: str, fallback: str | None = None) -> list:
    """One line for each way the number differs from what configure would set, or would keep
    callers from reaching the helpline."""
    problems = []
    for change in changes(number, wanted_settings(base, fallback)):
        hint = ""
        if change.field == "voice_fallback_url" and fallback is None and change.old:
            hint = " (if that is the hosted backup TwiML, pass it as --fallback-url)"
        problems.append(change.as_difference() + hint)
    for name, why in OVERRIDES.items():
        if number.get(name):
            problems.append(f"{NAMES[name]}: is {number[name]}, should be (none): {why} "
                            "(`ivr twilio configure --clear-application` clears it)")
    if (number.get("capabilities") or {}).get("voice") is False:
        problems.append(f"{number.get('phone_number')} cannot take voice calls (its capabilities say voice: false)")
    if number.get("voice_receive_mode") == "fax":
        problems.append("VoiceReceiveMode: is fax, should be voice: Twilio answers its calls as faxes")
    return problems


def account_problems(account: dict) -> list:
    """An account places and takes calls only while its status is active
    (https://www.twilio.com/docs/iam/api/account; a suspended one "cannot use Twilio for calls":
    https://www.twilio.com/docs/api/errors/10001); a trial account only with verified numbers
    (https://www.twilio.com/docs/usage/trials/try-out-voice)."""
    problems = []
    sid = account.get("sid")
    if account.get("status") != "active":
        problems.append(f"account {sid} is {account.get('status') or 'of unknown status'}, should be active: "
                        "it can neither take callers nor ring professionals")
    if account.get("type") == "Trial":
        problems.append(f"account {sid} is a trial account: it takes calls only from, and places them only to, "
                        "numbers verified on it, so callers are turned away")
    return problems


def account_summary(account: dict) -> str:
    subaccount = account.get("owner_account_sid") not in (None, account.get("sid"))
    return (f"account {account.get('sid')} ({account.get('type') or 'type unknown'}"
            f"{', a subaccount' if subaccount else ''}) is {account.get('status')}")


def not_on_account(phone_number: str, account_sid: str) -> str:
    return (f"{phone_number} is not a number of account {account_sid} (IncomingPhoneNumbers has no exact "
            "match): check --number, and TWILIO_ACCOUNT_SID if the number is on a subaccount")


def refusal(error, api_url: str) -> tuple:
    """(exit code, message) for a TwilioUnavailable: 2 when Twilio could not be reached or
    refused the credentials, 1 when it refused the request itself."""
    if error.status is None:
        return 2, f"Twilio could not be reached at {api_url}: {error}"
    if error.status in (401, 403):
        return 2, (f"Twilio refused these credentials (HTTP {error.status}, error {error.code}): check "
                   "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the account's Auth Token, not an API key)")
    if error.status >= 500:
        return 2, f"Twilio failed to answer (HTTP {error.status}); try again in a moment: {error}"
    return 1, f"{error}" + (f" (https://www.twilio.com/docs/api/errors/{error.code})" if error.code else "")


def backup_document(backup_line: str, flows) -> str:
    """The static TwiML a fallback host serves: the flows' backup-line words in every language,
    then the backup line. Refused rather than written without its words, as a file like this is
    hosted once and kept."""
    xml = backup_line_twiml(backup_line, flows)
    spoken = sum(1 for _ in ElementTree.fromstring(xml).iter("Say"))
    if spoken < len(flows.languages):
        raise SetupRefused("the backup line's words could not be rendered from the flows (see the log); "
                           "no file was written")
    return xml


# -- what professionals' phones see, and what texts go from ----------------------------------------
#: NANP toll-free area codes ("NANP toll-free numbers begin with 800, 888, 877, 866, 855, 844, or
#: 833": https://www.twilio.com/docs/messaging/api/tollfree-verification-resource).
TOLL_FREE_CODES = ("800", "888", "877", "866", "855", "844", "833")
APPROVED = "TWILIO_APPROVED"


def is_toll_free(phone_number: str) -> bool:
    return phone_number.startswith("+1") and phone_number[2:5] in TOLL_FREE_CODES


def caller_id_standing(api, phone_number: str) -> str | None:
    """What `phone_number` is to the account, for calls placed From it: 'a number of the account'
    (IncomingPhoneNumbers), 'a verified caller ID' (OutgoingCallerIds), or None — and then Twilio
    refuses them (21210: "The From number used to make outbound call not a Twilio number or not a
    verified caller ID", https://www.twilio.com/docs/errors/21210). TwilioUnavailable goes up."""
    if api.find_number(phone_number) is not None:
        return "a number of the account"
    if api.is_outgoing_caller_id(phone_number):
        return "a verified caller ID"
    return None


def caller_id_problem(api, phone_number: str, what: str) -> str | None:
    if caller_id_standing(api, phone_number) is not None:
        return None
    return caller_id_problem_text(what, phone_number)


def caller_id_problem_text(what: str, phone_number: str) -> str:
    return (f"{what} {phone_number} is neither a number of this account nor one of its verified caller IDs "
            "(OutgoingCallerIds): Twilio refuses every call placed from it (error 21210), so nobody is rung")


def texting_lines(number: dict, verification, verification_error: str = "") -> tuple:
    """(problems, facts) about texts from the helpline's number: its SMS capability, and the
    registration US carriers need before they pass its texts — toll-free verification for a
    toll-free number (read from Twilio: `verification` is its resource, None when none was
    submitted, or `verification_error` says why it is unknown), A2P 10DLC for a local US number
    (not read: said as unknown)."""
    phone = number.get("phone_number") or ""
    problems, notes = [], []
    if (number.get("capabilities") or {}).get("sms") is False:
        problems.append(f"{phone} cannot send texts (its capabilities say sms: false): voicemail and callback "
                        "notices and ON/OFF replies cannot go from it")
    else:
        notes.append(f"{phone} can send texts (capabilities sms: true)")
    if is_toll_free(phone):
        if verification_error:
            notes.append(f"toll-free verification of {phone}: unknown ({verification_error})")
        elif verification is None:
            problems.append(f"{phone} is toll-free and has no toll-free verification: Twilio blocks its texts to US "
                            "and Canadian phones (error 30032) until one is submitted and approved")
        elif verification.get("status") != APPROVED:
            reason = f", {verification['rejection_reason']}" if verification.get("rejection_reason") else ""
            problems.append(f"{phone} is toll-free and its verification {verification.get('sid')} is "
                            f"{verification.get('status')}{reason}: its texts to US and Canadian phones are blocked "
                            "(error 30032) until it is TWILIO_APPROVED")
        else:
            notes.append(f"toll-free verification of {phone}: {APPROVED}")
    elif phone.startswith("+1"):
        notes.append(f"{phone} is a local US/Canada number: its texts need A2P 10DLC registration (a brand and "
                     "campaign in the Twilio console); registration status: unknown (not checked here)")
    return problems, notes
