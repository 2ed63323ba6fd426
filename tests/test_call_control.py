"""Call control on its own: the real stores on a SQLite file and a real PostgreSQL, the shipped
flows, a small roster, a clock the test moves, and a REST adapter that writes down what it is asked.
Who is offered which caller, in what order, how often a connect step rings, what happens to a leg
whose callbacks never came, and what a machine hears."""
from __future__ import annotations

import datetime
import time

import pytest

from ivr.call_control import MACHINE_ANSWERS, Bridge, GoTo, Leave, NotNeeded, Stay, Whisper
from ivr.flow.model import Ref
from ivr.retries import RETRY_ON_FAILURE
from stand_ins import (CONNECT, HELPLINE, LINKS, QUEUE, RecordingApi, helpline, passes_done, phones,
                      read_roster, roster_file)

P0, P1, P2 = phones(3)
CALLERS = [f"CA{i:032d}" for i in range(1, 6)]


@pytest.fixture
def line_for(database_url, tmp_path):
    """A helpline on this test's database with a roster of `people` (phones) on shift all week."""
    made = []

    def make(people=(P0,), ringing="{strategy: simultaneous}", languages=None, teams=None, api=None):
        line = helpline(database_url, read_roster(roster_file(tmp_path, list(people), ringing, languages, teams)),
                        api=api)
        made.append(line)
        return line
    yield make
    for line in made:
        line.close()


def wait_since(line, call_sid: str, minutes_ago: float, step: str = QUEUE, language: str = "en",
               team: str = "recovery"):
    line.waits.ask(call_sid, language, team, step, HELPLINE, line.clock() - datetime.timedelta(minutes=minutes_ago))


def rung_for(line) -> list:
    """(caller, number rung) for each leg placed, in order."""
    return [(line.offers.get(rung.offer).call_sid, rung.to) for rung in line.api.rung]


def talking(line, rung) -> None:
    """The professional rung answers and presses 1."""
    assert isinstance(line.control.leg_answered(rung.offer, "human"), Whisper)
    assert isinstance(line.control.leg_accepted(rung.offer, LINKS), Bridge)


def idle_for(line, professional_id: str, hours: float) -> None:
    """`professional_id` ended a helpline talk `hours` ago."""
    then = line.clock() - datetime.timedelta(hours=hours)
    offer = line.offers.claim("CA" + professional_id.replace("-", "") + "0" * 20, 1, professional_id, then)
    assert line.offers.move(offer, "accepted", then) and line.offers.move(offer, "ended", then)


# -- who is offered which caller ---------------------------------------------------------------------
def test_the_longest_waiting_caller_is_offered_first(line_for):
    line = line_for([P0])
    wait_since(line, CALLERS[0], 2)
    wait_since(line, CALLERS[1], 9)
    wait_since(line, CALLERS[2], 5)
    assert line.control.offer_waiting_callers(LINKS) == 1
    assert rung_for(line) == [(CALLERS[1], P0)]


def test_a_spanish_speaking_caller_is_offered_only_to_professionals_who_speak_spanish(line_for):
    line = line_for([P0, P1, P2], languages={1: "es", 2: "es"})
    wait_since(line, CALLERS[0], 9, language="es")
    wait_since(line, CALLERS[1], 1, language="en")
    line.control.offer_waiting_callers(LINKS)
    assert sorted(rung_for(line)) == sorted([(CALLERS[0], P1), (CALLERS[0], P2), (CALLERS[1], P0)])


def test_a_caller_for_one_team_is_offered_only_to_that_teams_professionals(line_for):
    line = line_for([P0, P1, P2], teams={1: "family"})
    wait_since(line, CALLERS[0], 9, team="family")
    line.control.offer_waiting_callers(LINKS)
    assert rung_for(line) == [(CALLERS[0], P1)]


