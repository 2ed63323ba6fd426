"""Offering a waiting caller to professionals, as Twilio and their phones play it: who a caller's 0
rings, the REST request that rings each phone, the whisper, the first to press 1, voicemail boxes
and machines, keys other than 1, rests after a missed call, duplicate and late callbacks, and a leg
whose last callback never came — over real HTTP, every request signed as Twilio signs it, with
Twilio and the professionals' phones simulated (ivr/sim), on SQLite and on a real PostgreSQL."""
from __future__ import annotations

import dataclasses
import datetime
import threading
import time
import xml.etree.ElementTree as ET
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import request

from ivr.calls.control import RING_GRACE_SECONDS
from ivr.flow.messages import compose
from ivr.sim.phone import Phone
from ivr.twilio.retries import RETRY_ON_FAILURE
from ivr.sim.professionals import PHONES
from ivr.sim.state import ACCOUNT_SID, FINAL
from ivr.sim.twilio import SimTwilio
from callers import (HELPLINE, AppClock, Line, call, call_in_background, simulated_twilio,
                     text_helpline, transcript)
from like_twilio import (BACKUP_LINE, CALLER, call_params, parse_twiml, signed_post, spoken,
                         wait_for)

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:00 in New York. On the demo roster Ana Rivera (en, es), Marisol Peña (es, en) and
#: Ben Carter (en) are on shift then, and nobody else.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA, MARISOL, BEN, CARMEN = "+12025550101", "+12025550102", "+12025550103", "+12025550104"
IDS = {ANA: "ana-rivera", MARISOL: "marisol-pena", BEN: "ben-carter", CARMEN: "carmen-diaz"}
SPEAKERS = {"en": {ANA, MARISOL, BEN}, "es": {ANA, MARISOL}}
LANGUAGE_KEY = {"en": "1", "es": "2"}
#: The number the caller dialled: what Twilio sends as `To` on the caller's webhooks.
API = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
WHISPER = {"en": "Helpline call in English. Press 1 to take it.",
           "es": "Llamada de la línea de ayuda, en español. Oprima 1 para atenderla."}
TAKEN = "A colleague has taken this call. Thank you."
PLACE_IN_LINE = {"en": "You are next in line.", "es": "Usted es la siguiente persona en la fila."}
#: A PostgreSQL nobody listens for: the database is down.
UNREACHABLE_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"
#: The shipped recordings: the ringing tone (6 s) and the hold music (25.6 s) play as long as they are.
AUDIO = Path(__file__).resolve().parents[2] / "audio"
#: Simulated seconds per real second: a two-minute rest passes in 1.2 s.
SPEED = 50.0
MISSED_REST = 120
#: The longest a Spanish hold page lasts (place in line, the keys, the music): the next chance to
#: notice that someone has become free.
HOLD_PAGE = 45
#: A connect step rings for 20 s; a short grace after that, Twilio is asked how a silent leg is.
LONGEST_RING = 20 + RING_GRACE_SECONDS
#: What the helpline's own work may add to a simulated wait on a busy machine (150 ms at SPEED).
SLACK = 15
#: Measuring a rest: a slower clock keeps the helpline's and the database's real milliseconds
#: (SPEED/1000 simulated seconds each) out of what is measured.
MEASURING_SPEED = 25.0
#: Of a two-minute rest, what is played on Twilio's clock at MEASURING_SPEED: the helpline's clock
#: skips the rest of it once the miss is recorded (the whole rest took 5 s of the wall's time).
REST_PLAYED = 20
#: A professional who presses 1 and talks 5 s, where the simulator's person talks a minute.
BRIEF_PERSON = dataclasses.replace(PHONES["person"], talks_for=5)


