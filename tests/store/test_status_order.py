"""States only move forward: Twilio's status callbacks for one call, sent at the same moment, are
handled in every order on threads released together — on a SQLite file and on a real PostgreSQL —
and the call, a professional's leg and a callback try each end where the last of them says."""
from __future__ import annotations

import datetime
import itertools

import pytest

from ivr.calls.calling_back import try_outcome
from ivr.store.calls import CallRecords
from ivr.store.callback_tries import CallbackTries
from ivr.store.offers import FINAL, OfferStore
from ivr.store.owed import OwedStore
from stand_ins import at_once

AT = datetime.datetime(2026, 11, 25, 20, 0, tzinfo=datetime.timezone.utc)
PROGRESS = ("ringing", "in-progress", "completed")
ORDERS = list(itertools.permutations(PROGRESS))
#: Rounds of each arrival order: enough to meet the interleavings that lost a call's end before.
ROUNDS = 4


def callback_at(records: CallRecords, call_sid: str, status: str, sequence: int | None):
    return lambda: records.call_status(call_sid, status, 42 if status == "completed" else None, "key", AT, sequence)


@pytest.mark.parametrize("order", ORDERS, ids="-then-".join)
def test_a_callers_ringing_answered_and_completed_callbacks_at_once_leave_the_call_completed_in_every_order(
        engine, order):
    records = CallRecords(engine)
    sequence = {status: number for number, status in enumerate(PROGRESS)}
    for round_ in range(ROUNDS):
        call_sid = f"CA{order[0][:2]}{round_:030d}"
        # Each callback twice (Twilio retries), half of them without a SequenceNumber.
        at_once(*[callback_at(records, call_sid, status, sequence[status] if copy else None)
                  for status in order for copy in (0, 1)])
        call = records.get(call_sid)
        assert (call.status, call.duration_seconds, call.outcome) == ("completed", 42, "information")
        assert call.ended_at is not None
    records.close()


def test_a_late_ringing_or_an_older_sequence_number_never_reopens_an_ended_call(engine):
    records = CallRecords(engine)
    call_sid = "CA" + "7" * 32
    records.call_status(call_sid, "in-progress", None, "key", AT, 2)
    records.call_status(call_sid, "ringing", None, "key", AT, 1)          # late: sent before in-progress
    assert records.get(call_sid).status == "in-progress"
    records.call_status(call_sid, "completed", 30, "key", AT, 3)
    for late in ("ringing", "in-progress", "queued", "initiated"):
        records.call_status(call_sid, late, None, "key", AT, 9)
    records.call_status(call_sid, "no-answer", 0, "key", AT, 4)           # a second final status is no news
    call = records.get(call_sid)
    assert (call.status, call.duration_seconds, call.status_sequence) == ("completed", 30, 3)
    records.close()


def test_a_status_twilio_never_sends_is_not_written(engine):
    records = CallRecords(engine)
    call_sid = "CA" + "8" * 32
    records.call_status(call_sid, "ringing", None, "key", AT)
    records.call_status(call_sid, "in-progres", None, "key", AT)
    assert records.get(call_sid).status == "ringing"
    records.close()


# -- a professional's leg ------------------------------------------------------------------------------
LEG_EVENTS = {"ringing": lambda offers, offer: offers.move(offer, "ringing", AT),
              "in-progress": lambda offers, offer: offers.move(offer, "answered", AT),
              "completed": lambda offers, offer: offers.leg_over(offer, "completed", AT)}


@pytest.mark.parametrize("order", ORDERS, ids="-then-".join)
def test_a_legs_ringing_answered_and_completed_callbacks_at_once_leave_the_offer_over_in_every_order(engine, order):
    offers = OfferStore(engine)
    for round_ in range(ROUNDS):
        offer = offers.claim(f"CA{round_:032d}", 1, f"pro-{'-'.join(order)}-{round_}", AT)
        at_once(*[lambda event=event: LEG_EVENTS[event](offers, offer) for event in order for _ in (0, 1)])
        assert offers.get(offer).state == "missed"        # nobody pressed 1: a missed offer, not a live one


