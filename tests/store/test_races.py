"""Races run for real: threads (and, where it is two instances of the helpline, processes) released
together at one barrier against a SQLite file and a real PostgreSQL. Whatever interleaving comes, a
professional holds one live offer, a caller is offered by one instance per round, a finished leg
stays finished, and accepting and leaving never both win."""
from __future__ import annotations

import collections
import multiprocessing
import threading

import pytest
from sqlalchemy import select

from ivr.calls.control import Bridge, NotNeeded, Whisper
from ivr.flow.model import Ref
from ivr.store.offers import FINAL, OfferStore
from ivr.store.presence import MISSED_REST_SECONDS, PresenceStore
from ivr.store.schema import offers as offers_table, presence as presence_table
from ivr.store.waits import WaitStore
from stand_ins import (HELPLINE, LINKS, QUEUE, WEDNESDAY, Clock, RecordingApi, at_once, background_done,
                       helpline, passes_done, phones, read_roster, roster_file)

THREADS = 8
VOICEMAIL = Ref("main", "leave-a-voicemail")
#: Legs are placed one per second of the helpline's clock (the account's calls per second), and the
#: manual clock here never moves, so each leg after the first waited a real second: the account's
#: rate raised to Twilio's highest lets the races be between claims and callbacks, not the pacing
#: (which test_call_control.py checks).
AT_ONCE = "calls_per_second: 100"


@pytest.fixture
def line_for(database_url, tmp_path):
    """An instance of call control on this test's database, with `people` professionals on shift."""
    made = []

    def make(people: int = 1, ringing: str = f"{{strategy: simultaneous, {AT_ONCE}}}", api=None):
        line = helpline(database_url, read_roster(roster_file(tmp_path, phones(people), ringing)), api)
        made.append(line)
        return line
    yield make
    for line in made:
        line.close()


def callers(count: int, prefix: str = "1") -> list:
    return [f"CA{prefix}{i:031d}" for i in range(count)]


def all_offers(engine) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(offers_table)))


# -- one professional, one live offer ----------------------------------------------------------------
def test_many_instances_claiming_one_professional_for_different_callers_leave_one_live_offer(engine):
    offers = OfferStore(engine)
    for professional in ("ana-rivera", "ben-carter", "carmen-diaz"):
        claimed = at_once(*[lambda sid=sid: offers.claim(sid, 1, professional, WEDNESDAY)
                            for sid in callers(THREADS, professional[0])])
        assert len([offer for offer in claimed if offer]) == 1, claimed
        live = [offer for offer in offers.live() if offer.professional_id == professional]
        assert [offer.id for offer in live] == [offer for offer in claimed if offer]


# -- two instances offering at once: separate processes, separate engines ------------------------
def offering_instance(name: str, database_url: str, roster_path: str, barrier, results) -> None:
    """One instance of the helpline: its own process and engine, one offer pass when released."""
    from pathlib import Path

    instance = helpline(database_url, read_roster(Path(roster_path)), RecordingApi(name), migrate=False)
    try:
        with instance.engine.connect():
            pass                       # connect before the barrier: the passes race, not the logins
        barrier.wait(timeout=60)
        placed = instance.control.offer_waiting_callers(LINKS)
        results.put((name, placed, [(rung.offer, rung.to, rung.leg) for rung in instance.api.rung], None))
    except BaseException as error:     # noqa: BLE001 - reported to the test process
        results.put((name, 0, [], repr(error)))
    finally:
        instance.close()


@pytest.mark.parametrize("ringing, waiting", [(f"{{strategy: longest-idle, attempts: 3, {AT_ONCE}}}", 12),
                                              (f"{{strategy: simultaneous, {AT_ONCE}}}", 4)],
                         ids=["longest-idle", "simultaneous"])
def test_two_instances_offering_at_once_never_offer_a_caller_twice_in_a_round_nor_anyone_two_callers(
        engine, database_url, tmp_path, ringing, waiting):
    roster = roster_file(tmp_path, phones(12), ringing)
    waits = WaitStore(engine)
    line = callers(waiting)
    for minute, call_sid in enumerate(line):
        waits.ask(call_sid, "en", "recovery", QUEUE, HELPLINE, Clock().advance(-600 + minute * 10))
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    instances = [context.Process(target=offering_instance, args=(name, database_url, str(roster), barrier, results))
                 for name in ("a", "b")]
    for process in instances:
        process.start()
    reports = [results.get(timeout=60) for _ in instances]
    for process in instances:
        process.join(timeout=30)
    assert [error for *_, error in reports if error] == []

    rung = {offer: (instance, to, leg) for instance, _, legs, _ in reports for offer, to, leg in legs}
    offers = all_offers(engine)
    by_id = {offer.id: offer for offer in offers}
    # Every leg placed is an offer the database knows, and nothing was placed twice.
    assert sum(placed for _, placed, _, _ in reports) == len(rung) == len(offers)
    assert all(by_id[offer].leg_sid == leg for offer, (_, _, leg) in rung.items())
    # Nobody was offered two callers.
    per_person = collections.Counter(to for _, to, _ in rung.values())
    assert [to for to, count in per_person.items() if count > 1] == []
    # A caller's round was offered by one instance only, and one round at a time.
    instances_per_round = collections.defaultdict(set)
    rounds_per_caller = collections.defaultdict(set)
    for offer in offers:
        instances_per_round[offer.call_sid, offer.round].add(rung[offer.id][0])
        rounds_per_caller[offer.call_sid].add(offer.round)
    assert {key: names for key, names in instances_per_round.items() if len(names) > 1} == {}
    assert {sid: rounds for sid, rounds in rounds_per_caller.items() if len(rounds) > 1} == {}
    # No caller's round was spent without a phone ringing for them, and with more callers (or more
    # rounds) wanting them than there are professionals, all twelve were rung, as one instance would.
    spent = {sid: waits.get(sid).round for sid in line}
    assert spent == {sid: len(rounds_per_caller.get(sid, ())) for sid in line}
    assert len(per_person) == 12