# -- Twilio in software, and what it saw -------------------------------------------------------------
class Twilio(SimTwilio):
    """The simulator, whose REST Member update (taking a caller out of the queue) a test may hold
    back for a moment, as a slow Twilio would: `dequeues.clear()`, then `dequeues.set()`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dequeues = threading.Event()
        self.dequeues.set()

    def rest_app(self):
        app = super().rest_app()

        @app.before_request
        def slow_dequeue():
            if "/Members/" in request.path:
                self.dequeues.wait(timeout=4)       # within the helpline's REST timeout (5 s)
        return app


#: For tests whose phones must answer within a connect step's 20 s ring: at SPEED a loaded machine's
#: latency can end that ring first, and a phone is rung again on hold.
SLOWER = pytest.mark.parametrize("twilio", [20.0], ids=["20x"], indirect=True)


@pytest.fixture
def twilio(request):
    """Twilio in software from Wednesday 10:00 New York, SPEED times faster than the wall clock (or
    as a test asks: SLOWER); the professionals' phones are people who press 1 unless a test says
    otherwise."""
    sim = simulated_twilio(getattr(request, "param", SPEED), WEDNESDAY_10AM, Twilio)
    yield sim
    sim.stop()


@pytest.fixture
def start_line(make_app, serve, twilio, flows_dir):
    """Serve a helpline on `database_url` (SQLite by default) whose clock is the simulator's;
    `roster`: text appended to the test's copy of the demo roster.yaml before it starts."""
    started = []

    def start(database_url: str | None = None, roster: str = "") -> Line:
        if roster:
            path = flows_dir / "roster.yaml"
            path.write_text(path.read_text(encoding="utf-8") + roster, encoding="utf-8")
        app = make_app(flows_check_seconds=0, audio_dir=AUDIO,
                       **({"database_url": database_url} if database_url else {}))
        clock = app.extensions["ivr"].clock = AppClock(twilio.clock)
        started.append(app)
        return Line(app, serve(app).url, twilio, clock)

    yield start
    twilio.stop()                # every phone hangs up while the helpline is still there to hear it
    for app in started:
        app.extensions["ivr"].close()
        app.extensions["ivr"].database.dispose()


@dataclass(frozen=True)
class Leg:
    """One professional's phone rung for a caller: the REST request that placed it, and its CallSid."""
    number: str
    offer: str
    sid: str
    params: dict


def query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def legs(twilio) -> list:
    """Every leg call control placed, in the order it asked Twilio for them."""
    placed = []
    for method, path, params in list(twilio.requests):
        if method == "POST" and path == f"{API}/Calls.json":
            sid = next((c.sid for c in list(twilio.calls.values()) if c.url == params["Url"][0]), None)
            if sid is None:
                continue        # asked for a moment ago: the simulator has not made the call yet
            placed.append(Leg(params["To"][0], query(params["Url"][0])["offer"], sid, params))
    return placed


def leg_to(twilio, number: str) -> Leg:
    [leg] = [leg for leg in legs(twilio) if leg.number == number]
    return leg


def updates_of(twilio, leg: Leg) -> list:
    """What call control asked Twilio to do to this leg (REST Update a Call), in order."""
    return [params for method, path, params in list(twilio.requests)
            if method == "POST" and path == f"{API}/Calls/{leg.sid}.json"]


def answers_to(twilio, route: str, leg: Leg) -> list:
    """The TwiML the helpline answered on `route` (offer, offer-answer) for this leg: what its phone heard."""
    return [parse_twiml(body) for url, params, status, body in list(twilio.helpline.exchanges)
            if urlsplit(url).path == f"/voice/{route}" and query(url).get("offer") == leg.offer and status == 200]


def posted(twilio, route: str, leg: Leg) -> list:
    """The parameters of every request Twilio made on `route` for this leg."""
    return [params for url, params, status, body in list(twilio.helpline.exchanges)
            if urlsplit(url).path == f"/voice/{route}" and query(url).get("offer") == leg.offer]


def quiet(twilio, still: float = 0.3, at_most: float = 5.0) -> int:
    """How many REST requests Twilio has had, once none has come for `still` seconds (what call
    control does off a request's thread — stopping phones — has then been done)."""
    deadline, count = time.monotonic() + at_most, len(twilio.requests)
    while time.monotonic() < deadline:
        time.sleep(still)
        if len(twilio.requests) == count:
            return count
        count = len(twilio.requests)
    return count


def leg_params(leg: Leg, **extra) -> dict:
    """What Twilio sends on a webhook of a professional's REST-placed leg."""
    return {"CallSid": leg.sid, "AccountSid": ACCOUNT_SID, "From": HELPLINE, "To": leg.number,
            "CallStatus": "in-progress", "Direction": "outbound-api", "ApiVersion": "2010-04-01", **extra}


# -- a caller -----------------------------------------------------------------------------------------
def talked_in(caller: Phone) -> list:
    return [h.text for h in caller.heard if h.kind == "talk"]


def press_0(line: Line, language: str, call_sid: str) -> ET.Element:
    """Twilio posts a caller's 0 at the main menu (their call exists at Twilio, so it can be moved)."""
    line.twilio.incoming_call(call_sid, CALLER, HELPLINE)
    response = signed_post(f"{line.url}/voice/step?at=main:main-menu&lang={language}&tries=0",
                           call_params(call_sid, Digits="0"))
    assert response.status_code == 200, response.text
    return parse_twiml(response.text)


