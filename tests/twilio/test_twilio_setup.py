"""`ivr twilio configure | check | backup-twiml`: the number is pointed at the helpline with exactly
the REST requests Twilio documents (recorded through the twilio library's pluggable HTTP client,
and once over real HTTP against a stand-in of IncomingPhoneNumbers), `check` lists every difference
and an account that cannot take calls, and the static backup TwiML dials the backup line with the
shipped flows' words in both languages."""
from __future__ import annotations

import json
import re
import socket
import threading
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ivr.calls import engine
from ivr.cli import main
from rest_fakes import Recorder, Sent, twilio_error

ACCOUNT_SID, AUTH_TOKEN = "AC" + "5" * 32, "setup-auth-token-0123456789abcdef"
ACCOUNT = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
NUMBER_SID, HELPLINE = "PN" + "1" * 32, "+18005550100"
BASE = "https://helpline.example"
STATIC = "https://backup.example.org/helpline/backup.xml"
RETRIES = "#ct=1000&rt=6000&tt=15000&rc=1&rp=ct,rt,5xx"
#: What configure sends, to https://helpline.example, with the static fallback.
CONFIGURED = {
    "VoiceUrl": "https://helpline.example/voice/incoming", "VoiceMethod": "POST",
    "VoiceFallbackUrl": STATIC, "VoiceFallbackMethod": "GET",
    "StatusCallback": "https://helpline.example/voice/status" + RETRIES, "StatusCallbackMethod": "POST",
    "SmsUrl": "https://helpline.example/sms/incoming", "SmsMethod": "POST",
}
AUTH = (ACCOUNT_SID, AUTH_TOKEN)
LIST = Sent("GET", f"{ACCOUNT}/IncomingPhoneNumbers.json", {"PhoneNumber": HELPLINE}, None, AUTH)
UPDATE = f"{ACCOUNT}/IncomingPhoneNumbers/{NUMBER_SID}.json"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def number_resource(phone_number: str = HELPLINE, sid: str = NUMBER_SID, **fields) -> dict:
    """An IncomingPhoneNumber as Twilio's JSON has it; by default as a number just bought."""
    resource = {
        "sid": sid, "account_sid": ACCOUNT_SID, "phone_number": phone_number, "friendly_name": "helpline",
        "voice_url": "https://demo.twilio.com/welcome/voice/", "voice_method": "POST",
        "voice_fallback_url": "", "voice_fallback_method": "POST",
        "status_callback": "", "status_callback_method": "POST",
        "sms_url": "https://demo.twilio.com/welcome/sms/reply", "sms_method": "POST",
        "voice_application_sid": None, "trunk_sid": None, "sms_application_sid": "",
        "voice_receive_mode": "voice", "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json",
    }
    resource.update(fields)
    return resource


def configured(**fields) -> dict:
    return number_resource(**{**{snake(name): value for name, value in CONFIGURED.items()}, **fields})


def listed(*numbers) -> tuple:
    return 200, {"incoming_phone_numbers": list(numbers), "next_page_uri": None, "page": 0, "page_size": 50,
                 "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json?PhoneNumber=%2B18005550100"}


def after_update(number: dict, sent: dict) -> tuple:
    return 200, {**number, **{snake(name): value for name, value in sent.items()}}


VERIFICATIONS = Sent("GET", "https://messaging.twilio.com/v1/Tollfree/Verifications",
                     {"TollfreePhoneNumberSid": NUMBER_SID}, None, AUTH)
SHIPPED_ROSTER_SAYS = ("caller ID: the roster sets no caller_id: calls go from the number each caller dialled, "
                       f"e.g. {HELPLINE}, a number of the account")


def verifications(*statuses, reason=None) -> tuple:
    """Messaging v1 Tollfree/Verifications of the number, as Twilio lists them."""
    return 200, {"verifications": [{"sid": f"HH{i:032d}", "account_sid": ACCOUNT_SID, "status": status,
                                    "tollfree_phone_number_sid": NUMBER_SID, "rejection_reason": reason,
                                    "date_updated": f"2026-12-0{i + 1}T00:00:00Z"} for i, status in enumerate(statuses)],
                 "meta": {"page": 0, "page_size": 50, "key": "verifications"}}


