"""A callback's try is settled by what Twilio says, whoever hangs up first: the professional may
hang up on the caller before the helpline asks how it went, and Twilio may or may not request the
<Dial>'s action for a call already over (its docs do not say) — the try is still counted once and
the callback stays owed unless the caller was reached. Over real HTTP with Twilio simulated, the
command run as its own process, on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses

import pytest

from ivr.sim.professionals import PHONES
from like_twilio import call_params, signed_post, wait_for
from test_callback_calls import ANA, TALK, TYPED, answers, call_back, callback_row, line  # noqa: F401  (line: a fixture)

#: A professional who hangs up a few seconds into the talk, before the caller (who talks TALK s) does:
#: the simulator's own hangs up after 30 s, which is as telling and took 1.5 s of the wall's time.
HANGS_UP_FIRST = dataclasses.replace(PHONES["hangs-up-first"], hangs_up_after=TALK / 3)


@pytest.mark.parametrize("action_requested, expected", [
    (False, (TYPED, "pending", 1, "unconfirmed")),      # only their leg's end is known: tried, not reached
    (True, ("", "done", 1, "reached")),                 # the late action says the caller talked a few seconds
], ids=["no-action-after-hang-up", "action-after-hang-up"])
def test_a_professional_who_hangs_up_on_the_caller_first_still_leaves_one_try_recorded(
        line, twilio, action_requested, expected):  # noqa: F811
    app, server, callback_id = line
    twilio.phones[ANA] = HANGS_UP_FIRST
    twilio.dial_action_after_hangup = action_requested

    assert call_back(app, server, twilio, callback_id).returncode == 0

    assert wait_for(lambda: callback_row(app, callback_id)[2] == 1, timeout=15)
    leg = wait_for(lambda: [c for c in twilio.calls.values() if c.to == ANA and c.status == "completed"], timeout=15)
    assert leg
    assert wait_for(lambda: callback_row(app, callback_id) == expected, timeout=5), callback_row(app, callback_id)
    assert not answers(twilio, "callback-result")         # nobody was there to be asked


def test_every_request_about_a_try_repeated_and_late_counts_it_once(line, twilio):  # noqa: F811
    app, server, callback_id = line
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