def sid(n: int) -> str:
    return f"CA{n:032x}"


def prompt(line: Line, name: str, language: str) -> str:
    return line.ivr.flows.current().prompts[("main", name)].text(language)


def message(line: Line, name: str, language: str) -> str:
    return compose(line.ivr.flows.current().messages[name], language)


# -- who a caller's 0 rings ----------------------------------------------------------------------------
@pytest.mark.parametrize("database_url, language", [("sqlite", "en"), ("postgresql", "es")], indirect=["database_url"])
def test_a_caller_pressing_0_rings_the_professionals_on_shift_who_speak_their_language_with_a_whisper_in_it(
        database_url, start_line, language):
    line = start_line(database_url)

    caller = call(line, LANGUAGE_KEY[language], "0")

    assert sorted(line.twilio.phones.numbers()) == sorted(SPEAKERS[language])     # each rung once
    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]
    whispers = [answer for leg in legs(line.twilio) for answer in answers_to(line.twilio, "offer", leg)
                if answer.find("Gather") is not None]         # (a phone answered after the call was taken hears so)
    assert whispers                                           # at least the one who took the call heard it
    for whisper in whispers:
        gather = whisper.find("Gather")
        assert spoken(gather)[0] == WHISPER[language]
        assert gather.get("numDigits") == "1" and whisper[-1].tag == "Hangup"


def test_professionals_who_texted_off_or_are_in_another_team_are_not_rung(start_line):
    line = start_line(roster="""\
  - name: Dana Lee
    phone: "+1 202 555 0120"
    languages: [en]
    teams: [youth]
    timezone: America/New_York
    shifts: {mon-fri: "06:00-14:00"}
""")
    line.twilio.default_phone = "no-answer"
    text_helpline(line, BEN, "OFF")

    press_0(line, "en", sid(1))

    assert wait_for(lambda: len(legs(line.twilio)) == 2)
    time.sleep(0.1)                                     # time for any other phone to start ringing
    assert sorted(line.twilio.phones.numbers()) == sorted([ANA, MARISOL])


@pytest.mark.parametrize("language, asks", [("en", "0"), ("es", "say:creo que tuvo una sobredosis")],
                         ids=["en-pressing-0", "es-saying-a-crisis-word"])
def test_when_everyone_on_shift_has_texted_off_a_caller_goes_straight_to_the_hold_with_its_choices(
        start_line, language, asks):
    line = start_line()
    for number in (ANA, MARISOL, BEN):
        text_helpline(line, number, "OFF")

    caller = call(line, LANGUAGE_KEY[language], asks, on_hold=lambda heard: None)

    said = [h.text for h in caller.heard if h.kind == "say"]
    asked = said.index(prompt(line, "main-menu-choices", language)) + 1
    # Why nobody is free: they are all away — not "with other callers".
    expected = [prompt(line, "on-hold", language), message(line, "hold-not-answering", language),
                PLACE_IN_LINE[language], prompt(line, "on-hold-choices", language)]
    if asks.startswith("say:"):
        expected.insert(0, prompt(line, "emergency-now", language))     # 911 and 988 first, even so
    assert said[asked:] == expected, transcript(caller)                 # never "connecting you" to nobody
    assert line.twilio.phones.rang == []


def test_with_the_database_down_a_caller_asking_for_a_person_reaches_the_partner_line_and_leg_callbacks_are_retried(
        start_line):
    line = start_line(UNREACHABLE_DATABASE)

    asked = press_0(line, "en", sid(1))

    assert [dial.text for dial in asked.iter("Dial")] == [BACKUP_LINE]
    assert any("911" in text for text in spoken(asked))
    assert line.twilio.phones.rang == []
    leg = Leg(ANA, "0" * 32, sid(2), {})
    late_callback = signed_post(f"{line.url}/voice/offer-status?offer={leg.offer}",
                                leg_params(leg, CallStatus="completed"))
    assert late_callback.status_code == 503                              # Twilio is asked to try again
    key = signed_post(f"{line.url}/voice/offer-answer?offer={leg.offer}", leg_params(leg, Digits="1"))
    assert [verb.tag for verb in parse_twiml(key.text)][-1] == "Hangup"   # their phone is let go, not left hanging