@pytest.mark.parametrize("step, seconds", [(CONNECT, 20), (QUEUE, 30)], ids=["connect", "queue"])
def test_every_leg_is_placed_with_the_whisper_the_status_callback_and_its_ring_time(line_for, step, seconds):
    """A connect step rings for its own ring_seconds (20 in the shipped flows); on hold, the roster's."""
    line = line_for([P0], ringing="{strategy: simultaneous, ring_seconds: 30, machine_detection: true}")
    wait_since(line, CALLERS[0], 1, step=step)
    line.control.offer_waiting_callers(LINKS)
    [rung] = line.api.rung
    assert (rung.to, rung.caller_id, rung.machine_detection, rung.timeout) == (P0, HELPLINE, True, seconds)
    assert rung.url == f"https://helpline.example/voice/offer?offer={rung.offer}"
    # Whether they are free again rests on this callback: Twilio is asked to retry it.
    assert rung.status_callback == f"https://helpline.example/voice/offer-status?offer={rung.offer}{RETRY_ON_FAILURE}"
    assert line.offers.get(rung.offer).state == "ringing"


# -- how often a connect step rings ------------------------------------------------------------------
def test_a_connect_step_rings_everyone_free_once_and_then_the_caller_goes_on_to_hold(line_for):
    line = line_for([P0, P1, P2])
    wait_since(line, CALLERS[0], 0, step=CONNECT)
    line.control.offer_waiting_callers(LINKS)
    assert sorted(rung_for(line)) == [(CALLERS[0], P0), (CALLERS[0], P1), (CALLERS[0], P2)]
    assert len({line.offers.get(rung.offer).round for rung in line.api.rung}) == 1
    for rung in line.api.rung:
        line.control.leg_status(rung.offer, "no-answer", rung.leg, LINKS)
    passes_done(line.control)
    line.clock.advance(300)                            # everyone has rested after the missed call
    assert line.control.offer_waiting_callers(LINKS) == 0
    assert len(line.api.rung) == 3
    assert line.control.on_hold(CALLERS[0], "QU1", LINKS) == Leave()
    assert line.control.after_queue(CALLERS[0], "leave") == GoTo(Ref("main", "wait-for-someone"))


def test_longest_idle_rings_one_professional_at_a_time_longest_idle_first_for_attempts_people(line_for):
    line = line_for([P0, P1, P2], ringing="{strategy: longest-idle, attempts: 2}")
    idle_for(line, "person-00", 2)
    idle_for(line, "person-01", 1)
    idle_for(line, "person-02", 3)
    wait_since(line, CALLERS[0], 0, step=CONNECT)
    line.control.offer_waiting_callers(LINKS)
    assert rung_for(line) == [(CALLERS[0], P2)]
    line.control.leg_status(line.api.rung[0].offer, "no-answer", line.api.rung[0].leg, LINKS)
    passes_done(line.control)                          # the leg's end offers the caller again at once
    assert rung_for(line) == [(CALLERS[0], P2), (CALLERS[0], P0)]
    line.control.leg_status(line.api.rung[1].offer, "busy", line.api.rung[1].leg, LINKS)
    passes_done(line.control)
    line.clock.advance(300)
    line.control.offer_waiting_callers(LINKS)
    assert rung_for(line) == [(CALLERS[0], P2), (CALLERS[0], P0)]     # two attempts, and no more
    assert line.control.on_hold(CALLERS[0], "QU1", LINKS) == Leave()


def test_a_caller_on_hold_is_offered_again_after_everyone_missed_once_they_have_rested(line_for):
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    line.control.leg_status(line.api.rung[0].offer, "no-answer", line.api.rung[0].leg, LINKS)
    passes_done(line.control)
    assert len(line.api.rung) == 1                     # resting after the missed call
    line.clock.advance(121)
    line.control.offer_waiting_callers(LINKS)
    assert rung_for(line) == [(CALLERS[0], P0), (CALLERS[0], P0)]
    assert isinstance(line.control.on_hold(CALLERS[0], "QU1", LINKS), Stay)