APPROVED = verifications("TWILIO_APPROVED")


def account(status: str = "active", kind: str = "Full") -> tuple:
    return 200, {"sid": ACCOUNT_SID, "owner_account_sid": ACCOUNT_SID, "friendly_name": "Helpline",
                 "status": status, "type": kind, "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"}


ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "IVR_TWILIO_API_URL": None,
       "IVR_ENV": None, "IVR_FLOWS_DIR": None, "IVR_AUDIO_DIR": None, "IVR_BACKUP_LINE": None,
       "TWILIO_WEBHOOK_SHARED_KEYS": None, "TWILIO_EDGE": None, "TWILIO_REGION": None}


def ivr_twilio(*arguments, answers=(), env=None):
    """Run `ivr twilio ...` with Twilio answering `answers` in turn; the result and what was sent."""
    recorder = Recorder(*answers)
    result = CliRunner().invoke(main, ["twilio", *arguments], env={**ENV, **(env or {})},
                                obj={"twilio_http_client": recorder})
    return result, recorder.sent


# -- configure -------------------------------------------------------------------------------------
def test_configure_sends_every_webhook_in_one_update_with_the_static_fallback_fetched_with_get():
    bought = number_resource()
    result, sent = ivr_twilio("configure", "--number", "+1 (800) 555-0100", "--base-url", BASE + "/",
                              "--fallback-url", STATIC, answers=[listed(bought), after_update(bought, CONFIGURED)])
    assert result.exit_code == 0, result.output
    assert sent == [LIST, Sent("POST", UPDATE, None, CONFIGURED, AUTH)]
    assert result.stdout.splitlines() == [
        f"{HELPLINE} ({NUMBER_SID}):",
        "  VoiceUrl: https://demo.twilio.com/welcome/voice/ → https://helpline.example/voice/incoming",
        f"  VoiceFallbackUrl: (none) → {STATIC}",
        "  VoiceFallbackMethod: POST → GET",
        f"  StatusCallback: (none) → https://helpline.example/voice/status{RETRIES}",
        "  SmsUrl: https://demo.twilio.com/welcome/sms/reply → https://helpline.example/sms/incoming",
    ]
    assert result.stderr == ""


def test_configure_without_a_fallback_url_uses_the_helplines_own_and_says_an_outage_takes_both_down():
    bought = number_resource()
    expected = {**CONFIGURED, "VoiceFallbackUrl": "https://helpline.example/voice/fallback",
                "VoiceFallbackMethod": "POST"}
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE,
                              answers=[listed(bought), after_update(bought, expected)])
    assert result.exit_code == 0, result.output
    assert sent == [LIST, Sent("POST", UPDATE, None, expected, AUTH)]
    assert "  VoiceFallbackUrl: (none) → https://helpline.example/voice/fallback" in result.stdout.splitlines()
    assert "an outage of the host takes both down" in result.stderr
    assert "--fallback-url" in result.stderr


def test_a_fallback_on_the_helplines_own_host_is_set_but_called_out():
    fallback = "https://helpline.example/static/backup.xml"
    bought = number_resource()
    expected = {**CONFIGURED, "VoiceFallbackUrl": fallback}
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", fallback,
                              answers=[listed(bought), after_update(bought, expected)])
    assert result.exit_code == 0, result.output
    assert sent[1].data == expected
    assert "helpline.example, the helpline's own host: an outage of that host takes both down" in result.stderr


def test_configure_picks_the_exact_number_among_the_partial_matches_twilio_lists():
    # The PhoneNumber filter "can specify partial numbers": a longer number containing ours is listed too.
    other = number_resource(phone_number="+18005550100999", sid="PN" + "9" * 32)
    ours = number_resource()
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(other, ours), after_update(ours, CONFIGURED)])
    assert result.exit_code == 0, result.output
    assert [request.url for request in sent] == [LIST.url, UPDATE]