# -- the REST requests --------------------------------------------------------------------------------
@SLOWER
def test_each_phone_is_rung_by_one_rest_request_from_the_number_the_caller_dialled_and_the_others_are_stopped(
        database_url, start_line):
    line = start_line(database_url)
    twilio = line.twilio
    twilio.phones.update({MARISOL: "no-answer", BEN: "no-answer"})
    caller, talk = call_in_background(line, "1", "0")

    assert wait_for(lambda: any(c.talked for c in list(twilio.conferences.values())), timeout=10)
    others = [leg_to(twilio, MARISOL), leg_to(twilio, BEN)]
    assert wait_for(lambda: all(twilio.calls[leg.sid].status in FINAL for leg in others))
    time.sleep(0.05)                                    # a 'completed' may follow each 'canceled'
    seen = list(twilio.requests)
    talk.result(timeout=30)

    offers = {row.professional_id: row.id for row in line.ivr.offers.for_caller(caller.call_sid, live_only=False)}
    created = [(path, params) for method, path, params in seen if path.endswith("/Calls.json")]
    assert len(created) == 3
    for path, params in created:
        offer = offers[IDS[params["To"][0]]]
        assert (path, params) == (f"{API}/Calls.json", {
            "To": params["To"], "From": [HELPLINE], "Url": [f"{line.url}/voice/offer?offer={offer}"],
            "Method": ["POST"], "FallbackUrl": [f"{line.url}/voice/leg-fallback?offer={offer}&lang=en"],
            "FallbackMethod": ["POST"], "StatusCallback": [f"{line.url}/voice/offer-status?offer={offer}{RETRY_ON_FAILURE}"],
            "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
            "StatusCallbackMethod": ["POST"], "Timeout": ["20"]})
    assert sorted(params["To"][0] for _, params in created) == sorted([ANA, MARISOL, BEN])
    queue = twilio.queues["helpline-recovery-en"]
    dequeued = [(m, p, params) for m, p, params in seen if "/Queues/" in p]
    assert dequeued == [("POST", f"{API}/Queues/{queue.sid}/Members/{caller.call_sid}.json",
                         {"Url": [f"{line.url}/voice/bridge?at=main:talk-to-someone&lang=en&tries=0"],
                          "Method": ["POST"]})]
    ana = leg_to(twilio, ANA)
    stopped = [(p, params) for m, p, params in seen if m == "POST" and "/Calls/" in p]
    assert [p for p, _ in stopped if p == f"{API}/Calls/{ana.sid}.json"] == []       # the one talking: untouched
    for leg in others:
        statuses = [params for p, params in stopped if p == f"{API}/Calls/{leg.sid}.json"]
        if not statuses:
            # At the test's 100x speed a phone rings out in 0.2 s: on a loaded machine it may do so
            # before Ana's 1 lands, and then there is nothing to stop.
            assert twilio.calls[leg.sid].status == "no-answer", (leg, twilio.calls[leg.sid].status)
            continue
        assert statuses[0] == {"Status": ["canceled"]}
        assert statuses[1:] in ([], [{"Status": ["completed"]}])
    posts = [request for request in seen if request[0] == "POST"]
    assert len(posts) == len(created) + len(dequeued) + len(stopped)       # nobody else rung, moved or stopped
    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]


@pytest.mark.parametrize("roster, shown", [("", HELPLINE), ('caller_id: "+1 202 555 0199"\n', "+12025550199")],
                         ids=["the-dialled-number", "the-roster-caller-id"])
def test_professionals_phones_show_the_helpline_never_the_caller(start_line, roster, shown):
    line = start_line(roster=roster)
    line.twilio.default_phone = "no-answer"

    press_0(line, "es", sid(1))

    assert wait_for(lambda: len(legs(line.twilio)) == 2)
    for leg in legs(line.twilio):
        assert leg.params["From"] == [shown] and CALLER not in leg.params["From"]
        assert "MachineDetection" not in leg.params


# -- voicemail boxes, machines and the first to press 1 -----------------------------------------------
@pytest.mark.parametrize("database_url, detection", [("sqlite", False), ("postgresql", True)],
                         indirect=["database_url"],
                         ids=["sqlite-without-detection", "postgresql-with-machine-detection"])
