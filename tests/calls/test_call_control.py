"""Call control on its own: the real stores on a SQLite file and a real PostgreSQL, the shipped
flows, a small roster, a clock the test moves, and a REST adapter that writes down what it is asked.
Who is offered which caller, in what order, how often a connect step rings, what happens to a leg
whose callbacks never came, and what a machine hears."""
from __future__ import annotations

import datetime
import time

import pytest

from ivr.calls.control import (CONNECT_GRACE_SECONDS, MACHINE_ANSWERS, RING_GRACE_SECONDS,
                               TALK_CHECK_WHILE_WAITING_SECONDS)
from ivr.calls.decisions import Bridge, GoTo, Leave, NotNeeded, Overflow, Stay, Whisper
from ivr.flow.model import Ref
from ivr.twilio.retries import RETRY_ON_FAILURE
from ivr.calls.routing import why_nobody
from ivr.store.database import ensure_schema, open_database
from ivr.twilio.rest import TwilioUnavailable
from stand_ins import (CONNECT, HELPLINE, LINKS, QUEUE, RecordingApi, background_done, helpline, passes_done, phones,
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


def test_a_professional_going_away_is_not_offered_and_coming_back_is_offered_the_waiting_caller_at_once(line_for):
    # One rule for a text, the Me page and `ivr presence`: away rings nobody; available offers now.
    line = line_for([P0])
    assert line.control.presence_changed("person-00", True, LINKS, wait=True) is None
    wait_since(line, CALLERS[0], 3)
    assert line.control.offer_waiting_callers(LINKS) == 0 and rung_for(line) == []

    assert line.control.presence_changed("person-00", False, LINKS, wait=True) == 1
    assert rung_for(line) == [(CALLERS[0], P0)]


def test_coming_back_without_a_public_url_leaves_the_offer_to_the_next_hold_page(line_for):
    line = line_for([P0])
    line.control.presence_changed("person-00", True, LINKS)
    wait_since(line, CALLERS[0], 3)
    assert line.control.presence_changed("person-00", False, None, wait=True) is None
    assert rung_for(line) == [] and line.presence.snapshot(line.clock()).away == frozenset()


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
    # Placed, but not shown as ringing until Twilio says it rings (it may hold a leg back: its CPS).
    assert line.offers.get(rung.offer).state == "placing" and line.offers.get(rung.offer).leg_sid == rung.leg
    line.control.leg_status(rung.offer, "ringing", rung.leg, LINKS)
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


# -- why nobody is free, for the hold page ----------------------------------------------------------
def why_on_hold(line, call_sid: str = CALLERS[0]) -> str:
    """What call control tells the hold page of why nobody is free for this caller now."""
    stay = line.control.on_hold(call_sid, "QU1", LINKS)
    passes_done(line.control)
    assert isinstance(stay, Stay)
    return stay.why


def on_a_call(line, professional_id: str, call_sid: str) -> None:
    """`professional_id` took `call_sid`, an earlier caller's call, and is talking with them."""
    offer = line.offers.claim(call_sid, 1, professional_id, line.clock())
    assert line.offers.move(offer, "accepted", line.clock())


def test_on_hold_nobody_is_free_because_everyone_who_could_take_the_call_is_with_another_caller(line_for):
    line = line_for([P0, P1])
    on_a_call(line, "person-00", CALLERS[3])
    on_a_call(line, "person-01", CALLERS[4])
    wait_since(line, CALLERS[0], 1)
    assert why_on_hold(line) == why_nobody.ALL_ON_CALLS
    assert line.api.rung == []


def test_on_hold_nobody_is_free_because_those_on_shift_just_let_the_caller_ring_out(line_for):
    line = line_for([P0, P1])
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    for rung in line.api.rung:
        line.control.leg_status(rung.offer, "no-answer", rung.leg, LINKS)
    passes_done(line.control)
    assert why_on_hold(line) == why_nobody.NOT_ANSWERING      # resting after the missed call, not "with callers"
    line.clock.advance(121)
    line.control.offer_waiting_callers(LINKS)
    assert len(line.api.rung) == 4 and why_on_hold(line) == ""           # their phones ring for this caller again


def test_on_hold_nobody_is_free_because_one_is_resting_after_a_missed_call_and_the_other_is_on_a_call(line_for):
    line = line_for([P0, P1])
    on_a_call(line, "person-00", CALLERS[3])
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    [rung] = line.api.rung
    line.control.leg_status(rung.offer, "busy", rung.leg, LINKS)
    passes_done(line.control)
    assert why_on_hold(line) == why_nobody.NOT_ANSWERING


def test_on_hold_nobody_is_free_because_everyone_on_shift_who_speaks_the_language_is_away(line_for):
    line = line_for([P0, P1], languages={1: "es"})
    line.presence.set_away("person-00", True, line.clock())
    wait_since(line, CALLERS[0], 1)
    assert why_on_hold(line) == why_nobody.ALL_AWAY
    on_a_call(line, "person-01", CALLERS[3])                   # speaks Spanish only: no matter
    assert why_on_hold(line) == why_nobody.ALL_AWAY


def test_on_hold_nobody_is_free_because_nobody_on_shift_speaks_the_callers_language(line_for):
    line = line_for([P0, P1], languages={0: "es", 1: "es"})
    wait_since(line, CALLERS[0], 1, language="en")
    assert why_on_hold(line) == why_nobody.NOBODY_SPEAKS
    assert line.api.rung == []                          # the backup line speaks English: nobody is rung


@pytest.mark.parametrize("team", ["recovery", "family"])
def test_on_hold_nobody_is_free_because_nobody_is_on_shift(database_url, tmp_path, team):
    weekend = read_roster(roster_file(tmp_path, [P0, P1], shifts='{sat-sun: "09:00-17:00"}'))
    line = helpline(database_url, weekend)             # the clock says Wednesday
    try:
        wait_since(line, CALLERS[0], 1, team=team)
        assert why_on_hold(line) == why_nobody.NOBODY_ON_SHIFT
    finally:
        line.close()


def test_nobody_on_shift_for_the_callers_team_is_nobody_on_shift_for_them(line_for):
    line = line_for([P0, P1], teams={0: "family", 1: "family"})
    wait_since(line, CALLERS[0], 1, team="recovery")
    assert why_on_hold(line) == why_nobody.NOBODY_ON_SHIFT


# -- a professional freed --------------------------------------------------------------------------
def talking_while_two_wait(line_for):
    """One professional talking with the first caller; two more callers wait, the second 8 minutes
    and the third 3: the one to offer her next is the second."""
    line = line_for([P0])
    wait_since(line, CALLERS[0], 20)
    line.control.offer_waiting_callers(LINKS)
    talking(line, line.api.rung[0])
    wait_since(line, CALLERS[2], 3)
    wait_since(line, CALLERS[1], 8)
    return line


def test_a_professional_whose_talk_ends_is_offered_the_longest_waiting_caller_at_once(line_for, database_url):
    line = talking_while_two_wait(line_for)
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


def test_a_professional_whose_talk_ends_is_offered_the_longest_waiting_caller_at_once_though_their_legs_end_never_comes(
        line_for):
    line = talking_while_two_wait(line_for)
    line.api.rang.clear()

    line.control.talk_over(line.api.rung[0].offer, LINKS)     # their <Dial> ended; no 'completed' ever comes
    assert line.api.rang.wait(5)
    passes_done(line.control)
    assert rung_for(line) == [(CALLERS[0], P0), (CALLERS[1], P0)]
    assert line.offers.get(line.api.rung[0].offer).state == "ended"
    line.control.leg_status(line.api.rung[0].offer, "completed", line.api.rung[0].leg, LINKS)   # late: a no-op
    passes_done(line.control)
    assert rung_for(line) == [(CALLERS[0], P0), (CALLERS[1], P0)]


def test_a_professional_freed_while_the_longest_waiting_caller_is_being_rung_for_is_rung_for_them_not_a_later_caller(
        line_for):
    """On hold, a round rings everyone free at once. Someone free since it began joins it for the
    caller who has waited longest, rather than going to a caller who came later while the round
    rings out (a phone nobody answers, or whose end Twilio never reports, rings for 30 s)."""
    line = line_for([P0, P1])
    wait_since(line, CALLERS[0], 30)
    line.control.offer_waiting_callers(LINKS)
    with_p1 = next(rung for rung in line.api.rung if rung.to == P1)
    talking(line, with_p1)                                   # P1 takes the first caller; P0 is let go
    passes_done(line.control)
    wait_since(line, CALLERS[1], 20)
    line.control.offer_waiting_callers(LINKS)               # P0 rings for the second, and rings on
    wait_since(line, CALLERS[2], 5)
    assert line.control.offer_waiting_callers(LINKS) == 0   # nobody free for the third
    passes_done(line.control)

    line.control.leg_status(with_p1.offer, "completed", with_p1.leg, LINKS)      # P1's talk ends
    assert line.api.rang.wait(5)
    passes_done(line.control)
    assert rung_for(line)[-1] == (CALLERS[1], P1), rung_for(line)
    assert CALLERS[2] not in [caller for caller, _ in rung_for(line)]


def test_a_professional_is_not_rung_into_a_round_whose_caller_was_taken_as_they_joined_it(line_for):
    """The caller is taken (or leaves) just as someone freed is claimed into their round: whoever
    stopped the round's phones looked before the claim, so the claim itself is canceled, and the
    freed professional goes to the next caller instead."""
    line = line_for([P0, P1])
    wait_since(line, CALLERS[0], 30)
    line.control.offer_waiting_callers(LINKS)
    with_p1 = next(rung for rung in line.api.rung if rung.to == P1)
    talking(line, with_p1)
    passes_done(line.control)
    wait_since(line, CALLERS[1], 20)
    line.control.offer_waiting_callers(LINKS)               # P0 rings for the second caller
    wait_since(line, CALLERS[2], 5)
    passes_done(line.control)
    claim, p1 = line.offers.claim, line.offers.get(with_p1.offer).professional_id

    def taken_as_claimed(call_sid, round_number, professional_id, now):
        if call_sid == CALLERS[1] and professional_id == p1:
            line.waits.connect(CALLERS[1], now)             # P0 pressed 1 a moment before
        return claim(call_sid, round_number, professional_id, now)
    line.offers.claim = taken_as_claimed

    line.control.leg_status(with_p1.offer, "completed", with_p1.leg, LINKS)      # P1's talk ends
    assert line.api.rang.wait(5)
    passes_done(line.control)
    assert (CALLERS[1], P1) not in rung_for(line)
    assert rung_for(line)[-1] == (CALLERS[2], P1), rung_for(line)
    assert not [offer for offer in line.offers.for_caller(CALLERS[1]) if offer.professional_id == p1]   # none live


# -- legs whose end never arrived ----------------------------------------------------------------------
@pytest.mark.parametrize("step, ring", [(CONNECT, 20), (QUEUE, 25)], ids=["connect", "queue"])
def test_a_ringing_leg_with_no_news_is_asked_about_once_its_ring_time_and_a_short_grace_are_over(
        line_for, step, ring):
    """Its own ring time: a connect step's (20 s in the shipped flows), on hold the roster's."""
    line = line_for([P0], ringing="{strategy: simultaneous, ring_seconds: 25}", api=RecordingApi(statuses={}))
    wait_since(line, CALLERS[0], 0, step=step)
    line.control.offer_waiting_callers(LINKS)
    [rung] = line.api.rung
    line.api.statuses[rung.leg] = "no-answer"
    line.clock.advance(ring + RING_GRACE_SECONDS - 1)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == []
    line.clock.advance(2)
    line.control.offer_waiting_callers(LINKS)
    assert line.api.asked == [rung.leg]
    assert line.offers.get(rung.offer).state == "missed"


@pytest.mark.parametrize("twilio_says", ["ringing", "in-progress", "not found", "unreachable"])
def test_a_leg_still_not_taken_past_its_ring_time_is_ended_as_missed_whatever_twilio_says(line_for, twilio_says):
    """Still ringing by Twilio's word (its own timeout or a lost callback), already gone, or Twilio
    out of reach: the leg is ended and counted as missed, and the caller is offered again."""
    line = line_for([P0, P1], ringing="{strategy: longest-idle, attempts: 3}")
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    [first] = line.api.rung
    line.api.statuses[first.leg] = {"not found": TwilioUnavailable("gone", 404),
                                    "unreachable": TwilioUnavailable("unreachable")}.get(twilio_says, twilio_says)
    line.clock.advance(20 + RING_GRACE_SECONDS + 1)
    line.control.offer_waiting_callers(LINKS)
    assert line.offers.get(first.offer).state == "missed"
    assert line.api.stopped == [first.leg]
    passes_done(line.control)
    line.control.offer_waiting_callers(LINKS)
    assert [rung.to for rung in line.api.rung] == [first.to, P1 if first.to == P0 else P0]


@pytest.mark.parametrize("twilio_says", ["queued", "initiated"])
def test_a_leg_twilio_still_holds_back_past_its_ring_time_is_ended_without_counting_it_as_missed(line_for, twilio_says):
    """Its phone never rang (Twilio's calls-per-second queue): the professional does not rest as
    after a missed call, and the caller is offered again."""
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    [first] = line.api.rung
    line.api.statuses[first.leg] = twilio_says
    line.clock.advance(20 + RING_GRACE_SECONDS + 1)
    line.control.offer_waiting_callers(LINKS)
    assert line.offers.get(first.offer).state == "failed"
    assert line.api.stopped == [first.leg]
    assert rung_for(line) == [(CALLERS[0], P0), (CALLERS[0], P0)]     # not resting: rung again at once


def test_a_ringing_leg_twilio_refuses_to_tell_about_is_asked_again_and_not_ended(line_for):
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    [rung] = line.api.rung
    line.api.statuses[rung.leg] = TwilioUnavailable("Twilio refused", 429)
    line.clock.advance(20 + RING_GRACE_SECONDS + 1)
    line.control.offer_waiting_callers(LINKS)
    assert line.offers.get(rung.offer).state == "placing"          # still live, asked again next time
    line.api.statuses[rung.leg] = "no-answer"
    line.control.offer_waiting_callers(LINKS)
    assert line.offers.get(rung.offer).state == "missed"


def test_a_connect_step_ends_within_its_ring_time_and_thirty_seconds_when_no_callback_ever_comes(line_for):
    """Twilio never tells (every status callback lost, the REST API out of reach): the caller still
    moves on to hold at the connect step's ring time plus 30 s."""
    line = line_for([P0, P1])
    wait_since(line, CALLERS[0], 0, step=CONNECT)
    line.control.offer_waiting_callers(LINKS)
    for rung in line.api.rung:
        line.api.statuses[rung.leg] = TwilioUnavailable("Twilio refused", 429)
    line.clock.advance(20 + CONNECT_GRACE_SECONDS - 1)
    assert isinstance(line.control.on_hold(CALLERS[0], "QU1", LINKS), Stay)
    line.clock.advance(1)
    assert line.control.on_hold(CALLERS[0], "QU1", LINKS) == Leave()
    assert line.control.after_queue(CALLERS[0], "leave") == GoTo(Ref("main", "wait-for-someone"))
    passes_done(line.control)
    background_done(line.control)                      # the phones are stopped off the request's thread
    assert sorted(line.api.stopped) == sorted(rung.leg for rung in line.api.rung)


def test_a_talk_whose_end_was_lost_is_asked_about_within_twenty_seconds_while_callers_wait(line_for):
    line = line_for([P0], ringing="{strategy: simultaneous, check_after_minutes: 5}")
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    rung = line.api.rung[0]
    talking(line, rung)
    wait_since(line, CALLERS[1], 0)
    line.api.statuses[rung.leg] = "completed"          # its 'completed' callback never came
    line.clock.advance(TALK_CHECK_WHILE_WAITING_SECONDS + 1)
    line.control.offer_waiting_callers(LINKS)
    assert line.offers.get(rung.offer).state == "ended"
    passes_done(line.control)
    line.control.offer_waiting_callers(LINKS)
    assert rung_for(line) == [(CALLERS[0], P0), (CALLERS[1], P0)]


def test_call_control_looks_at_the_line_on_its_own_every_few_seconds(database_url, tmp_path):
    """No event at all after the ring (every callback lost): the tick settles the leg and offers
    the caller again, with nobody calling offer_waiting_callers."""
    roster = read_roster(roster_file(tmp_path, [P0, P1], "{strategy: longest-idle, attempts: 3}"))
    line = helpline(database_url, roster, tick_seconds=0.05)
    try:
        wait_since(line, CALLERS[0], 0)
        line.control.offer_soon(LINKS)
        deadline = time.monotonic() + 5
        while not line.api.rung and time.monotonic() < deadline:
            time.sleep(0.01)
        line.api.statuses[line.api.rung[0].leg] = "no-answer"
        line.clock.advance(20 + RING_GRACE_SECONDS + 1)
        while len(line.api.rung) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(line.api.rung) == 2 and line.offers.get(line.api.rung[0].offer).state == "missed"
    finally:
        line.close()


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


# -- leaving the queue ---------------------------------------------------------------------------------
@pytest.mark.parametrize("result", ["error", "system-error", "queue-full"])
@pytest.mark.parametrize("step, overflow", [(QUEUE, Ref("main", "backup")), (CONNECT, Ref("main", "wait-for-someone"))],
                         ids=["queue", "connect"])
def test_a_queue_that_failed_the_caller_sends_them_on_to_the_steps_overflow_never_back_in_line(
        line_for, result, step, overflow):
    """A hold page that failed (error, system-error) or a full queue: the caller may still be on the
    line, so they go where the step sends a caller nobody could take, and nobody rings on for them."""
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0, step=step)
    line.control.offer_waiting_callers(LINKS)
    assert line.control.after_queue(CALLERS[0], result) == Overflow(overflow)
    assert line.waits.get(CALLERS[0]).state == "left"
    background_done(line.control)
    assert line.api.stopped == [line.api.rung[0].leg]
    # Twilio asking again (a retried action) finds the same answer.
    assert line.control.after_queue(CALLERS[0], result) == GoTo(overflow)


