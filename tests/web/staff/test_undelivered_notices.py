"""A notice texted from a toll-free number Twilio has not verified is accepted (201, queued) and
only reported blocked later, through its status callback (failed, 30032). Nobody must take such a
notice for sent: the person it was for gets a short call from the helpline's number saying it
instead — once, however often or late Twilio reports it —, and the leads see on the Now page and
/readyz that texts are not being delivered, with Twilio's code in plain words. Over real HTTP,
with Twilio simulated and every callback signed as Twilio signs it."""
from __future__ import annotations

import datetime
import html
import re
import zoneinfo
from pathlib import Path

import pytest

from ivr.flow.messages import compose
from ivr.sim.phone import HttpTransport, Phone, scripted
from callers import simulated_twilio
from like_twilio import AUTH_TOKEN, CALL_PARAMS, CALLER, client_post, parse_twiml, signed_post, spoken, wait_for
from conftest import log_in, make_account

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:00 in New York: Ana Rivera (en, es), Marisol Peña (es, en) and Ben Carter (en) on shift.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA, MARISOL = "+12025550101", "+12025550102"
HELPLINE = CALL_PARAMS["To"]
BLOCKED = "30032: the helpline's toll-free number is not verified for texting yet"
SPANISH_VOICEMAIL_CALL = "Le habla la línea de ayuda. Hay un nuevo mensaje de voz esperando en las páginas del personal."


@pytest.fixture
def twilio():
    sim = simulated_twilio(100.0, WEDNESDAY_10AM)
    sim.default_phone = "no-answer"                  # nobody picks up the caller: they leave a voicemail
    yield sim
    sim.stop()


def leave_a_spanish_voicemail(line) -> None:
    phone = Phone(HttpTransport(), AUTH_TOKEN, base_url=line.url, from_number=CALLER, twilio=line.twilio)
    phone.call(scripted(["2", "0", "hold:1"]))         # Spanish, a person, then a voicemail


def notice_calls(line) -> list:
    """Calls the helpline placed to say a notice (not the legs that offered the caller)."""
    return [call for call in list(line.twilio.calls.values()) if "/sms/notice-call" in call.url]


def problems_recorded(line, count: int) -> bool:
    """Wait until `count` of Twilio's problems are recorded (each status callback records its own)."""
    since = line.clock() - datetime.timedelta(hours=1)
    return wait_for(lambda: len(line.ivr.twilio_problems.recent(since)) == count, timeout=10)


def answered(call) -> list:
    """What the person hears when they pick up the notice call: its URL fetched as Twilio would."""
    params = {"CallSid": call.sid, "AccountSid": "AC" + "0" * 32, "From": call.from_, "To": call.to,
              "CallStatus": "in-progress", "Direction": "outbound-api", "ApiVersion": "2010-04-01"}
    answer = signed_post(call.url, params)
    assert answer.status_code == 200
    document = parse_twiml(answer.text)
    assert document[-1].tag == "Hangup"
    return spoken(document)


def test_a_notice_blocked_as_from_an_unverified_toll_free_number_is_said_in_a_call_to_each_person(line):
    line.twilio.account.undelivered["*"] = 30032

    leave_a_spanish_voicemail(line)

    assert wait_for(lambda: len(line.twilio.messages) == 2, timeout=10)
    assert wait_for(lambda: sorted(call.to for call in notice_calls(line)) == sorted([ANA, MARISOL]), timeout=10)
    assert {call.from_ for call in notice_calls(line)} == {HELPLINE}
    for call in notice_calls(line):
        said = answered(call)
        assert said and all(sentence.startswith(SPANISH_VOICEMAIL_CALL) for sentence in said)
        assert all(CALLER[-4:] not in sentence for sentence in said)


def test_a_notice_call_names_a_fallback_that_apologises_in_the_notice_language_and_hangs_up(line):
    """If the helpline cannot say the notice when the person picks up, Twilio asks the FallbackUrl
    (https://www.twilio.com/docs/voice/api/call-resource, Create a Call): a short apology from the
    flows' words, then the call ends, rather than Twilio's "application error"."""
    line.twilio.account.undelivered["*"] = 30032

    leave_a_spanish_voicemail(line)

    assert wait_for(lambda: len(notice_calls(line)) == 2, timeout=10)
    for call in notice_calls(line):
        assert call.fallback_url == f"{line.url}/voice/leg-fallback?lang=es"
        params = {"CallSid": call.sid, "AccountSid": "AC" + "0" * 32, "From": call.from_, "To": call.to,
                  "CallStatus": "in-progress", "Direction": "outbound-api", "ApiVersion": "2010-04-01",
                  "ErrorCode": "11200", "ErrorUrl": call.url}
        fallback = signed_post(call.fallback_url, params)
        assert fallback.status_code == 200
        document = parse_twiml(fallback.text)
        assert [verb.tag for verb in document] == ["Say", "Hangup"]
        assert spoken(document) == [compose(line.ivr.flows.current().messages["leg-apology"], "es")]