# -- a leg's callbacks: twice, late, at the same moment -------------------------------------------
def a_talk(line):
    """A caller on hold, offered to the one professional, who has answered and pressed 1."""
    line.waits.ask(callers(1)[0], "en", "recovery", QUEUE, HELPLINE, line.clock())
    assert line.control.offer_waiting_callers(LINKS) == 1
    rung = line.api.rung[0]
    assert isinstance(line.control.leg_answered(rung.offer, "human"), Whisper)
    assert isinstance(line.control.leg_accepted(rung.offer, LINKS), Bridge)
    return rung


STATUS_STORMS = {
    "completed-twice": ["completed", "completed"],
    "completed-and-ringing": ["completed", "ringing"],
    "every-order": ["completed", "ringing", "in-progress", "completed", "ringing", "completed", "initiated",
                    "completed"],
}


@pytest.mark.parametrize("storm", STATUS_STORMS)
def test_an_ended_talks_callbacks_arriving_twice_and_out_of_order_at_once_end_it_once_and_free_the_professional(
        line_for, storm):
    line = line_for()
    rung = a_talk(line)
    talk_ended = line.clock.advance(300)
    at_once(*[lambda status=status: line.control.leg_status(rung.offer, status, rung.leg, LINKS)
              for status in STATUS_STORMS[storm]])
    passes_done(line.control)
    assert line.offers.get(rung.offer).state == "ended"
    snapshot = line.presence.snapshot(talk_ended)
    assert "person-00" not in snapshot.busy
    assert snapshot.idle_since["person-00"] == talk_ended.timestamp()
    # A late 'ringing' after all that never reopens the leg.
    line.control.leg_status(rung.offer, "ringing", rung.leg, LINKS)
    assert line.offers.get(rung.offer).state == "ended"


@pytest.mark.parametrize("storm", STATUS_STORMS)
def test_an_unanswered_legs_callbacks_racing_leave_it_missed_and_the_professional_free_after_their_rest(
        line_for, storm):
    line = line_for()
    line.waits.ask(callers(1)[0], "en", "recovery", QUEUE, HELPLINE, line.clock())
    line.control.offer_waiting_callers(LINKS)
    rung = line.api.rung[0]
    statuses = ["no-answer" if status == "completed" else status for status in STATUS_STORMS[storm]]
    at_once(*[lambda status=status: line.control.leg_status(rung.offer, status, rung.leg, LINKS)
              for status in statuses])
    passes_done(line.control)
    assert line.offers.get(rung.offer).state == "missed"
    after_rest = line.presence.snapshot(line.clock.advance(MISSED_REST_SECONDS + 1))
    assert "person-00" not in after_rest.busy
    assert "person-00" not in after_rest.idle_since        # they never talked: their idle time stands


def test_a_legs_end_arriving_while_the_ring_request_is_still_answering_is_never_undone(line_for):
    """Twilio's callbacks may beat the REST response that placed the leg: 'no-answer' (twice) and
    'ringing' race the adapter's own 'placed, ringing' for the same leg."""
    racing = []

    def callbacks_while_placing(offer_id, leg):
        barrier = threading.Barrier(4)

        def callback(status):
            barrier.wait(timeout=30)
            line.control.leg_status(offer_id, status, leg, LINKS)
        threads = [threading.Thread(target=callback, args=(status,))
                   for status in ("no-answer", "ringing", "no-answer")]
        racing.extend(threads)
        for thread in threads:
            thread.start()
        barrier.wait(timeout=30)       # ring() returns as the callbacks are posted

    line = line_for(3, api=RecordingApi(while_ringing=callbacks_while_placing))
    line.waits.ask(callers(1)[0], "en", "recovery", QUEUE, HELPLINE, line.clock())
    line.control.offer_waiting_callers(LINKS)
    for thread in racing:
        thread.join(timeout=30)
    passes_done(line.control)
    states = {offer.leg_sid: offer.state for offer in all_offers(line.engine)}
    assert states == {rung.leg: "missed" for rung in line.api.rung}
    assert len(line.api.rung) == 3