def test_a_voicemail_box_among_three_never_takes_the_call_nor_stops_the_others_and_a_person_pressing_1_does(
        database_url, start_line, flows_dir, detection, twilio):
    twilio.clock.speed = MEASURING_SPEED       # who answers first is a matter of seconds: keep them apart
    if detection:
        roster = flows_dir / "roster.yaml"
        roster.write_text(roster.read_text(encoding="utf-8").replace(
            "ringing:\n", "ringing:\n  machine_detection: true\n"), encoding="utf-8")
    line = start_line(database_url)
    assert line.ivr.roster.current().ringing.machine_detection is detection
    twilio = line.twilio
    twilio.phones.update({ANA: "voicemail", MARISOL: "slow-person", BEN: BRIEF_PERSON})

    caller = call(line, "1", "0")

    ana, marisol, ben = leg_to(twilio, ANA), leg_to(twilio, MARISOL), leg_to(twilio, BEN)
    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]
    # Ben's phone rang on after the voicemail box answered: he heard the whisper, pressed 1, talked.
    assert spoken(answers_to(twilio, "offer", ben)[0])[0] == WHISPER["en"]
    [took] = answers_to(twilio, "offer-answer", ben)
    assert spoken(took) == ["Connecting you now."]
    assert took.find("Dial/Conference").text == f"helpline-{caller.call_sid}"
    assert posted(twilio, "offer-answer", ana) == []                  # the voicemail box never pressed a key
    assert updates_of(twilio, marisol)[0] == {"Status": ["canceled"]}   # Ben's 1 stopped Marisol's phone
    for leg in (ana, marisol, ben):
        assert ("MachineDetection" in leg.params) is detection
    [answered] = answers_to(twilio, "offer", ana)
    if detection:
        assert posted(twilio, "offer", ana)[0]["AnsweredBy"] == "machine_start"
        assert [verb.tag for verb in answered] == ["Hangup"]            # hung up without the whisper
        assert updates_of(twilio, ana) == []                           # it was over before Ben pressed 1
    else:
        assert spoken(answered)[0] == WHISPER["en"]                   # left on the voicemail, unanswered
    # Ben's leg ends as the talk does (its last callback may still be on its way).
    assert wait_for(lambda: [row.state for row in line.ivr.offers.for_caller(caller.call_sid, live_only=False)
                             if row.professional_id == "ben-carter"] == ["ended"])


def test_the_first_to_press_1_takes_the_caller_and_a_later_press_hears_that_a_colleague_has_taken_it(
        database_url, start_line):
    line = start_line(database_url)
    twilio = line.twilio
    twilio.phones.update({ANA: "person", BEN: "silent", MARISOL: "no-answer"})
    caller, talk = call_in_background(line, "1", "0")
    assert wait_for(lambda: any(c.talked for c in list(twilio.conferences.values())), timeout=10)
    ben = leg_to(twilio, BEN)
    assert wait_for(lambda: updates_of(twilio, ben))                 # Ana's 1 stopped Ben's phone

    # Ben pressed 1 too, a moment after Ana: Twilio posts his key while the caller talks with her.
    late = signed_post(f"{line.url}/voice/offer-answer?offer={ben.offer}", leg_params(ben, Digits="1"))

    assert not talk.done()                                           # the caller is still talking with Ana
    assert late.status_code == 200
    late_answer = parse_twiml(late.text)
    assert spoken(late_answer) == [TAKEN]
    assert [verb.tag for verb in late_answer] == ["Say", "Hangup"]
    talk.result(timeout=30)
    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]
    [took] = answers_to(twilio, "offer-answer", leg_to(twilio, ANA))
    assert took.find("Dial/Conference").text == f"helpline-{caller.call_sid}"
    assert len([p for _, p, _ in twilio.requests if "/Queues/" in p]) == 1     # the caller was moved once


def test_a_caller_whose_hold_page_lets_them_go_before_twilio_moves_them_still_talks_with_who_took_them(
        database_url, start_line):
    """Ana's 1 marks the caller taken, and call control asks Twilio to move them out of the queue;
    meanwhile their hold page, asked again, sees them taken and lets them <Leave/> to the queue's
    action. Twilio then answers the REST move with 404 (no longer a member): the caller is still
    on the line, on their way to the conference."""
    line = start_line(database_url)
    twilio = line.twilio
    twilio.phones.update({ANA: "person", MARISOL: "no-answer", BEN: "no-answer"})
    twilio.dequeues.clear()
    caller, talk = call_in_background(line, "1", "0")
    room = f"helpline-{caller.call_sid}"
    assert wait_for(lambda: any("/Members/" in path for _, path, _ in list(twilio.requests)), timeout=10)
    assert wait_for(lambda: talked_in(caller) == [room])      # the queue's action put them in the conference

    twilio.dequeues.set()

    ana = leg_to(twilio, ANA)
    assert wait_for(lambda: answers_to(twilio, "offer-answer", ana))
    together = wait_for(lambda: twilio.conferences[room].talked)
    if not together:
        twilio.conferences[room].over.set()               # alone in silence, the caller gives up
    talk.result(timeout=30)
    [answer] = answers_to(twilio, "offer-answer", ana)
    assert spoken(answer) == ["Connecting you now."], spoken(answer)
    assert answer.find("Dial/Conference").text == room
    assert together


