"""The keys a rehearsal's call presses (SendDigits) are worked out from the flows: English at the
language menu, then a person, each after the words that play before its menu listens."""
from __future__ import annotations

import dataclasses

import pytest

from ivr.calls import engine
from ivr.flow import model
from ivr.calls.rehearsal import RehearsalRefused, keys_to_a_person
from ivr.twilio.twiml import Renderer


def test_the_shipped_flows_are_pressed_through_with_english_then_0_after_the_helpline_answers(shipped_flows, now):
    keys = keys_to_a_person(shipped_flows, Renderer(), now)

    assert keys == "wwwwww1wwww0"          # 3 s to answer, 1; 2 s for the main menu, 0
    turn = engine.begin(shipped_flows, now)
    for key in keys.replace("w", ""):
        turn = engine.advance(shipped_flows, turn.state, engine.Pressed(key), now)
    assert isinstance(turn.step, model.Connect)


def test_flows_where_no_key_leads_to_a_person_cannot_be_rehearsed(shipped_flows, now):
    menu = shipped_flows.step(model.Ref("main", "main-menu"))
    steps = dict(shipped_flows.steps)
    steps[menu.ref] = dataclasses.replace(menu, options=())
    flows = dataclasses.replace(shipped_flows, steps=steps, everywhere=())
    with pytest.raises(RehearsalRefused, match="leads to a person"):
        keys_to_a_person(flows, Renderer(), now)