def test_a_queue_error_as_a_professional_accepts_brings_the_caller_to_them(line_for):
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    talking(line, line.api.rung[0])
    assert isinstance(line.control.after_queue(CALLERS[0], "error"), Bridge)


def test_a_queue_error_for_a_caller_with_no_wait_on_record_goes_to_the_overflow_of_their_step(line_for):
    line = line_for([P0])
    flows = line.control.flows.current()
    assert line.control.after_queue(CALLERS[3], "system-error", flows.step(Ref("main", "wait-for-someone"))) == \
        Overflow(Ref("main", "backup"))


def test_a_caller_who_hung_up_in_the_queue_is_gone_and_their_phones_stop(line_for):
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    assert line.control.after_queue(CALLERS[0], "hangup") == NotNeeded("gone")
    assert line.waits.get(CALLERS[0]).state == "gone"
    background_done(line.control)
    assert line.api.stopped == [line.api.rung[0].leg]


def test_an_offer_pass_in_the_background_places_its_legs_even_with_one_thread_to_run_it(database_url, tmp_path):
    # The pass waits for the legs it places: on the pool that runs it, they could wait behind it.
    line = helpline(database_url, read_roster(roster_file(tmp_path, [P0, P1], "{strategy: simultaneous}")),
                    workers=1)
    try:
        wait_since(line, CALLERS[0], 1)
        line.control.offer_soon(LINKS)
        passes_done(line.control)
        assert sorted(rung.to for rung in line.api.rung) == [P0, P1]
    finally:
        line.close()