def test_three_professionals_pressing_1_at_once_only_one_talks_with_the_caller_and_all_are_free_after(start_line):
    line = start_line()
    twilio = line.twilio

    caller = call(line, "1", "0")

    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]
    took = [leg for leg in legs(twilio) if any(answer.find("Dial/Conference") is not None
                                              for answer in answers_to(twilio, "offer-answer", leg))]
    assert len(took) == 1
    for leg in legs(twilio):
        if leg not in took:
            for answer in answers_to(twilio, "offer-answer", leg):
                assert answer.find("Dial") is None and answer[-1].tag == "Hangup"
    assert wait_for(lambda: not line.ivr.presence.snapshot(line.clock()).busy)


@SLOWER
def test_a_professional_who_presses_another_key_lets_the_caller_go_on_to_someone_else(start_line):
    line = start_line()
    twilio = line.twilio
    twilio.phones.update({ANA: "declines", MARISOL: "person"})

    caller = call(line, "2", "0")

    # Her first leg (on a loaded machine a later round may ring her again before Marisol's 1 lands).
    ana = [leg for leg in legs(twilio) if leg.number == ANA][0]
    assert posted(twilio, "offer-answer", ana)[0]["Digits"] == "2"
    [declined] = answers_to(twilio, "offer-answer", ana)
    assert [verb.tag for verb in declined] == ["Hangup"]
    [took] = answers_to(twilio, "offer-answer", leg_to(twilio, MARISOL))      # her phone rang on
    assert took.find("Dial/Conference").text == f"helpline-{caller.call_sid}"
    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]


# -- busy, resting, free --------------------------------------------------------------------------------
@pytest.mark.parametrize("phone", ["no-answer", "busy", "silent"],
                         ids=["rings-out", "busy", "answers-and-presses-nothing"])
def test_a_professional_who_misses_a_call_rests_two_minutes_then_is_rung_again(start_line, phone, twilio):
    twilio.clock.speed = MEASURING_SPEED
    line = start_line()
    twilio = line.twilio
    twilio.phones[ANA] = phone
    text_helpline(line, MARISOL, "OFF")                 # Ana is the only Spanish speaker left
    skipped = []

    def on_hold(heard):
        placed = legs(twilio)
        offer = line.ivr.offers.get(placed[0].offer) if placed else None
        if not skipped and offer is not None and offer.state == "missed":
            # The helpline has her miss: its clock moves on through her rest but the last
            # REST_PLAYED s, which pass on Twilio's clock with the caller on hold.
            since = twilio.clock.seconds() - twilio.calls[placed[0].sid].ended
            skipped.append(max(0.0, MISSED_REST - REST_PLAYED - since))
            line.clock.move_on(skipped[0])
        return None if twilio.phones.numbers().count(ANA) >= 2 else ""
    call(line, "2", "0", on_hold=on_hold)

    (_, first), (_, second) = [ring for ring in twilio.phones.rang if ring[0] == ANA][:2]
    missed_at = twilio.calls[legs(twilio)[0].sid].ended
    assert missed_at - first <= 25
    assert len(skipped) == 1
    # Her rest as the helpline's clock had it: Twilio's seconds, plus those it moved on after the miss.
    rested = second - missed_at + skipped[0]
    assert MISSED_REST <= rested <= MISSED_REST + HOLD_PAGE + SLACK      # the first hold page after
    assert set(twilio.phones.numbers()) == {ANA}


@SLOWER
def test_the_others_rung_with_them_are_rung_for_the_next_caller_at_once_and_the_one_talking_is_not(start_line):
    line = start_line()
    twilio = line.twilio
    twilio.phones.update({ANA: "person", MARISOL: "no-answer", BEN: "no-answer"})
    first, talk = call_in_background(line, "1", "0")
    assert wait_for(lambda: any(c.talked for c in list(twilio.conferences.values())), timeout=10)
    assert wait_for(lambda: all(updates_of(twilio, leg_to(twilio, n)) for n in (MARISOL, BEN)))
    stopped_at = twilio.clock.seconds()

    press_0(line, "en", sid(2))

    assert wait_for(lambda: len(twilio.phones.rang) == 5)
    second_round = twilio.phones.rang[3:]
    assert sorted(number for number, _ in second_round) == sorted([MARISOL, BEN])
    assert all(at - stopped_at < 30 for _, at in second_round)           # no rest after a stopped phone
    talk.result(timeout=30)