def test_configure_sends_nothing_when_the_number_is_already_set_as_it_should_be():
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(configured())])
    assert result.exit_code == 0, result.output
    assert sent == [LIST]
    assert result.stdout == f"{HELPLINE}: already set as it should be; nothing changed\n"


def test_a_method_twilio_writes_in_lower_case_is_not_a_change():
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(configured(voice_method="post", voice_fallback_method="get"))])
    assert (result.exit_code, sent) == (0, [LIST]), result.output


@pytest.mark.parametrize("field, sid", [("voice_application_sid", "AP" + "a" * 32), ("trunk_sid", "TK" + "b" * 32)])
def test_configure_refuses_a_number_whose_calls_go_to_an_application_or_trunk_and_changes_nothing(field, sid):
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(number_resource(**{field: sid}))])
    assert result.exit_code == 1
    assert sent == [LIST]
    name = {"voice_application_sid": "VoiceApplicationSid", "trunk_sid": "TrunkSid"}[field]
    assert f"{HELPLINE} has {name} {sid}: Twilio ignores the number's voice URLs while it is set" in result.output
    assert "Nothing was changed. Run again with --clear-application" in result.output
    assert "Traceback" not in result.output


def test_configure_with_clear_application_clears_it_in_the_same_update_as_the_urls():
    app = "AP" + "a" * 32
    before = number_resource(voice_application_sid=app, sms_application_sid="AP" + "c" * 32)
    expected = {**CONFIGURED, "VoiceApplicationSid": "", "SmsApplicationSid": ""}
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              "--clear-application", answers=[listed(before), after_update(before, expected)])
    assert result.exit_code == 0, result.output
    assert sent == [LIST, Sent("POST", UPDATE, None, expected, AUTH)]
    assert f"  VoiceApplicationSid: {app} → (none)" in result.stdout.splitlines()
    assert f"VoiceApplicationSid was {app}: Twilio ignores the number's voice URLs" in result.stderr


def test_an_sms_application_is_named_but_does_not_stop_the_voice_configuration():
    before = number_resource(sms_application_sid="AP" + "c" * 32)
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(before), after_update(before, CONFIGURED)])
    assert result.exit_code == 0, result.output
    assert sent[1].data == CONFIGURED
    assert "SmsApplicationSid is APcccc" in result.stderr and "--clear-application clears it" in result.stderr


def test_configure_says_so_when_twilio_does_not_keep_a_setting_it_was_sent():
    bought = number_resource()
    kept = after_update(bought, {**CONFIGURED, "StatusCallback": "https://helpline.example/voice/status"})
    result, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(bought), kept])
    assert result.exit_code == 1
    assert len(sent) == 2
    assert ("StatusCallback: is https://helpline.example/voice/status, should be "
            f"https://helpline.example/voice/status{RETRIES}") in result.output


def test_a_number_not_on_the_account_is_named_and_nothing_is_sent_to_change_it():
    near = number_resource(phone_number="+18005550100999")
    for command in ("configure", "check"):
        result, sent = ivr_twilio(command, "--number", HELPLINE, "--base-url", BASE, answers=[listed(near)])
        assert result.exit_code == 1, command
        assert sent == [LIST]
        assert f"{HELPLINE} is not a number of account {ACCOUNT_SID}" in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["configure", "check"])
def test_credentials_twilio_refuses_exit_2_with_a_clear_message(command):
    result, sent = ivr_twilio(command, "--number", HELPLINE, "--base-url", BASE, answers=[twilio_error(401, 20003)])
    assert result.exit_code == 2
    assert sent == [LIST]
    assert result.output == ("Error: Twilio refused these credentials (HTTP 401, error 20003): check "
                             "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the account's Auth Token, not an API key)\n")


