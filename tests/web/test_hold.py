"""Waiting for a person, as a caller hears it: the ringing tone while phones ring, then the hold page
— their place in line, the usual wait and the keys they may press, in their language — keys and
words on hold (0 and "a person" keep their place, the crisis words give the emergency numbers, 1/2/3
their choices), the longest wait counted from the first ask, and the line moving on as soon as a
professional is free — over real HTTP, signed as Twilio signs, with Twilio and the professionals'
phones simulated (ivr/sim), on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.store import presence as presence_store
from flask import Flask

from ivr.flow.messages import compose
from ivr.sim.phone import Phone
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from callers import (HELPLINE, call, call_in_background, simulated_twilio,
                     new_caller, text_helpline, transcript)
from like_twilio import BACKUP_LINE, CALLER, call_params, dialed_numbers, parse_twiml, signed_post, wait_for

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:00 in New York: Ana Rivera (en, es), Marisol Peña (es, en) and Ben Carter (en) are
#: on shift on the demo roster, and nobody else.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA, MARISOL, BEN = "+12025550101", "+12025550102", "+12025550103"
LANGUAGE_KEY = {"en": "1", "es": "2"}
VOICE = {"en": "en-US", "es": "es-US"}
API = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
#: The shipped recordings: the ringing tone (6 s) and the hold music (25.6 s) play as long as they are.
AUDIO = Path(__file__).resolve().parents[2] / "audio"
#: Simulated seconds per real second.
SPEED = 50.0
#: Measuring a wait: every real millisecond the helpline and the database take is SPEED/1000
#: simulated seconds, so a slower clock keeps their cost out of what is measured.
MEASURING_SPEED = 25.0
#: The shipped flows' messages next-in-line, callers-ahead (one, other) and usual-wait (other).
PLACE = {
    "en": {0: "You are next in line.", 1: "There is 1 caller ahead of you.", 2: "There are 2 callers ahead of you.",
           "wait": "Right now, callers wait about 3 minutes."},
    "es": {0: "Usted es la siguiente persona en la fila.", 1: "Hay 1 persona antes que usted.",
           2: "Hay 2 personas antes que usted.", "wait": "En este momento, la espera es de más o menos 3 minutos."},
}
CRISIS = {"en": "say:he took an overdose", "es": "say:creo que tuvo una sobredosis"}


@pytest.fixture
def twilio():
    """Twilio in software from Wednesday 10:00 New York, SPEED times faster than the wall clock."""
    sim = simulated_twilio(SPEED, WEDNESDAY_10AM)
    yield sim
    sim.stop()


@dataclass
class Line:
    app: Flask
    url: str
    twilio: SimTwilio

    @property
    def ivr(self):
        return self.app.extensions["ivr"]

    def prompt(self, name: str, language: str) -> str:
        return self.ivr.flows.current().prompts[("main", name)].text(language)

    def message(self, name: str, language: str) -> str:
        return compose(self.ivr.flows.current().messages[name], language)


@pytest.fixture
def start_line(make_app, serve, twilio):
    """Serve a helpline on `database_url` (SQLite by default) whose clock is the simulator's."""
    started = []

    def start(database_url: str | None = None) -> Line:
        app = make_app(flows_check_seconds=0, audio_dir=AUDIO,
                       **({"database_url": database_url} if database_url else {}))
        app.extensions["ivr"].clock = twilio.clock
        started.append(app)
        return Line(app, serve(app).url, twilio)

    yield start
    twilio.stop()                # every phone hangs up while the helpline is still there to hear it
    for app in started:
        app.extensions["ivr"].close()
        app.extensions["ivr"].database.dispose()


def said(caller: Phone) -> list:
    return [h.text for h in caller.heard if h.kind == "say"]


def on_hold_menus(heard) -> int:
    """How many times the caller has been offered the hold page's keys so far."""
    return sum(1 for h in heard if h.kind == "menu" and h.text == "on hold")


def hang_up_on_hold(after: int = 1):
    """On hold: listen to `after` hold pages to their music, then hang up (phones ringing: listen)."""
    return lambda heard: None if on_hold_menus(heard) >= after and heard[-1].text == "music" else ""