def test_a_leg_whose_callsid_is_saved_as_the_caller_hangs_up_is_still_stopped(line_for):
    # The hang-up reads the caller's offers while a leg is being placed (no CallSid yet); the
    # placing saves its CallSid and finds the offer still live; only then does the cancel land.
    line = line_for([P0])
    wait_since(line, CALLERS[0], 0)
    claimed = line.offers.claim(CALLERS[0], 1, "person-00", line.clock())
    move = line.offers.move

    def placed_just_before_the_cancel(offer_id, state, now):
        if offer_id == claimed and state == "canceled":
            line.offers.placed(claimed, "CA-placed-meanwhile", now)
        return move(offer_id, state, now)

    line.offers.move = placed_just_before_the_cancel
    line.control.caller_ended(CALLERS[0])
    background_done(line.control)
    assert line.api.stopped == ["CA-placed-meanwhile"]          # the professional's phone stops ringing


# -- what Twilio refuses, and how fast it may be asked ------------------------------------------------
@pytest.mark.parametrize("code", [21210, 21213])
def test_twilio_refusing_the_caller_id_sends_callers_on_at_once_instead_of_ringing_nobody(line_for, code):
    """A caller ID that is not the account's number nor a verified one: no leg can ever be placed,
    so a caller asking for a person goes to the overflow now, not after max_wait."""
    api = RecordingApi()
    api.refuse = TwilioUnavailable("Twilio refused to place a call: 400", 400, code)
    line = line_for([P0, P1], api=api)
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    assert line.control.twilio_down
    flows = line.control.flows.current()
    assert line.control.ask_for_person(CALLERS[1], flows.step(Ref("main", "wait-for-someone")), "en", HELPLINE,
                                       LINKS) is False
    assert line.control.on_hold(CALLERS[0], "QU1", LINKS) == Leave()


