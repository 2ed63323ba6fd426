"""A caller's number is confidential (42 CFR Part 2): after whole calls — a voicemail, a callback
request with a typed number, a talk —, no staff page, download or log line shows it in clear, in
any of the forms a number is written."""
from __future__ import annotations

import logging
import re

from ivr.sim.phone import HttpTransport, Phone, scripted
from like_twilio import AUTH_TOKEN, CALLER, call_params, signed_post
from conftest import log_in, make_account
from test_staff_security import staff_urls

TYPED_CALLBACK_NUMBER = "5017129934"


def forms_of(number: str) -> list:
    """+15017122661, 15017122661, 5017122661, (501) 712-2661, 501-712-2661, 501 712 2661, 712-2661."""
    digits = re.sub(r"\D", "", number)[-10:]
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return [number, "1" + digits, digits, f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}",
            f"{area} {exchange} {line}", f"{exchange}-{line}", f"{area}{exchange}"]


def test_no_staff_page_download_or_log_line_shows_a_caller_number(app, live_server, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="werkzeug")      # the development server's request lines too
    twilio.default_phone = "no-answer"
    for script in (["1", "0", "hold:1"],                         # a voicemail
                   ["2", "3", "0", "hold:2", TYPED_CALLBACK_NUMBER, "1"]):  # Spanish, a callback to a typed number
        phone = Phone(HttpTransport(), AUTH_TOKEN, base_url=live_server.url, from_number=CALLER, twilio=twilio)
        phone.call(scripted(script))
        signed_post(live_server.url + "/voice/status", call_params(phone.call_sid, CallStatus="completed",
                                                                  CallDuration="95"))
    app.extensions["ivr"].calls.flush()
    client = app.test_client()
    log_in(client, make_account(app, "Lena Lead", "lead"))

    shown = {}
    for method, url in staff_urls(app):
        if method == "GET":
            response = client.get(url)
            if not response.mimetype.startswith("audio/"):       # a voicemail's sound holds no written number
                shown[url] = response.get_data(as_text=True)
    shown["/staff/reports/csv"] = client.get("/staff/reports/csv").get_data(as_text=True)
    shown["the log"] = caplog.text

    assert "/staff/calls" in shown and "/staff/" in shown
    assert "Voicemail 1:" in shown["/staff/voicemails"] and "Callback 1:" in shown["/staff/callbacks"]
    assert "recovery" in shown["/staff/calls"] or "main:" in shown["/staff/calls"]    # the calls are there
    for where, text in shown.items():
        for number in (CALLER, "+1" + TYPED_CALLBACK_NUMBER):
            for written in forms_of(number):
                assert written not in text, f"{written} shown on {where}"