def test_a_notice_twilio_reports_twice_and_out_of_order_is_said_in_one_call_per_person(line):
    line.twilio.callbacks = "retried-and-late"       # every status callback twice, the last one first
    line.twilio.account.undelivered["*"] = 30032

    leave_a_spanish_voicemail(line)

    assert wait_for(lambda: len(notice_calls(line)) >= 2, timeout=10)
    line.ivr.notices.sweep()
    line.ivr.notices.sweep()
    assert sorted(call.to for call in notice_calls(line)) == sorted([ANA, MARISOL])


def test_a_delivered_notice_is_not_followed_by_any_call(line):
    leave_a_spanish_voicemail(line)

    assert wait_for(lambda: len(line.twilio.messages) == 2, timeout=10)
    sids = [message["sid"] for message in line.twilio.messages]
    assert wait_for(lambda: all(getattr(line.ivr.notice_texts.text(sid), "status", "") == "delivered"
                                for sid in sids), timeout=10)
    line.ivr.notices.sweep()
    assert notice_calls(line) == []
    assert line.ivr.twilio_problems.recent(line.clock() - datetime.timedelta(hours=1)) == []


def test_every_notice_text_asks_twilio_for_its_status(line):
    leave_a_spanish_voicemail(line)

    assert wait_for(lambda: len(line.twilio.messages) == 2, timeout=10)
    sent = [form for method, path, form in list(line.twilio.requests) if path.endswith("/Messages.json")]
    assert [form["StatusCallback"] for form in sent] == [[f"{line.url}/sms/status"]] * 2


def test_leads_see_texts_not_delivered_on_the_now_page_with_the_code_in_plain_words(line):
    lead = make_account(line.app, "Carmen Díaz", "lead", "carmen-diaz")
    ana = make_account(line.app, "Ana Rivera", "professional", "ana-rivera")
    line.twilio.account.undelivered["*"] = 30032

    leave_a_spanish_voicemail(line)
    assert wait_for(lambda: len(notice_calls(line)) == 2, timeout=10)
    assert problems_recorded(line, 2)

    as_lead, as_ana = line.app.test_client(), line.app.test_client()
    log_in(as_lead, lead)
    log_in(as_ana, ana)
    page = html.unescape(as_lead.get("/staff/").get_data(as_text=True))
    board = as_lead.get("/staff/now/board").get_data(as_text=True)
    assert "Twilio problems in the last 24 hours: 2" in page and "Twilio problems" in board
    # (a callback may come before Twilio's answer to the send is recorded: then it says only "a text")
    assert page.count("Text not delivered (a ") == 2 and page.count("reported failed)") == 2
    assert BLOCKED in page
    assert ANA not in page and ANA[-4:] not in page and CALLER[-4:] not in page
    assert "Twilio problems" not in as_ana.get("/staff/").get_data(as_text=True)


def test_readyz_says_texts_are_not_delivered_and_why_yet_stays_ready(line):
    line.twilio.account.undelivered["*"] = 30032
    leave_a_spanish_voicemail(line)
    assert wait_for(lambda: len(notice_calls(line)) == 2, timeout=10)
    assert problems_recorded(line, 2)

    ready = line.app.test_client().get("/readyz")

    assert ready.status_code == 200 and ready.get_json()["ready"] is True
    body = ready.get_json()
    assert body["texts"].startswith("not being delivered: 2 in the last 24 hours")
    assert BLOCKED in body["texts"]
    assert body["twilio_problems"] == {"text-not-delivered": 2}
    assert any(line.startswith("texts: not being delivered") for line in body["attention"])