def test_twilio_refusing_one_professionals_number_passes_them_over_and_rings_the_next_at_once(line_for):
    """21215/21219-like refusals are about the number rung: that person is passed over (as a missed
    offer) and the caller is offered to the next, without waiting for a tick or a callback."""
    api = RecordingApi()
    line = line_for([P0, P1], ringing="{strategy: longest-idle, attempts: 3}", api=api)
    idle_for(line, "person-01", 1)
    api.refuse_numbers = {P0: TwilioUnavailable("Twilio refused to place a call: 400", 400, 21215)}
    wait_since(line, CALLERS[0], 0)
    line.control.offer_waiting_callers(LINKS)
    passes_done(line.control)
    assert [rung.to for rung in line.api.rung] == [P1]
    assert not line.control.twilio_down


def test_a_leg_twilio_refuses_is_kept_for_the_leads_with_its_code(database_url, tmp_path):
    from ivr.store.twilio_problems import TwilioProblems
    roster = read_roster(roster_file(tmp_path, [P0]))
    engine = open_database(database_url)
    ensure_schema(engine)
    problems = TwilioProblems(engine)
    line = helpline(database_url, roster, problems=problems, migrate=False)
    try:
        line.api.refuse_numbers = {P0: TwilioUnavailable("Twilio refused to place a call: 400", 400, 21215)}
        wait_since(line, CALLERS[0], 0)
        line.control.offer_waiting_callers(LINKS)
        [kept] = problems.recent(line.clock() - datetime.timedelta(minutes=1))
        assert (kept.kind, kept.code) == ("leg-refused", 21215)
        assert P0 not in kept.detail and P0[2:] not in kept.detail
    finally:
        line.close()
        engine.dispose()