def everyone_texts_off(line: Line) -> None:
    for number in (ANA, MARISOL, BEN):
        text_helpline(line, number, "OFF")


def sid(n: int) -> str:
    return f"CA{n:032x}"


def waiting_ahead(line: Line, language: str, callers: int, connected_after: datetime.timedelta | None = None):
    """Callers already in line (`callers`), and two earlier callers put through after `connected_after`."""
    waits, now = line.ivr.waits, line.twilio.clock()
    if connected_after is not None:
        for n in (90, 91):
            asked = now - datetime.timedelta(minutes=20)
            waits.ask(sid(n), language, "recovery", "main:wait-for-someone", HELPLINE, asked)
            assert waits.connect(sid(n), asked + connected_after)
    for n in range(callers):
        waits.ask(sid(n), language, "recovery", "main:wait-for-someone", HELPLINE,
                  now - datetime.timedelta(minutes=5 - n))


# -- the hold page ------------------------------------------------------------------------------
@pytest.mark.parametrize("database_url, language", [("sqlite", "en"), ("postgresql", "es")], indirect=["database_url"])
def test_on_hold_the_caller_hears_their_place_the_usual_wait_and_their_keys_in_their_language_over_music(
        database_url, start_line, language):
    line = start_line(database_url)
    everyone_texts_off(line)
    waiting_ahead(line, language, callers=2, connected_after=datetime.timedelta(minutes=3))

    caller = call(line, LANGUAGE_KEY[language], "0", on_hold=hang_up_on_hold())

    heard = caller.heard
    hold = next(i for i, h in enumerate(heard) if h.kind == "hold")
    assert heard[hold].text == f"helpline-recovery-{language}"
    assert heard[hold - 1].text == line.prompt("on-hold", language)       # nobody could be rung: on hold at once
    page = heard[hold + 1:]
    assert [(h.kind, h.text, h.language) for h in page[:4]] == [
        ("say", line.message("hold-not-answering", language), VOICE[language]),     # everyone texted OFF
        ("say", PLACE[language][2], VOICE[language]),
        ("say", PLACE[language]["wait"], VOICE[language]),
        ("say", line.prompt("on-hold-choices", language), VOICE[language])]
    # Words are listened for while the choices are said; during the music, keys only.
    assert (page[4].kind, page[4].text) == ("menu", "on hold")
    assert (page[5].kind, page[5].text) == ("play", "../audio/music/hold.wav")
    assert (page[6].kind, page[6].text) == ("menu", "music")
    assert line.prompt("connecting", language) not in said(caller)
    assert line.twilio.phones.rang == []


# -- why nobody is free ---------------------------------------------------------------------------------
#: Who speaks each language on the demo roster, on shift on Wednesday at 10:00 (Ben speaks English only).
SPEAKERS = {"en": ("ana-rivera", "marisol-pena", "ben-carter"), "es": ("ana-rivera", "marisol-pena")}
#: How each reason's message of the shipped flows begins.
REASON = {
    "hold-all-on-calls": {"en": "All of our recovery professionals are with other callers right now.",
                          "es": "Todos nuestros profesionales de recuperación están atendiendo otras llamadas."},
    "hold-not-answering": {"en": "The recovery professionals on shift cannot pick up just now.",
                           "es": "Los profesionales de recuperación de turno no pueden contestar en este momento."},
    "hold-nobody-speaks": {"en": "Right now, no recovery professional on shift speaks English.",
                           "es": "En este momento, ningún profesional de recuperación de turno habla español."},
    "hold-nobody-on-shift": {"en": "Right now, no recovery professional is on shift.",
                             "es": "En este momento, no hay ningún profesional de recuperación de turno."},
}


def talking_with_earlier_callers(line: Line, professionals) -> None:
    """Each of `professionals` took an earlier caller's call and is talking with them now."""
    offers, now = line.ivr.offers, line.twilio.clock()
    for n, professional in enumerate(professionals):
        leg = sid(60 + n)
        line.twilio.incoming_call(leg, ANA, HELPLINE)             # their leg, in progress at Twilio
        offer = offers.claim(sid(50 + n), 1, professional, now)
        assert offers.placed(offer, leg, now) and offers.move(offer, "accepted", now)


