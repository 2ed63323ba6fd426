"""A callback's try is settled by what Twilio says, whoever hangs up first: the professional may
hang up on the caller before the helpline asks how it went, and Twilio may or may not request the
<Dial>'s action for a call already over (its docs do not say) — the try is still counted once,
settled by the call the <Dial> placed (asked of Twilio when no action came), and the callback stays
owed unless the caller was reached. Over real HTTP with Twilio simulated, the command run as its
own process, on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses

import pytest

from ivr.calls import dial_checks
from ivr.sim.professionals import PHONES
from ivr.sim.state import Call, new_sid
from ivr.web import create_app
from like_twilio import call_params, signed_post, wait_for
from test_callback_calls import (  # noqa: F401  (line: a fixture)
    ANA, HELPLINE, TALK, TYPED, answers, call_back, callback_row, line)

#: A professional who hangs up a few seconds into the talk, before the caller (who talks TALK s) does:
#: the simulator's own hangs up after 30 s, which is as telling and took 1.5 s of the wall's time.
HANGS_UP_FIRST = dataclasses.replace(PHONES["hangs-up-first"], hangs_up_after=TALK / 3)


@pytest.fixture
def tries(line, monkeypatch):  # noqa: F811
    """The line, with Twilio asked again every half second while a try is unheard of; the thread
    that asks is stopped with the app (the wiring Services.close lacks: see the report)."""
    monkeypatch.setattr(dial_checks, "CHECK_SECONDS", 0.5)
    yield line
    line[0].extensions["ivr"].callback_calls.close()


def dial_lists(twilio) -> list:
    """The ParentCallSid of each request of the helpline's for the calls a <Dial> placed."""
    return [params.get("ParentCallSid") for method, path, params in list(twilio.requests)
            if method == "GET" and path.endswith("/Calls.json")]


@pytest.mark.parametrize("action_requested", [False, True], ids=["no-action-after-hang-up", "action-after-hang-up"])
def test_a_professional_who_hangs_up_on_the_caller_first_leaves_one_try_settled_reached(
        tries, twilio, action_requested):
    """Without the action, Twilio is asked for the call the <Dial> placed: it was answered and
    talked TALK / 3 seconds, so the caller was reached and their number is forgotten."""
    app, server, callback_id = tries
    twilio.phones[ANA] = HANGS_UP_FIRST
    twilio.dial_action_after_hangup = action_requested

    assert call_back(app, server, twilio, callback_id).returncode == 0

    assert wait_for(lambda: callback_row(app, callback_id)[2] == 1, timeout=15)
    leg = wait_for(lambda: [c for c in twilio.calls.values() if c.to == ANA and c.status == "completed"], timeout=15)
    assert leg
    expected = ("", "done", 1, "reached")
    assert wait_for(lambda: callback_row(app, callback_id) == expected, timeout=5), callback_row(app, callback_id)
    assert not answers(twilio, "callback-result")         # nobody was there to be asked
    assert dial_lists(twilio) == ([] if action_requested else [[leg[0].sid]])


def test_a_professional_who_hangs_up_while_the_caller_does_not_answer_leaves_a_try_not_reached(tries, twilio):
    app, server, callback_id = tries
    twilio.phones[ANA] = HANGS_UP_FIRST                   # gone 5 s into the ringing
    twilio.phones[TYPED] = "no-answer"

    assert call_back(app, server, twilio, callback_id).returncode == 0

    expected = (TYPED, "pending", 1, "no-answer")         # owed still, the number kept for the next try
    assert wait_for(lambda: callback_row(app, callback_id) == expected, timeout=15), callback_row(app, callback_id)
    [dialed] = [c for c in twilio.calls.values() if c.direction == "outbound-dial"]
    [leg] = [c for c in twilio.calls.values() if c.to == ANA]
    assert (dialed.status, dialed.parent_sid) == ("no-answer", leg.sid)
    assert not answers(twilio, "callback-dialed")        # no action came: Twilio's list said it
    assert dial_lists(twilio) == [[dialed.parent_sid]]


def test_a_try_twilio_cannot_be_asked_about_stays_unconfirmed_and_is_settled_at_the_next_sweep(tries, twilio):
    app, server, callback_id = tries
    twilio.phones[ANA] = HANGS_UP_FIRST
    twilio.refuse_call_lists = True                       # Twilio's REST API failing (503)

    assert call_back(app, server, twilio, callback_id).returncode == 0

    assert wait_for(lambda: len(dial_lists(twilio)) >= 2, timeout=15)      # asked, refused, asked again
    assert callback_row(app, callback_id) == (TYPED, "pending", 1, "unconfirmed")   # counted, never lost
    twilio.refuse_call_lists = False

    assert wait_for(lambda: callback_row(app, callback_id) == ("", "done", 1, "reached"), timeout=5), \
        callback_row(app, callback_id)


