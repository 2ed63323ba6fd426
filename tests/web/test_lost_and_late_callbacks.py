"""A caller's fate never hangs on one Twilio event: against a Twilio (simulated) that signs a
fragment URL either way, sends status callbacks twice and out of order, or loses them, a caller
asking for a person still reaches a free professional or the overflow within its bounds — a
connect step's ring time plus 30 s, a queue step's max_wait plus 30 s — and a professional
becoming free is offered the longest-waiting caller within 2 s. Over real HTTP, on SQLite and
PostgreSQL."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import threading
import zoneinfo
from pathlib import Path

import pytest

from ivr.sim.professionals import PHONES
from callers import AppClock, Line, call, new_caller, simulated_twilio, text_helpline, transcript
from like_twilio import BACKUP_LINE, wait_for

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:00 in New York: Ana Rivera, Marisol Peña and Ben Carter are on shift.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA, MARISOL, BEN = "+12025550101", "+12025550102", "+12025550103"
AUDIO = Path(__file__).resolve().parents[2] / "audio"
#: Slow enough that the helpline's own milliseconds stay out of what is measured.
SPEED = 25.0
#: Where a bound in seconds is measured, a wall-clock millisecond counts 10 (not 25): on a busy
#: machine a request the helpline answers in 100 ms would be 2.5 s of a caller's wait at SPEED.
MEASURING = pytest.mark.parametrize("twilio", [10.0], ids=["10x"], indirect=True)
MAX_WAIT, RING = 60, 20
#: What the bounds allow beyond a step's own time, because an event was lost, refused or late.
LOST_EVENT = 30
#: A professional who presses 1 and talks 5 s, where the simulator's person talks a minute (2.4 s
#: of the wall's time at SPEED): what is checked is that the talk happens, not its length.
BRIEF_PERSON = dataclasses.replace(PHONES["person"], talks_for=5)


@pytest.fixture
def twilio(request):
    """At SPEED, or at the speed a test asks for (`indirect`)."""
    sim = simulated_twilio(getattr(request, "param", SPEED), WEDNESDAY_10AM)
    yield sim
    sim.stop()


@pytest.fixture
def start_line(make_app, serve, twilio, flows_dir):
    started = []

    def start(database_url: str, max_wait: int = MAX_WAIT) -> Line:
        main = flows_dir / "main.yaml"
        main.write_text(main.read_text(encoding="utf-8").replace("max_wait: 300", f"max_wait: {max_wait}"),
                        encoding="utf-8")
        app = make_app(flows_check_seconds=0, audio_dir=AUDIO, database_url=database_url)
        clock = app.extensions["ivr"].clock = AppClock(twilio.clock)
        started.append(app)
        return Line(app, serve(app).url, twilio, clock)

    yield start
    twilio.stop()
    for app in started:
        app.extensions["ivr"].close()
        app.extensions["ivr"].database.dispose()


def moments(line: Line, caller, *prompts) -> dict:
    """Simulated second at which the caller first heard each of `prompts` (by name), asked for a
    person ('asked'), began talking with a professional ('talk') and was put through to the backup
    line ('dial')."""
    texts = {line.ivr.flows.current().prompts[("main", name)].text("en"): name for name in prompts}
    heard = {}

    def on_heard(h):
        if h.kind == "say" and h.text in texts and texts[h.text] not in heard:
            heard[texts[h.text]] = line.twilio.clock.seconds()
        if h.kind == "menu" and "asked" not in heard and len([x for x in caller.heard if x.kind == "menu"]) == 2:
            heard["asked"] = line.twilio.clock.seconds()
        if h.kind in ("talk", "dial") and h.kind not in heard:
            heard[h.kind] = line.twilio.clock.seconds()
    return heard, on_heard


def outside_the_bounds(heard: dict) -> list:
    """How a caller's wait broke point 2's bounds (empty when it did not): out of the connect step
    (talking, or on hold) within its ring time + 30 s of asking; out of the queue step (talking,
    or on the backup line) within max_wait + 30 s of being put on hold."""
    never = float("inf")
    broken = []
    left_connect = min(heard.get("talk", never), heard.get("on-hold", never), heard.get("dial", never))
    if left_connect - heard["asked"] > RING + LOST_EVENT:
        broken.append(f"at the connect step {left_connect - heard['asked']:.1f} s")
    if heard.get("on-hold", never) < heard.get("talk", never):
        left_queue = min(heard.get("talk", never), heard.get("dial", never))
        if left_queue - heard["on-hold"] > MAX_WAIT + LOST_EVENT:
            broken.append(f"on hold {left_queue - heard['on-hold']:.1f} s")
    return broken


def waiting_for_a_person(heard):
    return heard and heard[-1].kind == "menu" and heard[-1].text in ("ringing", "on hold", "music")


def asking_for_a_person(heard):
    """English, then 0 at the main menu; waits quietly for a person; hangs up at anything else."""
    if waiting_for_a_person(heard):
        return ""
    menus = len([h for h in heard if h.kind == "menu"])
    return {1: "1", 2: "0"}.get(menus)


@MEASURING
def test_with_every_callback_lost_a_caller_nobody_answers_reaches_the_overflow_within_max_wait_and_30_s(
        database_url, start_line):
    line = start_line(database_url)
    line.twilio.default_phone = "no-answer"
    line.twilio.lose_callbacks = 1.0                     # not one status callback ever arrives
    caller = new_caller(line)
    heard, on_heard = moments(line, caller, "on-hold", "partner-line")
    caller.call(asking_for_a_person, on_heard)

    assert [h.text for h in caller.heard if h.kind == "dial"] == [BACKUP_LINE], transcript(caller)
    assert line.twilio.lost_callbacks, "the simulator sent the callbacks after all"
    assert heard["on-hold"] - heard["asked"] <= RING + LOST_EVENT, transcript(caller)
    assert heard["partner-line"] - heard["asked"] <= MAX_WAIT + LOST_EVENT, transcript(caller)


@MEASURING
@pytest.mark.parametrize("signs", ["always", "never", "alternate"])
def test_callbacks_sent_twice_late_and_signed_either_way_still_put_the_caller_through(
        database_url, start_line, signs):
    line = start_line(database_url)
    line.twilio.callbacks = "retried-and-late"
    if hasattr(line.twilio.helpline, "signs_fragment"):
        line.twilio.helpline.signs_fragment = signs
    line.twilio.phones.update({ANA: BRIEF_PERSON, MARISOL: "no-answer", BEN: "no-answer"})
    caller = new_caller(line)
    heard, on_heard = moments(line, caller, "on-hold")

    call(line, "1", "0", on_hold=lambda heard: "", on_heard=on_heard, caller=caller)

    assert [h.kind for h in caller.heard].count("talk") == 1, transcript(caller)
    # Ana answers at the connect step: put through within its ring time + 30 s of asking.
    assert "on-hold" not in heard, transcript(caller)
    assert heard["talk"] - heard["asked"] <= RING + LOST_EVENT, f"talking {heard['talk'] - heard['asked']:.1f} s after"
    refused = [(url, status) for url, params, status, *_ in list(line.twilio.helpline.exchanges) if status == 403]
    assert refused == []


@MEASURING
def test_a_professional_whose_talk_ends_is_offered_the_longest_waiting_caller_within_2_s_though_callbacks_come_twice(
        database_url, start_line):
    line = start_line(database_url, max_wait=600)
    line.twilio.callbacks = "retried-and-late"
    if hasattr(line.twilio.helpline, "signs_fragment"):
        line.twilio.helpline.signs_fragment = "alternate"
    freed, post = [], line.twilio.helpline.post

    def posted_noting_when_ana_is_free(url, params):
        answered = post(url, params)
        # The helpline has heard her talk end: her conference <Dial>'s action, or her leg's end.
        ended = "/voice/offer-done" in url or ("/voice/offer-status" in url and params.get("CallStatus") == "completed")
        if ended and params.get("To") == ANA:
            freed.append(line.twilio.clock.seconds())
        return answered
    line.twilio.helpline.post = posted_noting_when_ana_is_free
    for number in (MARISOL, BEN):
        text_helpline(line, number, "OFF")
    line.twilio.phones.update({ANA: "person"})
    first = new_caller(line)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    first_done = pool.submit(first.call, asking_for_a_person)
    assert wait_for(lambda: any(h.kind == "talk" for h in first.heard), timeout=15), transcript(first)
    second = new_caller(line, "+15017122662")
    second_done = pool.submit(second.call, asking_for_a_person)
    assert wait_for(lambda: any(h.kind == "hold" for h in second.heard), timeout=15), transcript(second)
    # Her talk with the first caller keeps its minute (the second is on hold well within it); the
    # one she is offered next is brief: when it ends is not what is measured.
    line.twilio.phones[ANA] = BRIEF_PERSON

    first_done.result(timeout=60)                      # Ana's talk ends (the phone's talks_for)
    assert wait_for(lambda: len([n for n, _ in line.twilio.phones.rang if n == ANA]) >= 2, timeout=10)
    rung_again = [at for n, at in line.twilio.phones.rang if n == ANA][1]
    # From the helpline hearing that her talk ended to her phone ringing again, on the simulated
    # clock (a wall-clock millisecond is 10 ms of it).
    assert rung_again - min(freed) <= 2, f"offered {rung_again - min(freed):.1f} s after she was free"
    second_done.result(timeout=60)
    assert any(h.kind == "talk" for h in second.heard), transcript(second)
    pool.shutdown()


#: Half of all status callbacks lost, which half fixed by the seed (ivr/sim/twilio.py, `lose_seed`).
HALF = 0.5


def lost_statuses(twilio, number: str) -> list:
    return [params["CallStatus"] for params in twilio.lost_callbacks if params["To"] == number]


@MEASURING
@pytest.mark.parametrize("signs", ["always", "never"])
@pytest.mark.parametrize("seed", [3, 5])
def test_with_half_the_callbacks_lost_every_caller_reaches_a_professional_or_the_overflow_in_time_and_in_turn(
        database_url, start_line, signs, seed):
    """Three callers 6 s apart; only Ana answers, and talks 5 s. While she talks with the first,
    Marisol and Ben, who never answer, are rung for the second — and the end of some of those legs
    is among the callbacks lost (with seed 5, the end of Ana's first talk too). Every caller is
    out of the connect step within its ring time + 30 s and out of the queue within max_wait +
    30 s; and as Ana becomes free for each in turn, each talks with her, in the order they asked."""
    line = start_line(database_url)
    line.twilio.callbacks = "retried-and-late"
    line.twilio.lose_callbacks, line.twilio.lose_seed = HALF, seed
    line.twilio.helpline.signs_fragment = signs
    line.twilio.phones.update({ANA: BRIEF_PERSON, MARISOL: "no-answer", BEN: "no-answer"})
    callers = [new_caller(line, f"+1501712{2661 + n}") for n in range(3)]
    moments_of = [moments(line, caller, "on-hold") for caller in callers]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(callers))
    calls = []
    for caller, (_, on_heard) in zip(callers, moments_of):
        calls.append(pool.submit(caller.call, asking_for_a_person, on_heard))
        line.twilio.clock.sleep(6)                 # the next caller rings 6 s later
    for done in calls:
        done.result(timeout=60)
    pool.shutdown()

    unanswered_ends_lost = [params["To"] for params in line.twilio.lost_callbacks
                            if params["To"] in (MARISOL, BEN) and params["CallStatus"] in ("no-answer", "canceled")]
    assert unanswered_ends_lost, "the end of every unanswered leg was reported: not the run this test is about"
    sent = [params for url, params, *_ in list(line.twilio.helpline.exchanges) if "/voice/offer-status" in url]
    assert sent, "every callback lost: not a partial loss"
    for caller, (heard, _) in zip(callers, moments_of):
        assert "talk" in heard or "dial" in heard, transcript(caller)
        assert outside_the_bounds(heard) == [], transcript(caller)
    # Ana is free for each in turn, well within max_wait: each talks with her, in the order they asked.
    talked = [heard.get("talk") for heard, _ in moments_of]
    assert None not in talked and talked == sorted(talked), [transcript(caller) for caller in callers]
    refused = [(url, status) for url, params, status, *_ in list(line.twilio.helpline.exchanges) if status == 403]
    assert refused == []


#: Her talk with the first caller: long enough for two more to be put on hold 8 s apart.
FIRST_TALK = dataclasses.replace(PHONES["person"], talks_for=25)


@MEASURING
@pytest.mark.parametrize("seed, her_talks_end_lost", [(1, True), (3, False)])
def test_a_freed_professional_is_offered_the_longest_waiting_of_several_callers_within_2_s_though_callbacks_are_lost(
        database_url, start_line, seed, her_talks_end_lost):
    """Two callers on hold, put there 8 s apart, while Ana talks with a third; callbacks come twice
    and late, signed either way in turn, and half of them never come (with seed 1 the end of her
    talk is among them). Within 2 s of her talk ending at Twilio, her phone rings for the caller
    who has waited longest."""
    line = start_line(database_url, max_wait=600)
    line.twilio.callbacks = "retried-and-late"
    line.twilio.lose_callbacks, line.twilio.lose_seed = HALF, seed
    line.twilio.helpline.signs_fragment = "alternate"
    for number in (MARISOL, BEN):
        text_helpline(line, number, "OFF")
    line.twilio.phones.update({ANA: FIRST_TALK})
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=3)
    first = new_caller(line)
    first_done = pool.submit(first.call, asking_for_a_person)
    assert wait_for(lambda: any(h.kind == "talk" for h in first.heard), timeout=15), transcript(first)
    first_leg = next(leg for leg in list(line.twilio.calls.values()) if leg.to == ANA and leg.ordinal == 0)
    waiting, measured = [], threading.Event()

    def asking_until_measured(heard):
        return None if measured.is_set() else asking_for_a_person(heard)
    for number in ("+15017122662", "+15017122663"):
        caller = new_caller(line, number)
        waiting.append((caller, pool.submit(caller.call, asking_until_measured)))
        assert wait_for(lambda: any(h.kind == "hold" for h in caller.heard), timeout=15), transcript(caller)
        line.twilio.clock.sleep(8)                 # the next one is put on hold 8 s later
    # The talks she is offered next are brief: when they end is not what is measured.
    line.twilio.phones[ANA] = BRIEF_PERSON

    first_done.result(timeout=60)                      # Ana's talk ends (the phone's talks_for)
    assert wait_for(lambda: len([n for n, _ in line.twilio.phones.rang if n == ANA]) >= 2, timeout=10)
    rung_again = [at for n, at in line.twilio.phones.rang if n == ANA][1]
    assert ("completed" in lost_statuses(line.twilio, ANA)) == her_talks_end_lost, line.twilio.lost_callbacks
    # From her leg's end at Twilio (the moment she is free, whether or not the helpline is told)
    # to her phone ringing again, on the simulated clock (a wall-clock millisecond is 10 ms of it).
    assert wait_for(lambda: first_leg.ended is not None)
    offered_after = rung_again - first_leg.ended
    assert offered_after <= 2, f"offered {offered_after:.1f} s after she was free"
    (longest, longest_done), (latest, latest_done) = waiting
    second_leg = next(leg for leg in list(line.twilio.calls.values()) if leg.to == ANA and leg.ordinal == 1)

    def offered():             # the leg's CallSid is kept once Twilio's REST answer is back
        return [offer.call_sid for caller in (longest, latest)
                for offer in line.ivr.offers.for_caller(caller.call_sid, live_only=False)
                if offer.leg_sid == second_leg.sid]
    assert wait_for(offered, timeout=5) == [longest.call_sid], "Ana was not offered the caller who has waited longest"
    assert wait_for(lambda: any(h.kind == "talk" for h in longest.heard), timeout=10), transcript(longest)
    assert not any(h.kind == "talk" for h in latest.heard), transcript(latest)
    measured.set()                                     # both hang up now
    longest_done.result(timeout=60)
    latest_done.result(timeout=60)
    pool.shutdown()