# -- a professional freed --------------------------------------------------------------------------
def test_a_professional_whose_talk_ends_is_offered_the_longest_waiting_caller_at_once(line_for, database_url):
    line = line_for([P0])
    wait_since(line, CALLERS[0], 20)
    line.control.offer_waiting_callers(LINKS)
    talking(line, line.api.rung[0])
    wait_since(line, CALLERS[2], 3)
    wait_since(line, CALLERS[1], 8)
    assert line.control.offer_waiting_callers(LINKS) == 0       # Ana is talking: nobody to offer
    line.clock.advance(600)
    line.api.rang.clear()

    ended = time.perf_counter()
    line.control.leg_status(line.api.rung[0].offer, "completed", line.api.rung[0].leg, LINKS)
    assert line.api.rang.wait(5)
    latency = line.api.rung[1].at - ended
    passes_done(line.control)
    print(f"\n[{database_url.split(':')[0]}] talk ended -> next caller rung: {latency * 1000:.1f} ms")
    assert rung_for(line) == [(CALLERS[0], P0), (CALLERS[1], P0)]
    assert line.presence.snapshot(line.clock()).idle_since["person-00"] == line.clock().timestamp()


# -- legs whose end never arrived ----------------------------------------------------------------------
def test_a_ringing_leg_with_no_news_is_asked_about_once_a_ring_could_no_longer_last(line_for):
    line = line_for([P0], api=RecordingApi(statuses={}))
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    [rung] = line.api.rung
    line.api.statuses[rung.leg] = "no-answer"
    line.clock.advance(179)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == []
    line.clock.advance(2)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == [rung.leg]
    assert line.offers.get(rung.offer).state == "missed"


def test_a_talk_with_no_news_is_checked_every_check_after_minutes_and_ended_when_twilio_says_so(line_for):
    line = line_for([P0], ringing="{strategy: simultaneous, check_after_minutes: 5}")
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    rung = line.api.rung[0]
    talking(line, rung)
    line.clock.advance(4 * 60)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == []
    line.clock.advance(60 + 1)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == [rung.leg]                # in progress: still talking
    assert line.offers.get(rung.offer).state == "accepted"
    line.clock.advance(4 * 60)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == [rung.leg]                # checked a moment ago: not asked again yet
    line.api.statuses[rung.leg] = "completed"
    line.clock.advance(60 + 1)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == [rung.leg, rung.leg]
    assert line.offers.get(rung.offer).state == "ended"
    snapshot = line.presence.snapshot(line.clock())
    assert "person-00" not in snapshot.busy and snapshot.idle_since["person-00"] == line.clock().timestamp()


def test_an_offer_whose_leg_was_never_placed_fails_without_asking_twilio(line_for):
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0)
    assert line.waits.claim_round(CALLERS[0], 0, line.clock())
    offer = line.offers.claim(CALLERS[0], 1, "person-00", line.clock())     # then the instance died
    line.clock.advance(181)
    line.control.offer_waiting_callers(LINKS)
    assert line.offers.get(offer).state == "failed"
    assert line.api.asked == []
    assert rung_for(line) == [(CALLERS[0], P0)]        # and the caller is offered again at once


# -- a machine answering -------------------------------------------------------------------------------
@pytest.mark.parametrize("answered_by", MACHINE_ANSWERS)
def test_a_machine_answering_a_professionals_phone_never_hears_the_whisper(line_for, answered_by):
    line = line_for([P0], ringing="{strategy: simultaneous, machine_detection: true}")
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    [rung] = line.api.rung
    assert rung.machine_detection is True
    assert line.control.leg_answered(rung.offer, answered_by) == NotNeeded("machine")
    assert line.offers.get(rung.offer).state == "missed"
    # Nor can anything pressed afterwards take the caller.
    assert isinstance(line.control.leg_accepted(rung.offer, LINKS), NotNeeded)
    assert line.waits.get(CALLERS[0]).state == "waiting"


@pytest.mark.parametrize("answered_by", ["human", "unknown", ""])
def test_a_person_or_an_undecided_answer_hears_the_whisper_in_the_callers_language(line_for, answered_by):
    line = line_for([P0], languages={0: "es"})
    wait_since(line, CALLERS[0], 0, language="es")
    line.control.offer_waiting_callers(LINKS)
    assert line.control.leg_answered(line.api.rung[0].offer, answered_by) == Whisper("es")