@pytest.mark.parametrize("first", ["accept", "leg-over"])
def test_a_professional_pressing_1_as_their_leg_ends_never_leaves_the_offer_live(engine, first):
    offers = OfferStore(engine)
    for round_ in range(ROUNDS * 3):
        offer = offers.claim(f"CA{round_:032d}", 1, f"pro-{first}-{round_}", AT)
        assert offers.move(offer, "answered", AT)
        accept = lambda: offers.move(offer, "accepted", AT)           # noqa: E731
        over = lambda: offers.leg_over(offer, "completed", AT)        # noqa: E731
        at_once(*((accept, over) if first == "accept" else (over, accept)))
        assert offers.get(offer).state in FINAL


# -- a callback try -----------------------------------------------------------------------------------
def pending_callback(engine, records: CallRecords, call_sid: str) -> int:
    records.callback_requested(call_sid, "key", "+12025550199", "en", AT)
    return next(row.id for row in OwedStore(engine).callbacks(None) if row.call_sid == call_sid)


def facts_of_a_try(said: str) -> dict:
    from ivr.calls.calling_back import SAID

    return {"dial": {"dialing_at": AT, "dial_status": "completed", "dial_seconds": 45},
            "key": {"professional_said": SAID.get(said, "nothing")},
            "leg-end": {"leg_status": "completed"}}


def assert_one_try(engine, records: CallRecords, name: str, orders, facts: dict, expected: tuple) -> None:
    """Each order is a list of moments; at each, its requests (each twice: Twilio retries) are
    released at once."""
    tries, owed = CallbackTries(engine), OwedStore(engine)
    for number, order in enumerate(orders):
        leg_sid = f"CA{name}{number:031d}"[:34]
        callback_id = pending_callback(engine, records, leg_sid)
        for moment in order:
            at_once(*[lambda fact=fact: tries.learn(leg_sid, callback_id, AT, try_outcome, **facts[fact])
                      for fact in moment for _ in (0, 1)])
        row = owed.callback(callback_id)
        assert (row.status, row.attempts, row.last_outcome) == expected, order
        assert (row.number == "") == (expected[2] == "reached")


@pytest.mark.parametrize("said", ["1", ""], ids=["pressed-1", "pressed-nothing"])
def test_a_tries_dial_action_key_and_leg_end_twice_each_at_once_count_one_reached_try_in_every_order(engine, said):
    records = CallRecords(engine)
    orders = [[order] for order in itertools.permutations(["dial", "key", "leg-end"])]
    assert_one_try(engine, records, said or "x", orders, facts_of_a_try(said), ("done", 1, "reached"))
    records.close()


def test_a_professional_pressing_2_for_voicemail_keeps_the_request_with_one_try_whatever_comes_first(engine):
    # Their key is requested while their leg is still up, so its status callback comes after it was
    # answered; the dial's action and the key may come in either order, each twice.
    records = CallRecords(engine)
    orders = [[first, ["leg-end"]] for first in itertools.permutations(["dial", "key"])]
    assert_one_try(engine, records, "2", orders, facts_of_a_try("2"), ("pending", 1, "voicemail"))
    records.close()


def test_a_professional_hanging_up_before_the_dials_action_leaves_an_unconfirmed_try_that_the_late_action_settles(
        engine):
    records, tries, owed = CallRecords(engine), CallbackTries(engine), OwedStore(engine)
    leg_sid = "CA" + "9" * 32
    callback_id = pending_callback(engine, records, leg_sid)
    tries.learn(leg_sid, callback_id, AT, try_outcome, dialing_at=AT)          # they pressed 1
    tries.learn(leg_sid, callback_id, AT, try_outcome, leg_status="completed")  # and hung up
    unconfirmed = owed.callback(callback_id)
    assert (unconfirmed.status, unconfirmed.attempts, unconfirmed.last_outcome) == ("pending", 1, "unconfirmed")
    tries.learn(leg_sid, callback_id, AT, try_outcome, dial_status="completed", dial_seconds=80,
                leg_status="completed")                                        # Twilio's action, late
    tries.learn(leg_sid, callback_id, AT, try_outcome, leg_status="completed")  # and a retried callback
    row = owed.callback(callback_id)
    assert (row.status, row.number, row.attempts, row.last_outcome) == ("done", "", 1, "reached")
    records.close()