def test_a_late_ringing_a_repeated_completed_and_a_replayed_key_after_the_talk_change_nothing(start_line):
    line = start_line()
    twilio = line.twilio
    twilio.phones.update({ANA: "person", MARISOL: "no-answer", BEN: "no-answer"})
    caller = call(line, "1", "0")
    ana = leg_to(twilio, ANA)
    assert wait_for(lambda: "ana-rivera" in line.ivr.presence.snapshot(line.clock()).idle_since)
    free_since = line.ivr.presence.snapshot(line.clock()).idle_since["ana-rivera"]
    requests_before = quiet(twilio)       # the caller's end may still be stopping her leg, off its request
    line.clock.move_on(60)

    # Twilio retries the end of her leg, a progress event arrives late, and her key is replayed.
    for status in ("completed", "ringing", "completed"):
        response = signed_post(f"{line.url}/voice/offer-status?offer={ana.offer}", leg_params(ana, CallStatus=status))
        assert response.status_code == 204
    replayed = signed_post(f"{line.url}/voice/offer-answer?offer={ana.offer}", leg_params(ana, Digits="1"))

    assert [verb.tag for verb in parse_twiml(replayed.text)][-1] == "Hangup"
    assert parse_twiml(replayed.text).find("Dial") is None
    assert twilio.requests[requests_before:] == []                  # nobody moved, nothing stopped
    presence = line.ivr.presence.snapshot(line.clock())
    assert "ana-rivera" not in presence.busy
    assert presence.idle_since["ana-rivera"] == free_since          # free since her talk ended, not since the retry
    assert line.ivr.presence.status("ana-rivera") == {"away": False, "on_a_call": False}
    press_0(line, "en", sid(2))
    assert wait_for(lambda: twilio.phones.numbers().count(ANA) == 2)
    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]


def test_with_callbacks_retried_and_late_a_caller_gets_one_professional_and_everyone_is_free_after(
        database_url, start_line):
    line = start_line(database_url)
    twilio = line.twilio
    twilio.callbacks = "retried-and-late"

    caller = call(line, "1", "0")

    assert talked_in(caller) == [f"helpline-{caller.call_sid}"]
    took = [leg for leg in legs(twilio) if any(answer.find("Dial/Conference") is not None
                                              for answer in answers_to(twilio, "offer-answer", leg))]
    assert len(took) == 1
    time.sleep(0.1)                                   # the late progress events arrive (3 simulated s at most)
    assert wait_for(lambda: not line.ivr.offers.live())
    assert line.ivr.presence.snapshot(line.clock()).busy == frozenset()
    twilio.default_phone = "no-answer"
    press_0(line, "en", sid(2))
    assert wait_for(lambda: len(twilio.phones.rang) == 6)
    assert sorted(twilio.phones.numbers()[3:]) == sorted([ANA, MARISOL, BEN])


# -- longest-idle: one person at a time --------------------------------------------------------------
LONGEST_IDLE_ROSTER = """\
timezone: America/New_York
backup_line: {name: Partner line, number: "+18006624357", languages: [en, es]}
ringing: {strategy: longest-idle, attempts: 2}
professionals:
  - {name: Ana Rivera, phone: "+1 202 555 0101", languages: [en, es], shifts: {mon-fri: "06:00-14:00"}}
  - {name: Ben Carter, phone: "+1 202 555 0103", languages: [en], shifts: {mon-fri: "06:00-14:00"}}
  - {name: Carmen Díaz, phone: "+1 202 555 0104", languages: [en, es], shifts: {mon-fri: "06:00-14:00"}}
"""