def test_a_simultaneous_round_is_placed_longest_idle_first_one_call_per_slot_of_the_accounts_cps(line_for):
    line = line_for([P0, P1, P2], ringing="{strategy: simultaneous, calls_per_second: 20}")
    idle_for(line, "person-00", 1)
    idle_for(line, "person-01", 3)
    idle_for(line, "person-02", 2)
    wait_since(line, CALLERS[0], 0)
    began = time.perf_counter()                   # the clock of Rung.at
    line.control.offer_waiting_callers(LINKS)
    assert [rung.to for rung in sorted(line.api.rung, key=lambda rung: rung.at)] == [P1, P2, P0]
    # None before its slot (1/20 s apart); a loaded machine may place one later, which Twilio queues.
    moments = sorted(rung.at for rung in line.api.rung)
    assert all(moment - began >= slot * 0.05 for slot, moment in enumerate(moments)), [m - began for m in moments]


def test_the_pacer_gives_each_call_its_own_moment_at_the_accounts_rate():
    from ivr.twilio.pacing import Pacer
    now = [100.0]
    pacer = Pacer(monotonic=lambda: now[0])
    assert [pacer.slot(2) for _ in range(3)] == [0.0, 0.5, 1.0]
    now[0] += 5
    assert pacer.slot(2) == 0.0                        # a quiet spell: the next call goes at once