def roster_of(flows_dir: Path, *people: tuple) -> None:
    """The test's roster: each person (languages, shifts) with a fictional 555-01xx number."""
    lines = ["timezone: America/New_York",
             'backup_line: {name: Partner line, number: "+18006624357", languages: [en, es]}',
             "ringing: {strategy: simultaneous}", "professionals:"]
    for n, (languages, shifts) in enumerate(people):
        lines.append(f'  - {{name: Person {n}, phone: "+1202555012{n}", languages: [{languages}], '
                     f'teams: [recovery], timezone: America/New_York, shifts: {{{shifts}}}}}')
    (flows_dir / "roster.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# Each situation writes the roster the helpline will read, and returns what to do once it runs, if anything.
def all_on_calls(flows_dir: Path, language: str):
    return lambda line: talking_with_earlier_callers(line, SPEAKERS[language])


def rung_and_not_answered(flows_dir: Path, language: str):
    return lambda line: setattr(line.twilio, "default_phone", "no-answer")


def nobody_speaks_it(flows_dir: Path, language: str):
    other = {"en": "es", "es": "en"}[language]
    roster_of(flows_dir, (other, 'every-day: "00:00-24:00"'), (language, 'sat-sun: "09:00-17:00"'))


def nobody_on_shift(flows_dir: Path, language: str):
    roster_of(flows_dir, ("en, es", 'sat-sun: "09:00-17:00"'), ("es, en", 'sat-sun: "17:00-24:00"'))


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("situation, why", [
    (all_on_calls, "hold-all-on-calls"),
    (rung_and_not_answered, "hold-not-answering"),
    (nobody_speaks_it, "hold-nobody-speaks"),
    (nobody_on_shift, "hold-nobody-on-shift"),
], ids=["all-on-calls", "rung-and-not-answered", "nobody-speaks-it", "nobody-on-shift"])
def test_on_hold_the_caller_hears_the_real_reason_nobody_is_free_in_their_language(
        start_line, twilio, flows_dir, situation, why, language, monkeypatch):
    # Who let a call ring out rests for the whole test: at 50x the usual two minutes are 2.4 s of a
    # loaded machine, after which they are rung again and nobody is "not answering" any more.
    monkeypatch.setattr(presence_store, "MISSED_REST_SECONDS", 3600)
    if situation is rung_and_not_answered:
        # Their legs must have rung out before the first hold page: at 50x a loaded machine's
        # latency let the page come while one still rang ("your place in line", rightly, then).
        twilio.clock.speed = MEASURING_SPEED
    then = situation(flows_dir, language)
    line = start_line()
    if then is not None:
        then(line)

    caller = call(line, LANGUAGE_KEY[language], "0", on_hold=hang_up_on_hold())

    heard = caller.heard
    hold = [i for i, h in enumerate(heard) if h.kind == "hold"][-1]          # after any ringing: on hold
    assert heard[hold - 1].text == line.prompt("on-hold", language), transcript(caller)
    first_said = next(h for h in heard[hold + 1:] if h.kind == "say")
    assert (first_said.text, first_said.language) == (line.message(why, language), VOICE[language])
    assert first_said.text.startswith(REASON[why][language]) and "911" in first_said.text
    assert PLACE[language][0] in said(caller)                  # then their place in line, as before
    others = [REASON[other][language] for other in REASON if other != why]
    assert not [sentence for sentence in said(caller) if sentence.startswith(tuple(others))]
    if situation is not rung_and_not_answered:
        assert line.twilio.phones.rang == []


@pytest.mark.parametrize("answer", ["0", "say:talk to someone", "7"], ids=["key-0", "asking-for-a-person", "key-7"])
def test_0_asking_for_a_person_or_a_key_that_is_no_choice_keeps_the_callers_place_in_line(start_line, answer):
    line = start_line()
    everyone_texts_off(line)
    waiting_ahead(line, "en", callers=1)
    presses = []

    def on_hold(heard):
        if on_hold_menus(heard) == 1:
            presses.append(line.twilio.clock())
            return answer
        return None
    caller = call(line, "1", "0", on_hold=on_hold)

    hold = next(i for i, h in enumerate(caller.heard) if h.kind == "hold")
    after = [h.text for h in caller.heard[hold:] if h.kind == "say"]
    assert after == [line.message("hold-not-answering", "en"), PLACE["en"][1],
                     line.prompt("on-hold-choices", "en")] * 2                       # still second in line
    assert [h.kind for h in caller.heard].count("hold") == 1                      # never left the queue
    assert line.ivr.waits.get(caller.call_sid).asked_at.replace(tzinfo=None) < presses[0].replace(tzinfo=None)


# -- keys and words on hold -----------------------------------------------------------------------
@pytest.mark.parametrize("key, then, expect", [
    ("1", [], "voicemail-instructions"),
    ("2", ["2025550199", "1"], "callback-instructions"),
    ("3", [], "partner-line"),
], ids=["1-voicemail", "2-call-back", "3-partner-line"])
def test_a_key_pressed_on_hold_takes_the_caller_to_their_choice(start_line, key, then, expect):
    line = start_line()
    everyone_texts_off(line)

    caller = call(line, "1", "0", *then, on_hold=lambda heard: key if on_hold_menus(heard) == 1 else None)

    heard = caller.heard
    choice = said(caller).index(line.prompt(expect, "en"))
    assert said(caller).index(line.prompt("on-hold-choices", "en")) < choice
    if key == "1":
        assert any(h.kind == "record" for h in heard)
        assert "Goodbye." in said(caller)[-1] and heard[-1].kind == "hangup"
    elif key == "2":
        read_back = "You entered 2 0 2, 5 5 5, 0 1 9 9. If that is right, press 1. To type it again, press 2."
        assert read_back in said(caller)
        assert "Goodbye." in said(caller)[-1] and heard[-1].kind == "hangup"
        [pending] = line.ivr.calls.pending_callbacks()
        assert (pending.number, pending.language) == ("+12025550199", "en")
    else:
        assert [h.text for h in heard if h.kind == "dial"] == [BACKUP_LINE]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_crisis_word_while_phones_ring_gives_the_emergency_numbers_then_puts_the_caller_through(
        start_line, flows_dir, language):
    # Phones ring two simulated minutes: on a loaded machine the caller's words must still come
    # while they ring, or no phone is left to stop.
    edit_main_flow(flows_dir, max_wait=300, ring_seconds=120)
    line = start_line()
    twilio = line.twilio
    twilio.default_phone = "no-answer"
    spoke = []

    def on_hold(heard):
        if spoke:
            return ""
        spoke.append(heard[-1].text)
        twilio.default_phone = "person"          # from now on, whoever is rung picks up
        return CRISIS[language]

    caller = call(line, LANGUAGE_KEY[language], "0", on_hold=on_hold)

    heard = caller.heard
    first_hold = next(i for i, h in enumerate(heard) if h.kind == "hold")
    after = [h for h in heard[first_hold + 1:] if h.kind in ("say", "hold", "talk")]
    assert [(h.kind, h.text) for h in after] == [
        ("say", line.prompt("emergency-now", language)), ("say", line.prompt("connecting", language)),
        ("hold", f"helpline-recovery-{language}"), ("talk", f"helpline-{caller.call_sid}")], transcript(caller)
    assert "911" in after[0].text and after[0].language == VOICE[language]
    assert spoke == ["ringing"]                                # said while the phones were ringing
    speakers = {"en": [ANA, MARISOL, BEN], "es": [ANA, MARISOL]}[language]
    first_round = [c for c in list(twilio.calls.values()) if c.direction == "outbound-api"][:len(speakers)]
    for leg in first_round:                                    # the phones ringing in vain were stopped …
        assert {"Status": ["canceled"]} in [form for _, path, form in list(twilio.requests)
                                            if path == f"{API}/Calls/{leg.sid}.json"]
    assert sorted(number for number, _ in twilio.phones.rang) == sorted(speakers * 2)   # … and rung again at once


# -- the longest wait ---------------------------------------------------------------------------------
def edit_main_flow(flows_dir: Path, max_wait: int, ring_seconds: int = 20) -> None:
    """The test's copy of main.yaml, with a shorter longest wait (and ringing round) of its own."""
    main = flows_dir / "main.yaml"
    connect = "if_nobody_answers: wait-for-someone\n"
    text = main.read_text(encoding="utf-8").replace("max_wait: 300", f"max_wait: {max_wait}").replace(
        connect, f"{connect}    ring_seconds: {ring_seconds}\n")
    main.write_text(text, encoding="utf-8")


def waits_for_the_partner_line(line: Line) -> tuple:
    """(the caller, simulated seconds from their 0 — the first ask — to the partner line's message)."""
    moments = {}

    def on_heard(heard):
        if heard.kind == "say" and heard.text == line.prompt("partner-line", "en"):
            moments["partner line"] = line.twilio.clock.seconds()

    def answer(heard):
        if heard[-1].kind == "menu" and heard[-1].text in ("ringing", "on hold", "music"):
            return ""                                          # waits, silent
        if "asked" in moments:
            return None
        if heard[-1].kind == "menu" and len([h for h in heard if h.kind == "menu"]) == 2:
            moments["asked"] = line.twilio.clock.seconds()     # the main menu: 0, a person
            return "0"
        return "1"                                             # English
    caller = new_caller(line)
    caller.call(answer, on_heard)
    assert not [h for h in caller.heard if h.kind in ("error", "cut-off")], transcript(caller)
    assert [h.text for h in caller.heard if h.kind == "dial"] == [BACKUP_LINE], transcript(caller)
    return caller, moments["partner line"] - moments["asked"]


def test_max_wait_counts_from_the_first_ask_so_the_caller_reaches_the_partner_line_within_max_wait_and_one_ring(
        database_url, start_line, flows_dir, twilio):
    twilio.clock.speed = MEASURING_SPEED
    edit_main_flow(flows_dir, max_wait=90)
    line = start_line(database_url)
    line.twilio.default_phone = "no-answer"

    caller, waited = waits_for_the_partner_line(line)

    heard = [(h.kind, h.text) for h in caller.heard]
    in_turn = [("play", "../audio/music/ringing.wav"), ("say", line.prompt("on-hold", "en")), ("menu", "on hold"),
               ("say", line.prompt("partner-line", "en"))]      # phones rang, nobody answered, on hold, then away
    assert all(moment in heard for moment in in_turn), transcript(caller)
    assert [heard.index(moment) for moment in in_turn] == sorted(heard.index(moment) for moment in in_turn)
    assert 90 <= waited <= 90 + 20, waited                  # max_wait, plus at most the ringing round


def test_a_caller_whose_longest_wait_ran_out_while_phones_rang_goes_straight_to_the_partner_line(
        start_line, flows_dir, twilio):
    twilio.clock.speed = MEASURING_SPEED
    edit_main_flow(flows_dir, max_wait=30, ring_seconds=30)
    line = start_line()
    line.twilio.default_phone = "no-answer"

    caller, waited = waits_for_the_partner_line(line)

    assert all(leg.timeout == 30 for leg in list(line.twilio.calls.values()) if leg.direction == "outbound-api")
    assert 30 <= waited <= 30 + 30, waited
    # Not "please stay on the line: the next one who is free will talk with you", then sent away.
    assert line.prompt("on-hold", "en") not in said(caller)
    assert ("play", "../audio/music/hold.wav") not in [(h.kind, h.text) for h in caller.heard]


# -- the line moves ----------------------------------------------------------------------------------
def test_the_longest_waiting_caller_is_put_through_when_a_professional_texts_on_and_the_next_when_that_talk_ends(
        database_url, start_line):
    line = start_line(database_url)
    twilio = line.twilio
    everyone_texts_off(line)
    first, first_call = call_in_background(line, "1", "0")
    assert wait_for(lambda: on_hold_menus(first.heard) >= 1, timeout=10)
    second, second_call = call_in_background(line, "1", "0", number="+15017122662")
    assert wait_for(lambda: on_hold_menus(second.heard) >= 1, timeout=10)

    text_helpline(line, ANA, "ON")

    first_call.result(timeout=30)
    second_call.result(timeout=30)
    assert [h.text for h in first.heard if h.kind == "talk"] == [f"helpline-{first.call_sid}"]
    assert [h.text for h in second.heard if h.kind == "talk"] == [f"helpline-{second.call_sid}"]
    second_heard = said(second)
    behind = second_heard.index(PLACE["en"][1])
    assert PLACE["en"][0] in second_heard[behind:]           # then next in line, once the first was put through
    assert [number for number, _ in twilio.phones.rang] == [ANA, ANA]
    assert [len(line.ivr.offers.for_caller(c.call_sid, live_only=False)) for c in (first, second)] == [1, 1]
    with_first, with_second = [c for c in list(twilio.calls.values()) if c.direction == "outbound-api"]
    assert with_first.ended <= twilio.phones.rang[1][1] < with_first.ended + 20    # rung again as her talk ended


def test_a_caller_who_hangs_up_while_phones_ring_stops_them_and_the_professionals_are_free_for_the_next(
        start_line):
    line = start_line()
    twilio = line.twilio
    twilio.default_phone = "no-answer"

    call(line, "1", "0", on_hold=lambda heard: None)

    assert wait_for(lambda: len([c for c in list(twilio.calls.values()) if c.direction == "outbound-api"]) == 3)
    legs = [c for c in list(twilio.calls.values()) if c.direction == "outbound-api"]

    def stopped(leg) -> list:     # off the request's thread: a moment after the hang-up
        return [form for method, path, form in list(twilio.requests) if path == f"{API}/Calls/{leg.sid}.json"]
    for leg in legs:
        assert wait_for(lambda: stopped(leg))
        assert stopped(leg)[0] == {"Status": ["canceled"]}
    assert wait_for(lambda: all(leg.status == "canceled" for leg in legs))
    twilio.incoming_call(sid(7), CALLER, HELPLINE)
    response = signed_post(f"{line.url}/voice/step?at=main:main-menu&lang=en&tries=0", call_params(sid(7), Digits="0"))
    assert line.prompt("connecting", "en") in [say.text for say in parse_twiml(response.text).iter("Say")]
    assert wait_for(lambda: len(twilio.phones.rang) == 6)                      # all three again, no rest
    assert sorted(number for number, _ in twilio.phones.rang[3:]) == sorted([ANA, MARISOL, BEN])


# -- a queue that fails the caller -------------------------------------------------------------------
@pytest.mark.parametrize("result", ["error", "system-error"])
def test_a_hold_page_that_fails_sends_the_caller_on_to_the_partner_line_instead_of_hanging_up(start_line, result):
    """Twilio's QueueResult=error: the hold page's TwiML failed (a 500, a page slower than 15 s),
    and the caller is still on the line; system-error, Twilio's own failure, likewise."""
    line = start_line()
    line.twilio.failed_hold_page_result = result
    failed = []

    @line.app.before_request
    def hold_page_fails():
        from flask import request
        if request.path == "/voice/hold" and not failed:
            failed.append(request.path)
            return "the hold page broke", 500
        return None
    everyone_texts_off(line)

    caller = call(line, "1", "0")

    assert failed == ["/voice/hold"]
    assert [params["QueueResult"] for url, params, _ in caller.requests if "/voice/queued" in url] == [result]
    assert [h.text for h in caller.heard if h.kind == "dial"] == [BACKUP_LINE], transcript(caller)
    assert line.prompt("partner-line", "en") in said(caller)


def test_a_caller_who_finds_the_queue_full_goes_on_to_the_partner_line(start_line, twilio):
    twilio.max_queue_size = 0
    line = start_line()
    everyone_texts_off(line)

    caller = call(line, "1", "0")

    assert [h.text for h in caller.heard if h.kind == "dial"] == [BACKUP_LINE], transcript(caller)
    assert sum(1 for h in caller.heard if h.kind == "hold") == 1        # never back into the full queue


@pytest.mark.parametrize("result", ["error", "system-error", "queue-full"])
def test_leaving_the_queue_with_a_failure_is_answered_with_the_overflow_never_an_empty_response(
        start_line, result):
    line = start_line()
    response = signed_post(f"{line.url}/voice/queued?at=main:wait-for-someone&lang=en&tries=0",
                           call_params(sid(77), QueueResult=result, QueueSid="QU" + "7" * 32))
    assert response.status_code == 200
    assert dialed_numbers(parse_twiml(response.text)) == [BACKUP_LINE], response.text