def test_longest_idle_rings_the_longest_idle_alone_then_the_next_then_puts_the_caller_on_hold(
        start_line, flows_dir):
    (flows_dir / "roster.yaml").write_text(LONGEST_IDLE_ROSTER, encoding="utf-8")
    line = start_line()
    twilio = line.twilio
    twilio.default_phone = "no-answer"
    offers = line.ivr.offers
    # Their last helpline calls ended 60 (Ben), 30 (Carmen) and 5 (Ana) minutes ago.
    for n, (person, ago) in enumerate((("ben-carter", 60), ("carmen-diaz", 30), ("ana-rivera", 5))):
        ended = WEDNESDAY_10AM - datetime.timedelta(minutes=ago)
        offer = offers.claim(sid(100 + n), 1, person, ended - datetime.timedelta(minutes=10))
        assert offers.move(offer, "accepted", ended - datetime.timedelta(minutes=10))
        assert offers.move(offer, "ended", ended)

    caller = call(line, "1", "0", on_hold=lambda heard: None if prompt(line, "on-hold", "en") in
                  [h.text for h in heard] else "")

    (first, rang_first), (second, rang_second) = twilio.phones.rang[:2]
    assert (first, second) == (BEN, CARMEN)
    first_leg = legs(twilio)[0]
    assert twilio.calls[first_leg.sid].ended <= rang_second          # one at a time
    assert first_leg.params["Timeout"] == ["20"]
    said = [h.text for h in caller.heard if h.kind == "say"]
    assert said.index(prompt(line, "connecting", "en")) < said.index(prompt(line, "on-hold", "en"))
    # Ana, idle the shortest, is tried only once the connect step's two attempts are over.
    assert all(at >= twilio.calls[legs(twilio)[1].sid].ended for number, at in twilio.phones.rang if number == ANA)


# -- a leg whose last callback never came ------------------------------------------------------------
@SLOWER
def test_a_talk_whose_completed_callback_never_arrives_is_settled_by_asking_twilio_and_they_are_rung_again(
        database_url, start_line):
    line = start_line(database_url)
    twilio = line.twilio
    twilio.phones.update({ANA: "person", MARISOL: "no-answer", BEN: "no-answer"})
    caller, talk = call_in_background(line, "1", "0")
    assert wait_for(lambda: any(c.talked for c in list(twilio.conferences.values())), timeout=10)
    ana = leg_to(twilio, ANA)
    twilio.calls[ana.sid].status_callback = ""         # the end of her talk is lost on its way,
    posted = twilio.helpline.post                      # and so is her <Dial>'s action (offer-done)
    twilio.helpline.post = lambda url, params: (0, "") if "/voice/offer-done" in url else posted(url, params)
    talk.result(timeout=30)
    assert wait_for(lambda: twilio.calls[ana.sid].status == "completed")
    assert line.ivr.presence.status("ana-rivera")["on_a_call"]         # as far as the helpline knows

    line.clock.move_on(line.ivr.roster.current().ringing.check_after_minutes * 60 + 1)
    press_0(line, "en", sid(2))

    assert wait_for(lambda: ("GET", f"{API}/Calls/{ana.sid}.json", {}) in twilio.requests)
    assert wait_for(lambda: twilio.phones.numbers().count(ANA) == 2)   # free again, rung for the next caller
    assert line.ivr.presence.status("ana-rivera") == {"away": False, "on_a_call": False}


def test_a_ringing_leg_whose_last_callback_never_arrives_is_settled_by_asking_twilio_and_the_caller_moves_on(
        start_line):
    line = start_line()
    twilio = line.twilio
    twilio.default_phone = "no-answer"
    text_helpline(line, MARISOL, "OFF")
    press_0(line, "es", sid(1))
    queue = twilio.enqueue(twilio.calls[sid(1)], "helpline-recovery-es")      # the caller's <Enqueue>

    def hold_page() -> ET.Element:
        """Twilio asks the hold page (the waitUrl) again, as it does whenever the last one ends."""
        response = signed_post(f"{line.url}/voice/hold?at=main:talk-to-someone&lang=es&tries=0",
                               call_params(sid(1), **twilio.queue_params(twilio.calls[sid(1)], queue)))
        return parse_twiml(response.text)
    assert wait_for(lambda: len(legs(twilio)) == 1)
    ana = legs(twilio)[0]
    twilio.calls[ana.sid].status_callback = ""         # from now on Twilio's callbacks for her leg are lost
    assert wait_for(lambda: twilio.calls[ana.sid].status == "no-answer")
    assert hold_page().find("Leave") is None           # as far as the helpline knows, her phone still rings

    line.clock.move_on(LONGEST_RING + 1)
    line.ivr.control.reconcile(line.clock())            # what its next look at the line does

    assert wait_for(lambda: ("GET", f"{API}/Calls/{ana.sid}.json", {}) in twilio.requests)
    assert wait_for(lambda: hold_page().find("Leave") is not None)      # nobody rings now: on to the hold
    assert "ana-rivera" in line.ivr.presence.snapshot(line.clock()).busy   # she let it ring out: she rests
