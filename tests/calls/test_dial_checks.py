"""What the call a <Dial> placed, as Twilio lists it, says of a callback's try: the same
DialCallStatus and DialCallDuration the <Dial>'s action would have sent."""
from __future__ import annotations

import pytest

from ivr.calls.calling_back import try_outcome
from ivr.calls.dial_checks import dial_facts


def call(status: str, duration: str | None = None) -> dict:
    return {"sid": "CA" + "1" * 32, "status": status, "duration": duration}


@pytest.mark.parametrize("listed, facts", [
    ([call("completed", "70")], ("completed", 70)),
    ([call("no-answer")], ("no-answer", None)),
    ([call("busy")], ("busy", None)),
    ([call("failed")], ("failed", None)),
    ([call("canceled")], ("canceled", None)),
    ([call("busy"), call("completed", "12")], ("completed", 12)),      # the one answered tells
    ([call("in-progress")], None),                                    # not over: asked again
    ([call("completed")], None),                                      # a completed call has a duration
    ([], None),                                                       # none listed: no fact
])
def test_the_call_a_dial_placed_gives_the_facts_its_action_would_have(listed, facts):
    assert dial_facts(listed) == facts


@pytest.mark.parametrize("facts, outcome", [
    (("completed", 70), "reached"), (("completed", 0), "unconfirmed"), (("no-answer", None), "no-answer"),
    (("busy", None), "busy"), (("failed", None), "failed"), (("canceled", None), "no-answer"),
])
def test_a_try_whose_professional_hung_up_first_is_settled_by_those_facts(facts, outcome):
    class Row:
        professional_said, leg_status, dialing_at = None, "completed", "pressed 1"
        dial_status, dial_seconds = facts

    assert try_outcome(Row) == (outcome, True)