@pytest.mark.parametrize("command", ["configure", "check"])
def test_missing_credentials_exit_2_before_anything_is_sent(command):
    result, sent = ivr_twilio(command, "--number", HELPLINE, "--base-url", BASE,
                              env={"TWILIO_AUTH_TOKEN": None})
    assert (result.exit_code, sent) == (2, [])
    assert "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in result.output


def test_twilio_out_of_reach_exits_2_naming_where_it_was_looked_for():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()                        # nothing listens there now: the connection is refused
    result = CliRunner().invoke(main, ["twilio", "check", "--number", HELPLINE, "--base-url", BASE],
                                env={**ENV, "IVR_TWILIO_API_URL": f"http://127.0.0.1:{port}"})
    assert result.exit_code == 2
    assert f"Twilio could not be reached at http://127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


def test_a_server_error_from_twilio_exits_2_and_a_refused_update_exits_1():
    bought = number_resource()
    failed, _ = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE, answers=[twilio_error(503, 20500)])
    refused, sent = ivr_twilio("configure", "--number", HELPLINE, "--base-url", BASE,
                               answers=[listed(bought), twilio_error(400, 21502)])
    assert failed.exit_code == 2 and "Twilio failed to answer (HTTP 503)" in failed.output
    assert refused.exit_code == 1 and len(sent) == 2
    assert "400 21502 (https://www.twilio.com/docs/api/errors/21502)" in refused.output


@pytest.mark.parametrize("arguments", [["--base-url", "helpline.example"], ["--base-url", BASE + "/?x=1"],
                                       ["--base-url", BASE, "--fallback-url", "backup.xml"],
                                       ["--number", "12"]])
def test_a_malformed_url_or_number_is_refused_before_twilio_is_asked(arguments):
    options = {"--number": HELPLINE, "--base-url": BASE}
    pairs = dict(zip(arguments[::2], arguments[1::2]))
    given = [item for key, value in {**options, **pairs}.items() for item in (key, value)]
    result, sent = ivr_twilio("configure", *given)
    assert result.exit_code == 2 and sent == []
    assert "(see: main twilio configure --help)" in result.output     # one line, and where to read more


# -- check -----------------------------------------------------------------------------------------
def test_check_of_a_configured_number_on_an_active_account_exits_0():
    result, sent = ivr_twilio("check", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(configured()), account(), APPROVED])
    assert result.exit_code == 0, result.output
    assert sent == [LIST, Sent("GET", f"{ACCOUNT}.json", None, None, AUTH), VERIFICATIONS]
    assert result.stdout.splitlines() == [
        f"{HELPLINE}: OK, set as `ivr twilio configure` would set it; account {ACCOUNT_SID} (Full) is active",
        f"texts: {HELPLINE} can send texts (capabilities sms: true); toll-free verification of {HELPLINE}: "
        "TWILIO_APPROVED",
        SHIPPED_ROSTER_SAYS,
    ]


def test_check_reports_each_difference_on_a_line_of_its_own_and_exits_1():
    number = configured(voice_url="https://old-host.example/voice", status_callback="https://helpline.example/voice/status",
                        sms_method="GET", voice_application_sid="AP" + "a" * 32)
    result, sent = ivr_twilio("check", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(number), account(), APPROVED])
    assert result.exit_code == 1
    assert [request.method for request in sent] == ["GET", "GET", "GET"]         # check changes nothing
    assert result.stdout.splitlines() == [
        "VoiceUrl: is https://old-host.example/voice, should be https://helpline.example/voice/incoming",
        f"StatusCallback: is https://helpline.example/voice/status, should be https://helpline.example/voice/status{RETRIES}",
        "SmsMethod: is GET, should be POST",
        f"VoiceApplicationSid: is AP{'a' * 32}, should be (none): Twilio ignores the number's voice URLs while it "
        "is set and calls the application's (`ivr twilio configure --clear-application` clears it)",
    ]
    assert f"{HELPLINE}: 4 problems" in result.stderr