def test_a_reply_to_on_or_off_asks_for_its_status_and_a_blocked_one_is_counted(line):
    reply = signed_post(f"{line.url}/sms/incoming", {"From": ANA, "To": HELPLINE, "Body": "ON",
                                                     "MessageSid": "SM" + "7" * 32, "AccountSid": "AC" + "0" * 32})
    [message] = parse_twiml(reply.text).iter("Message")
    assert message.get("action") == f"{line.url}/sms/status"

    failed = {"MessageSid": "SM" + "8" * 32, "MessageStatus": "failed", "ErrorCode": "30032",
              "AccountSid": "AC" + "0" * 32, "From": HELPLINE, "To": ANA}
    answers = [signed_post(f"{line.url}/sms/status", failed).status_code for _ in range(3)]

    assert answers == [204, 204, 204]
    [problem] = line.ivr.twilio_problems.recent(line.clock() - datetime.timedelta(hours=1))
    assert (problem.kind, problem.code, problem.detail) == ("text-not-delivered", 30032,
                                                            "a text (a reply to ON/OFF, or a notice Twilio "
                                                            "reported before it was recorded), reported failed")
    metrics = line.app.test_client().get("/metrics").get_data(as_text=True)
    assert re.search(r'ivr_twilio_refusals_total\{code="30032",kind="text-not-delivered"\} [1-9]', metrics)


def test_a_status_callback_not_signed_by_twilio_changes_nothing(line):
    forged = {"MessageSid": "SM" + "9" * 32, "MessageStatus": "failed", "ErrorCode": "30032"}
    answer = signed_post(f"{line.url}/sms/status", forged, token="not-the-auth-token")
    assert answer.status_code in (401, 403)
    assert line.ivr.notice_texts.text("SM" + "9" * 32) is None
    assert line.ivr.twilio_problems.recent(line.clock() - datetime.timedelta(hours=1)) == []


def test_a_call_instead_that_twilio_refuses_is_shown_to_leads_and_not_placed_again(line):
    from ivr.sim.state import ACCOUNT_SID
    from ivr.twilio.rest import TwilioApi
    from rest_fakes import Recorder, twilio_error

    from ivr.store.calls import CallRecords

    lead = make_account(line.app, "Carmen Díaz", "lead", "carmen-diaz")
    CallRecords(line.ivr.database).callback_requested("CA" + "6" * 32, "k" * 20, "+15017129934", "en", line.clock(),
                                                      helpline_number=HELPLINE)
    [callback] = line.ivr.owed.callbacks(None)
    assert line.ivr.owed.notified("callback", callback.id, line.clock())        # its text went out already
    sid = "SM" + "6" * 32
    line.ivr.notice_texts.sent(sid, "callback", callback.id, ANA, "+12025550199", "en", "queued", line.clock())
    refusing = Recorder(twilio_error(400, 21210))                 # a From that is not the account's
    line.ivr.notices.api = TwilioApi(ACCOUNT_SID, AUTH_TOKEN, http_client=refusing)

    failed = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30032",
              "AccountSid": "AC" + "0" * 32, "From": "+12025550199", "To": ANA}
    assert signed_post(f"{line.url}/sms/status", failed).status_code == 204
    since = line.clock() - datetime.timedelta(hours=1)
    assert wait_for(lambda: "notice-call-refused" in {p.kind for p in line.ivr.twilio_problems.recent(since)},
                    timeout=10)
    line.ivr.notices.sweep()
    line.ivr.notices.sweep()

    assert [request.url.rsplit("/", 1)[-1] for request in refusing.sent] == ["Calls.json"]
    as_lead = line.app.test_client()
    log_in(as_lead, lead)
    page = html.unescape(as_lead.get("/staff/").get_data(as_text=True))
    assert "Twilio refused the call made instead of a text" in page
    assert "21210: the number calls are placed from is neither a number of this Twilio account" in page
    assert "Text not delivered (a callback notice, reported undelivered)" in page
    assert "+12025550199" not in page and ANA not in page and "7129934" not in page


def test_a_voicemail_handled_before_its_failed_text_is_reported_calls_nobody(line):
    leave_a_spanish_voicemail(line)
    assert wait_for(lambda: len(line.twilio.messages) == 2, timeout=10)
    [voicemail] = line.ivr.owed.voicemails(None, line.clock())
    line.ivr.owed.voicemail_handled(voicemail.id, "ana-rivera", line.clock())
    sid = "SM" + "4" * 32                                # a text about it Twilio reports only now
    line.ivr.notice_texts.sent(sid, "voicemail", voicemail.id, ANA, HELPLINE, "es", "queued", line.clock())

    failed = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30032",
              "AccountSid": "AC" + "0" * 32, "From": HELPLINE, "To": ANA}
    assert signed_post(f"{line.url}/sms/status", failed).status_code == 204
    line.ivr.notices.sweep()

    assert notice_calls(line) == []
    assert line.ivr.notice_texts.to_call_instead() == []          # and never again
    assert [p.code for p in line.ivr.twilio_problems.recent(line.clock() - datetime.timedelta(hours=1))] == [30032]