def test_a_try_a_stopped_helpline_left_unconfirmed_is_settled_when_the_next_one_starts(tries, twilio, settings_for):
    app, server, callback_id = tries
    twilio.phones[ANA] = HANGS_UP_FIRST
    twilio.refuse_call_lists = True

    assert call_back(app, server, twilio, callback_id).returncode == 0
    assert wait_for(lambda: len(dial_lists(twilio)) >= 1, timeout=15)
    app.extensions["ivr"].callback_calls.close()          # this helpline stops, the try still unheard of
    assert callback_row(app, callback_id) == (TYPED, "pending", 1, "unconfirmed")
    twilio.refuse_call_lists = False
    asked = len(dial_lists(twilio))

    restarted = create_app(settings_for(database_url=app.extensions["ivr"].settings.database_url))
    restarted.extensions["ivr"].clock = twilio.clock
    restarted.extensions["ivr"].start()
    try:
        assert wait_for(lambda: callback_row(app, callback_id) == ("", "done", 1, "reached"), timeout=10), \
            callback_row(app, callback_id)
        assert len(dial_lists(twilio)) > asked            # asked by the new start, no leg needed to end
    finally:
        restarted.extensions["ivr"].close()


def test_every_request_about_a_try_repeated_and_late_counts_it_once(tries, twilio):
    app, server, callback_id = tries
    leg = "CA" + "4" * 32
    at = f"{server.url}/voice/callback-%s?id={callback_id}"
    professional = {"Direction": "outbound-api", "To": ANA}

    for _ in range(2):        # Twilio retries each; the leg's end comes before the dial's action
        assert signed_post(at % "go", call_params(leg, Digits="1", **professional)).ok
        assert signed_post(at % "leg", call_params(leg, CallStatus="completed", CallDuration="95",
                                                   **professional)).status_code == 204
    assert callback_row(app, callback_id) == (TYPED, "pending", 1, "unconfirmed")
    for _ in range(2):
        assert signed_post(at % "dialed", call_params(leg, DialCallStatus="completed", DialCallDuration="70",
                                                      CallStatus="completed", **professional)).ok

    assert callback_row(app, callback_id) == ("", "done", 1, "reached")


def _pressed_1_and_hung_up(server, callback_id: int, leg: str) -> None:
    """Twilio's requests about a try whose <Dial> action never comes: 1 pressed, the leg over."""
    at = f"{server.url}/voice/callback-%s?id={callback_id}"
    professional = {"Direction": "outbound-api", "To": ANA}
    assert signed_post(at % "go", call_params(leg, Digits="1", **professional)).ok
    assert signed_post(at % "leg", call_params(leg, CallStatus="completed", CallDuration="95",
                                               **professional)).status_code == 204


def test_a_late_dial_action_after_twilio_was_asked_changes_nothing(tries, twilio):
    app, server, callback_id = tries
    leg = "CA" + "6" * 32
    answered = Call(new_sid(), TYPED, HELPLINE, "outbound-dial", status="completed", parent_sid=leg,
                    started=0.0, ended=70.0)            # what Twilio lists: the caller talked 70 s
    twilio.calls[answered.sid] = answered

    _pressed_1_and_hung_up(server, callback_id, leg)
    assert wait_for(lambda: callback_row(app, callback_id) == ("", "done", 1, "reached"), timeout=5), \
        callback_row(app, callback_id)
    for status, seconds in (("no-answer", "0"), ("completed", "70")):       # disagreeing, then agreeing
        assert signed_post(f"{server.url}/voice/callback-dialed?id={callback_id}", call_params(
            leg, DialCallStatus=status, DialCallDuration=seconds, CallStatus="completed",
            Direction="outbound-api", To=ANA)).ok

    assert callback_row(app, callback_id) == ("", "done", 1, "reached")
    [counted] = app.extensions["ivr"].callback_calls.tries.for_callback(callback_id)
    assert (counted.outcome, counted.dial_status, counted.dial_seconds) == ("reached", "completed", 70)


def test_a_try_whose_dial_twilio_does_not_list_stays_unconfirmed_for_a_person_to_judge(tries, twilio):
    """No call listed is no fact about the dial (the docs do not promise it is listed at once): the
    try stays counted as unconfirmed, the callback owed with its number, and Twilio is asked again."""
    app, server, callback_id = tries
    leg = "CA" + "7" * 32

    _pressed_1_and_hung_up(server, callback_id, leg)

    assert wait_for(lambda: dial_lists(twilio).count([leg]) >= 2, timeout=5)
    assert callback_row(app, callback_id) == (TYPED, "pending", 1, "unconfirmed")