def test_check_without_a_fallback_url_hints_at_it_when_the_number_has_a_static_one():
    result, _ = ivr_twilio("check", "--number", HELPLINE, "--base-url", BASE,
                           answers=[listed(configured()), account(), APPROVED])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"VoiceFallbackUrl: is {STATIC}, should be https://helpline.example/voice/fallback "
        "(if that is the hosted backup TwiML, pass it as --fallback-url)",
        "VoiceFallbackMethod: is GET, should be POST",
    ]


@pytest.mark.parametrize("status, kind, problem", [
    ("suspended", "Full", f"account {ACCOUNT_SID} is suspended, should be active: it can neither take callers nor "
                          "ring professionals"),
    ("closed", "Full", f"account {ACCOUNT_SID} is closed, should be active"),
    ("active", "Trial", f"account {ACCOUNT_SID} is a trial account: it takes calls only from, and places them only "
                        "to, numbers verified on it"),
])
def test_check_fails_for_an_account_that_cannot_take_or_place_calls(status, kind, problem):
    result, _ = ivr_twilio("check", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                           answers=[listed(configured()), account(status, kind), APPROVED])
    assert result.exit_code == 1
    assert problem in result.stdout


def test_check_names_a_number_that_cannot_take_voice_calls_or_answers_them_as_faxes():
    number = configured(capabilities={"voice": False, "sms": True}, voice_receive_mode="fax")
    result, _ = ivr_twilio("check", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                           answers=[listed(number), account(), APPROVED])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{HELPLINE} cannot take voice calls (its capabilities say voice: false)",
        "VoiceReceiveMode: is fax, should be voice: Twilio answers its calls as faxes",
    ]


def test_check_exits_2_when_the_account_cannot_be_fetched_with_these_credentials():
    result, sent = ivr_twilio("check", "--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC,
                              answers=[listed(configured()), twilio_error(401, 20003)])
    assert result.exit_code == 2 and len(sent) == 2
    assert "Twilio refused these credentials" in result.output


# -- backup-twiml ----------------------------------------------------------------------------------
def backup_twiml(tmp_path, env=None):
    output = tmp_path / "backup.xml"
    result = CliRunner().invoke(main, ["twilio", "backup-twiml", "--output", str(output)], env={**ENV, **(env or {})})
    return result, output