# -- accepting while the caller leaves ---------------------------------------------------------------
def answered_offers(line_for, count: int):
    """`count` callers on hold, each offered to a professional of their own who has answered."""
    line = line_for(count, f"{{strategy: longest-idle, {AT_ONCE}}}")
    for minute, call_sid in enumerate(callers(count)):
        line.waits.ask(call_sid, "en", "recovery", QUEUE, HELPLINE, line.clock.advance(60))
    assert line.control.offer_waiting_callers(LINKS) == count
    offers = {}
    for rung in line.api.rung:
        line.control.leg_answered(rung.offer, "human")
        offers[line.offers.get(rung.offer).call_sid] = rung
    return line, offers


def test_a_professional_accepting_as_the_caller_presses_a_key_on_hold_lets_exactly_one_of_them_win(line_for):
    line, offers = answered_offers(line_for, 6)
    races = []
    for call_sid, rung in offers.items():
        races += [lambda rung=rung: line.control.leg_accepted(rung.offer, LINKS),
                  lambda call_sid=call_sid: line.control.choose_on_hold(call_sid, VOICEMAIL)]
    outcomes = at_once(*races)
    passes_done(line.control)
    for (call_sid, rung), accepted, left in zip(offers.items(), outcomes[::2], outcomes[1::2]):
        assert isinstance(accepted, Bridge) != bool(left), (accepted, left)
        wait, offer = line.waits.get(call_sid), line.offers.get(rung.offer)
        if left:
            assert (wait.state, wait.next_step) == ("left", str(VOICEMAIL))
            assert isinstance(accepted, NotNeeded) and offer.state in FINAL
        else:
            assert (wait.state, offer.state) == ("connected", "accepted")
    busy = line.presence.snapshot(line.clock()).busy
    talking = {line.offers.get(rung.offer).professional_id for rung in offers.values()
               if line.offers.get(rung.offer).state == "accepted"}
    assert busy == talking       # whoever lost the race is free again


def test_the_wait_store_lets_connect_or_leave_win_never_both(engine):
    waits = WaitStore(engine)
    line = callers(THREADS)
    for call_sid in line:
        waits.ask(call_sid, "en", "recovery", QUEUE, HELPLINE, WEDNESDAY)
    outcomes = at_once(*[action for call_sid in line for action in (
        lambda call_sid=call_sid: waits.connect(call_sid, WEDNESDAY),
        lambda call_sid=call_sid: waits.leave(call_sid, str(VOICEMAIL), WEDNESDAY))])
    for call_sid, connected, left in zip(line, outcomes[::2], outcomes[1::2]):
        assert connected != left
        assert waits.get(call_sid).state == ("connected" if connected else "left")


def test_a_caller_hanging_up_as_a_professional_accepts_never_leaves_the_professional_on_a_dead_call(line_for):
    line, offers = answered_offers(line_for, 6)
    races = []
    for call_sid, rung in offers.items():
        races += [lambda rung=rung: line.control.leg_accepted(rung.offer, LINKS),
                  lambda call_sid=call_sid: line.control.caller_ended(call_sid)]
    outcomes = at_once(*races)
    passes_done(line.control)
    background_done(line.control)      # the phones are hung up off the request's thread
    for (call_sid, rung), accepted in zip(offers.items(), outcomes[::2]):
        assert line.waits.get(call_sid).state == "gone"
        offer = line.offers.get(rung.offer)
        # Either they were let go at once, or their leg is being hung up (its 'completed' ends it).
        assert offer.state in FINAL or rung.leg in line.api.stopped, (accepted, offer.state)


# -- presence ------------------------------------------------------------------------------------------
def test_professionals_texting_on_and_off_from_many_threads_at_once_never_collide(engine):
    presence = PresenceStore(engine)
    people = ["ana-rivera", "ben-carter", "carmen-diaz"]
    at_once(*[lambda i=i: presence.set_away(people[i % 3], i % 2 == 0, WEDNESDAY) for i in range(3 * THREADS)])
    with engine.connect() as connection:
        rows = connection.execute(select(presence_table.c.professional_id)).scalars().all()
    assert sorted(rows) == people
    # And with a talk ending for one of them at the same moment.
    offers = OfferStore(engine)
    offer = offers.claim(callers(1)[0], 1, "ana-rivera", WEDNESDAY)
    offers.move(offer, "accepted", WEDNESDAY)
    at_once(lambda: offers.move(offer, "ended", WEDNESDAY),
            *[lambda away=away: presence.set_away("ana-rivera", away, WEDNESDAY) for away in (True, False) * 4])
    assert presence.snapshot(WEDNESDAY).idle_since["ana-rivera"] == WEDNESDAY.timestamp()
    assert offers.get(offer).state == "ended"
    assert offers.live() == []
