"""A caller asking to be called back, at call-control depth: the number typed, read back and
confirmed, on the real records (SQLite and PostgreSQL), the shipped flows and a fixed clock."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.calls.callback_request import MAX_TRIES, CallbackRequests, GoOn, ReadBack
from ivr.calls import engine as menus_engine
from ivr.calls.engine import CallState
from ivr.flow import model
from ivr.store.calls import CallRecords
from ivr.store.schema import callbacks

CALL, CALLER, LINE = "CA" + "5" * 32, "+12025550199", "+18005550100"
AT = CallState(model.Ref("main", "request-callback"), "en", 0)


class NoticesHeard:
    def __init__(self):
        self.woken: list = []

    def soon(self, base_url: str) -> None:
        self.woken.append(base_url)


@pytest.fixture
def requests(engine, now):
    records = CallRecords(engine, hash_key="test-key")
    made = CallbackRequests(records, NoticesHeard(), lambda: now, "test-key")
    yield made
    records.close()


def kept(engine) -> list:
    with engine.connect() as connection:
        return [(row.status, row.number) for row in connection.execute(select(callbacks))]


def said(flows, name: str) -> str:
    return menus_engine.message(flows, name, "en").text


def step(flows):
    return flows.step(AT.step)


def test_a_typed_number_is_kept_unconfirmed_and_read_back_in_groups(requests, shipped_flows, engine):
    decision = requests.number_typed(shipped_flows, AT, step(shipped_flows), CALL, CALLER, LINE, "2025550101#")

    assert isinstance(decision, ReadBack)
    assert "2 0 2, 5 5 5, 0 1 0 1" in decision.said.text          # said the way people say numbers
    assert kept(engine) == [("unconfirmed", "+12025550101")]


def test_one_key_is_a_choice_not_a_number_so_0_reaches_a_person(requests, shipped_flows, engine):
    decision = requests.number_typed(shipped_flows, AT, step(shipped_flows), CALL, CALLER, LINE, "0")

    assert isinstance(decision, GoOn) and isinstance(decision.turn.step, (model.Connect, model.Queue))
    assert kept(engine) == []


def test_what_is_not_a_number_is_asked_again_with_a_sorry_and_then_a_person(requests, shipped_flows, engine):
    sorry = said(shipped_flows, "callback-not-a-number")
    state = AT
    for tries in range(MAX_TRIES - 1):
        decision = requests.number_typed(shipped_flows, state, step(shipped_flows), CALL, CALLER, LINE, "12345")
        assert decision.turn.step.ref == AT.step and decision.turn.state.tries == tries + 1
        assert decision.turn.said[0].text == sorry
        state = decision.turn.state
    decision = requests.number_typed(shipped_flows, state, step(shipped_flows), CALL, CALLER, LINE, "12345")
    assert decision.turn.step.ref == shipped_flows.fallback           # they wanted to talk to us
    assert kept(engine) == []


def test_1_confirms_the_request_records_the_outcome_and_texts_the_professionals_at_once(
        requests, shipped_flows, engine):
    requests.number_typed(shipped_flows, AT, step(shipped_flows), CALL, CALLER, LINE, "2025550101")

    decision = requests.confirmed(shipped_flows, AT, CALL, "1", "https://helpline.example")

    assert kept(engine) == [("pending", "+12025550101")]
    assert decision.turn.said[0].text == said(shipped_flows, "callback-saved")
    assert requests.notices.woken == ["https://helpline.example"]
    requests.records.flush()
    assert requests.records.get(CALL).outcome == "callback"


def test_any_other_key_forgets_the_number_and_asks_for_it_again(requests, shipped_flows, engine):
    requests.number_typed(shipped_flows, AT, step(shipped_flows), CALL, CALLER, LINE, "2025550101")

    decision = requests.confirmed(shipped_flows, AT, CALL, "2", "https://helpline.example")

    assert kept(engine) == []
    assert decision.turn.step.ref == AT.step and decision.turn.state.tries == 1
    assert requests.notices.woken == []