def said(element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_backup_twiml_speaks_the_shipped_words_in_both_languages_dials_the_backup_line_and_hangs_up(
        tmp_path, shipped_flows):
    result, output = backup_twiml(tmp_path)
    assert result.exit_code == 0, result.output
    document = ElementTree.fromstring(output.read_bytes())
    assert document.tag == "Response"
    verbs = list(document)
    assert [verb.tag for verb in verbs] == ["Say", "Say", "Dial", "Say", "Say", "Hangup"]
    assert verbs[2].text == "+18006624357" and verbs[2].get("answerOnBridge") == "true"

    def words(name, code):
        return " ".join(engine.message(shipped_flows, name, code).text.split())
    assert [(verb.get("language"), said(verb)) for verb in verbs if verb.tag == "Say"] == [
        ("en-US", words("something-went-wrong", "en")), ("es-US", words("something-went-wrong", "es")),
        ("en-US", words("could-not-connect", "en")), ("es-US", words("could-not-connect", "es")),
    ]
    assert "Lo sentimos" in said(verbs[1])
    assert f"wrote {output}" in result.stderr


def test_backup_twiml_dials_the_configured_backup_line_and_prints_the_document_without_output():
    result = CliRunner().invoke(main, ["twilio", "backup-twiml"], env={**ENV, "IVR_BACKUP_LINE": "+18005550199"})
    assert result.exit_code == 0, result.output
    document = ElementTree.fromstring(result.stdout.encode())
    assert [dial.text for dial in document.iter("Dial")] == ["+18005550199"]


def test_backup_twiml_refuses_broken_flows_and_writes_nothing(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "main.yaml").write_text("languages: [\n", encoding="utf-8")
    result, output = backup_twiml(tmp_path, env={"IVR_FLOWS_DIR": str(flows)})
    assert result.exit_code == 1
    assert "has problems to fix first (run: ivr check" in result.output
    assert not output.exists()


def test_backup_twiml_refuses_a_backup_line_that_cannot_be_dialled(tmp_path):
    result, output = backup_twiml(tmp_path, env={"IVR_BACKUP_LINE": "call-us"})
    assert result.exit_code == 1 and "IVR_BACKUP_LINE 'call-us' is not a dialable number" in result.output
    assert not output.exists()


# -- over real HTTP: a stand-in of IncomingPhoneNumbers and the Account ---------------------------
class NumbersStandIn:
    """The account's numbers and the Account itself, served as Twilio's REST API serves them
    (Basic auth with the SID and token, a partial PhoneNumber filter, form-encoded updates)."""

    def __init__(self, *numbers):
        self.numbers = {number["sid"]: dict(number) for number in numbers}
        self.forms: list = []

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.answer(request)
        return response(environ, start_response)

    def answer(self, request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (ACCOUNT_SID, AUTH_TOKEN):
            return Response('{"code": 20003, "message": "Authenticate", "status": 401}', 401,
                            content_type="application/json")
        base = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
        if request.method == "GET" and request.path == f"{base}.json":
            return json_response(account()[1])
        if request.method == "GET" and request.path == "/messaging/v1/Tollfree/Verifications":
            return json_response(APPROVED[1])
        if request.method == "GET" and request.path == f"{base}/IncomingPhoneNumbers.json":
            pattern = request.args.get("PhoneNumber", "")
            return json_response(listed(*[n for n in self.numbers.values() if pattern in n["phone_number"]])[1])
        found = re.fullmatch(rf"{base}/IncomingPhoneNumbers/(PN\w+)\.json", request.path)
        if request.method == "POST" and found and found[1] in self.numbers:
            self.forms.append(request.form.to_dict(flat=False))
            number = self.numbers[found[1]]
            number.update({snake(name): value for name, value in request.form.items()})
            return json_response(number)
        return Response('{"code": 20404, "message": "not found", "status": 404}', 404, content_type="application/json")


def json_response(body: dict) -> Response:
    return Response(json.dumps(body), 200, content_type="application/json")


@pytest.fixture
def stand_in():
    twilio = NumbersStandIn(number_resource(), number_resource(phone_number="+18005550101", sid="PN" + "2" * 32))
    server = make_server("127.0.0.1", 0, twilio, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    twilio.url = f"http://127.0.0.1:{server.server_port}"
    yield twilio
    server.shutdown()
    thread.join()


def test_over_real_http_configure_sets_the_number_and_check_then_finds_nothing_to_say(stand_in):
    env = {**ENV, "IVR_TWILIO_API_URL": stand_in.url}
    arguments = ["--number", HELPLINE, "--base-url", BASE, "--fallback-url", STATIC]
    configured_now = CliRunner().invoke(main, ["twilio", "configure", *arguments], env=env)
    checked = CliRunner().invoke(main, ["twilio", "check", *arguments], env=env)
    again = CliRunner().invoke(main, ["twilio", "configure", *arguments], env=env)
    assert configured_now.exit_code == 0, configured_now.output
    assert checked.exit_code == 0, checked.output
    assert "nothing changed" in again.stdout
    # One update, the status callback's '#' carried whole in the form; the other number untouched.
    assert stand_in.forms == [{name: [value] for name, value in CONFIGURED.items()}]
    assert stand_in.numbers["PN" + "2" * 32] == number_resource(phone_number="+18005550101", sid="PN" + "2" * 32)


def test_over_real_http_a_wrong_token_exits_2(stand_in):
    result = CliRunner().invoke(main, ["twilio", "check", "--number", HELPLINE, "--base-url", BASE],
                                env={**ENV, "IVR_TWILIO_API_URL": stand_in.url, "TWILIO_AUTH_TOKEN": "wrong"})
    assert result.exit_code == 2
    assert "Twilio refused these credentials (HTTP 401, error 20003)" in result.output
