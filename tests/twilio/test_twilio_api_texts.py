"""The REST adapter's requests for texts and caller IDs, exactly as Twilio documents them: a text
asks for its StatusCallback, the call said instead of one goes from the helpline's number to the
notice URL, a verified caller ID must match exactly, and the toll-free verification is read from
the Messaging v1 API (messaging.twilio.com, or /messaging under a stand-in's base URL)."""
from __future__ import annotations

import pytest

from ivr.sim.clock import SimClock
from ivr.sim.twilio import SimTwilio
from ivr.twilio.rest import BaseUrlHttpClient, TwilioApi, TwilioUnavailable
from rest_fakes import ACCOUNT_SID, ACCOUNTS, AUTH_TOKEN, HELPLINE, PROFESSIONAL, Sent, api_with, twilio_error

AUTH = (ACCOUNT_SID, AUTH_TOKEN)
MESSAGE = "SM" + "5" * 32
STATUS = "https://helpline.example/sms/status"


def message_resource(status: str = "queued") -> dict:
    return {"sid": MESSAGE, "account_sid": ACCOUNT_SID, "to": PROFESSIONAL, "from": HELPLINE, "status": status,
            "body": "New voicemail", "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE}.json"}


def test_a_text_asks_twilio_to_report_its_status_to_the_helpline():
    api, recorder = api_with((201, message_resource()))
    assert api.send_sms(PROFESSIONAL, HELPLINE, "New voicemail", status_callback=STATUS) == MESSAGE
    assert recorder.sent == [Sent("POST", f"{ACCOUNTS}/Messages.json", None, {
        "To": PROFESSIONAL, "From": HELPLINE, "Body": "New voicemail", "StatusCallback": STATUS}, AUTH)]


def test_the_call_instead_of_a_text_fetches_the_notice_url_with_post_and_names_a_fallback():
    url = "https://helpline.example/sms/notice-call?kind=voicemail&language=es"
    fallback = "https://helpline.example/voice/leg-fallback?lang=es"
    api, recorder = api_with((201, {"sid": "CA" + "1" * 32, "status": "queued", "account_sid": ACCOUNT_SID}))
    assert api.call_to_say(PROFESSIONAL, HELPLINE, url, fallback_url=fallback) == "CA" + "1" * 32
    assert recorder.sent == [Sent("POST", f"{ACCOUNTS}/Calls.json", None,
                                  {"To": PROFESSIONAL, "From": HELPLINE, "Url": url, "Method": "POST",
                                   "FallbackUrl": fallback, "FallbackMethod": "POST"}, AUTH)]


def test_a_refused_call_comes_back_as_twilio_unavailable_with_its_code():
    api, _ = api_with(twilio_error(400, 21210))
    with pytest.raises(TwilioUnavailable) as refused:
        api.call_to_say(PROFESSIONAL, "+12025550199", "https://helpline.example/sms/notice-call",
                        fallback_url="https://helpline.example/voice/leg-fallback?lang=en")
    assert (refused.value.status, refused.value.code) == (400, 21210)


def test_a_verified_caller_id_must_match_exactly_not_partly():
    page = {"outgoing_caller_ids": [{"sid": "PN" + "1" * 32, "phone_number": "+120255501991"}],
            "next_page_uri": None, "page": 0, "page_size": 50, "uri": "/OutgoingCallerIds.json"}
    api, recorder = api_with((200, page))
    assert api.is_outgoing_caller_id("+12025550199") is False
    assert recorder.sent == [Sent("GET", f"{ACCOUNTS}/OutgoingCallerIds.json", {"PhoneNumber": "+12025550199"},
                                  None, AUTH)]


def test_the_toll_free_verification_is_read_from_twilios_messaging_api_for_the_numbers_sid():
    body = {"verifications": [{"sid": "HH" + "1" * 32, "status": "IN_REVIEW", "rejection_reason": None,
                               "tollfree_phone_number_sid": "PN" + "1" * 32}], "meta": {"key": "verifications"}}
    api, recorder = api_with((200, body))
    assert api.tollfree_verification("PN" + "1" * 32) == {
        "sid": "HH" + "1" * 32, "status": "IN_REVIEW", "rejection_reason": None,
        "tollfree_phone_number_sid": "PN" + "1" * 32}
    assert recorder.sent == [Sent("GET", "https://messaging.twilio.com/v1/Tollfree/Verifications",
                                  {"TollfreePhoneNumberSid": "PN" + "1" * 32}, None, AUTH)]


def test_no_toll_free_verification_is_none_and_a_refusal_is_twilio_unavailable():
    api, _ = api_with((200, {"verifications": [], "meta": {}}), twilio_error(403, 20003))
    assert api.tollfree_verification("PN" + "1" * 32) is None
    with pytest.raises(TwilioUnavailable) as refused:
        api.tollfree_verification("PN" + "1" * 32)
    assert refused.value.status == 403


def test_against_the_simulator_the_verification_is_read_under_its_base_url():
    sim = SimTwilio(None, SimClock(), AUTH_TOKEN)
    sim.serve()
    try:
        number = sim.account.numbers[HELPLINE]
        sim.account.tollfree_verifications[number["sid"]] = "PENDING_REVIEW"
        api = TwilioApi("AC" + "0" * 32, AUTH_TOKEN, http_client=BaseUrlHttpClient(sim.api_url))
        assert api.tollfree_verification(number["sid"])["status"] == "PENDING_REVIEW"
        assert api.find_number(HELPLINE)["capabilities"]["sms"] is True
        assert api.is_outgoing_caller_id(PROFESSIONAL) is False
        sim.caller_ids = {HELPLINE, PROFESSIONAL}
        assert api.is_outgoing_caller_id(PROFESSIONAL) is True
    finally:
        sim.stop()
