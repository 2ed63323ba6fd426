"""`ivr twilio rehearse` against the simulator over real HTTP: one call from another number of the
account into the helpline, pressed through to a person, the --from number standing in as the
professional who answers the whisper with 1 — every stage reported, the roster never rung, the
call kept out of reports, the Calls page and notices, and the --from number's Voice URL restored."""
from __future__ import annotations

import datetime


import pytest
import requests
from click.testing import CliRunner

from ivr.cli import main
from ivr.overview.week import week_report, week_start_of
from ivr.sim.account import HELPLINE
from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from ivr.store.board import day_numbers
from ivr.store.call_history import recent_calls
from like_twilio import AUTH_TOKEN, CALL_PARAMS, ROSTER_PHONES, Recorded

STAND_IN = "+18005550177"
BEFORE = "https://demo.twilio.com/welcome/voice/"


@pytest.fixture
def twilio():
    """Twilio in software at 20 times the wall's pace, not the usual 50: the rehearsal's two-minute
    budget is measured on this clock, and at 50x a loaded machine's fifth of a second is 10 s of it."""
    sim = SimTwilio(Recorded(), SimClock(speed=20.0), AUTH_TOKEN)
    sim.api_url = sim.serve()
    yield sim
    sim.stop()


@pytest.fixture
def rehearsal(twilio, make_app, serve, database_url, flows_dir):
    """The helpline served over HTTP on `database_url`, on the simulator's clock; a second number of
    the account (its Voice URL the demo's); `run()` runs `ivr twilio rehearse`."""
    app = make_app(database_url=database_url)
    app.extensions["ivr"].clock = twilio.clock
    live = serve(app)
    twilio.account.numbers[HELPLINE]["voice_url"] = live.url + "/voice/incoming"
    twilio.account.add_number(STAND_IN)["voice_url"] = BEFORE
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "IVR_TWILIO_API_URL": twilio.api_url,
           "DATABASE_URL": database_url, "IVR_FLOWS_DIR": str(flows_dir)}

    def run():
        began = twilio.clock.seconds()
        result = CliRunner().invoke(main, ["twilio", "rehearse", "--number", HELPLINE, "--from", STAND_IN,
                                           "--base-url", live.url],
                                    obj={"environ": env, "clock": twilio.clock,
                                         "sleep": lambda seconds: twilio.clock.sleep(seconds)})
        return result, twilio.clock.seconds() - began
    run.app, run.live = app, live
    return run


def rung(twilio) -> set:
    return {call.to for call in list(twilio.calls.values()) if call.direction == "outbound-api"}


def test_a_rehearsal_of_the_shipped_flows_sees_every_stage_within_two_minutes_and_rings_nobody_real(
        rehearsal, twilio):
    result, took = rehearsal()

    assert result.exit_code == 0, result.output
    assert took <= 120
    out = result.stdout
    assert "prompts reached: main:choose-language (1), main:main-menu (0)" in out
    assert f"leg placed: to {STAND_IN}" in out
    assert f"caller ID shown: {HELPLINE}" in out          # the shipped roster sets no caller_id
    assert "whisper: heard by the stand-in" in out
    assert "whisper answered with 1: offer " in out
    assert "bridge: caller and stand-in in one conference" in out
    assert "/voice/rehearsal-professional 200 signature plain" in out
    assert "/voice/offer-status 204 signature with-fragment" in out      # the retry fragment signed too
    assert "billed seconds: caller " in out and "leg " in out
    assert f"stand-in number restored: {STAND_IN} Voice URL back to {BEFORE}" in out
    assert result.stderr == ""
    assert not rung(twilio) & ROSTER_PHONES           # real professionals are never rung by a rehearsal
    assert twilio.account.numbers[STAND_IN]["voice_url"] == BEFORE


def test_a_rehearsals_call_is_not_on_the_calls_page_nor_counted_in_the_weekly_report_or_on_the_now_board(
        rehearsal, twilio):
    result, _ = rehearsal()
    assert result.exit_code == 0, result.output
    ivr = rehearsal.app.extensions["ivr"]
    ivr.calls.flush()
    database = ivr.database

    assert recent_calls(database) == []
    today = twilio.clock().date()
    assert week_report(database, week_start_of(today), "America/New_York").total_calls == 0
    assert day_numbers(database, twilio.clock() - datetime.timedelta(hours=1))["calls"] == 0


def test_a_stand_in_that_never_answers_the_whisper_fails_the_rehearsal_and_its_voice_url_is_restored(
        rehearsal, twilio):
    twilio.phones[STAND_IN] = "silent"        # its phone answers and presses nothing

    result, took = rehearsal()

    assert result.exit_code == 1
    assert "not seen: whisper answered with 1" in result.stderr
    assert "not seen: bridge: never bridged" in result.stderr
    assert "Traceback" not in result.output
    assert took <= 120 + 5          # the budget, and the time it takes to tell
    assert twilio.account.numbers[STAND_IN]["voice_url"] == BEFORE
    assert not rung(twilio) & ROSTER_PHONES


def test_a_stand_in_whose_line_is_busy_is_reported_and_nobody_else_is_rung(rehearsal, twilio):
    twilio.phones[STAND_IN] = "busy"

    result, _ = rehearsal()

    assert result.exit_code == 1
    assert "not seen: whisper: never fetched for the stand-in's leg" in result.stderr
    assert rung(twilio) - {STAND_IN, HELPLINE} == set()
    assert twilio.account.numbers[STAND_IN]["voice_url"] == BEFORE


def test_the_stand_in_webhook_refuses_an_unsigned_request(rehearsal):
    response = requests.post(rehearsal.live.url + "/voice/rehearsal-professional?rehearsal=x",
                             data={**CALL_PARAMS, "CallSid": "CA" + "1" * 32}, timeout=15)
    assert response.status_code == 403


def test_a_second_number_that_is_not_on_the_account_is_a_usage_error(twilio, rehearsal):
    del twilio.account.numbers[STAND_IN]
    result, _ = rehearsal()
    assert result.exit_code == 2
    assert f"{STAND_IN} is not a number of account" in result.output


def test_status_callbacks_the_helpline_refuses_fail_the_rehearsal_and_are_listed_with_their_status(rehearsal, twilio):
    """Professionals are freed and rounds end by status callbacks: a line that puts the call through
    while refusing them (an Auth Token changed on one side, a proxy rewriting the URL) must not pass."""
    signed_right = twilio.helpline.validator

    class ForgingStatusCallbacks:
        def compute_signature(self, url, params):
            if url.split("#")[0].split("?")[0].endswith("status"):
                return "not-what-twilio-signs"
            return signed_right.compute_signature(url, params)
    twilio.helpline.validator = ForgingStatusCallbacks()

    result, _ = rehearsal()

    assert result.exit_code == 1, result.output
    assert "not seen: callbacks: " in result.stderr
    assert "/voice/offer-status 403 signature none" in result.stderr
    assert "/voice/rehearsal-professional 200 signature plain" in result.stderr     # the rest listed as it was
    assert "bridge: caller and stand-in in one conference" in result.stdout        # the call itself went through
    assert twilio.account.numbers[STAND_IN]["voice_url"] == BEFORE
