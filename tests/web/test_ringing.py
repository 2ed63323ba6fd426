"""Ringing professionals, driven the way Twilio drives it: who a caller's 0 rings, the whisper that
lets a professional take the call, the leg callbacks that keep them busy or free, and one person at a
time for the longest-idle strategy — on a SQLite file and on a real PostgreSQL."""
from __future__ import annotations

import datetime
import uuid
import xml.etree.ElementTree as ET
import zoneinfo
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from ivr import engine
from ivr.flow import model
from ivr.store.database import open_database
from ivr.store.presence import PresenceStore
from like_twilio import call_params, client_post, dialed_numbers, parse_twiml, signed_post, spoken

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
#: Wednesday 10:00 in New York (15:00 UTC, as the helpline's own clock gives it). On the demo roster,
#: Ana Rivera (en, es), Marisol Peña (es, en) and Ben Carter (en) are on shift, and nobody else.
WEDNESDAY_10AM = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK).astimezone(datetime.timezone.utc)
ANA, MARISOL, BEN, CARMEN = "+12025550101", "+12025550102", "+12025550103", "+12025550104"
SPANISH_SPEAKERS = {ANA: "ana-rivera", MARISOL: "marisol-pena"}
ENGLISH_SPEAKERS = {ANA: "ana-rivera", MARISOL: "marisol-pena", BEN: "ben-carter"}
#: What a professional's phone hears first, by the caller's language.
WHISPER = {"en": "Helpline call in English. Press 1 to take it.", "es": "Helpline call in Spanish. Press 1 to take it."}
VOICEMAIL = {"en": "voicemail", "es": "mensaje de voz"}

#: A team of our own, on shift Monday to Friday 06:00-14:00 New York time; `ringing` goes in between.
ROSTER_TOP = """\
timezone: America/New_York
backup_line: {name: Partner line, number: "+18006624357", languages: [en, es]}
"""
ROSTER_PEOPLE = """\
professionals:
  - {name: Ana Rivera, phone: "+1 202 555 0101", languages: [en, es], shifts: {mon-fri: "06:00-14:00"}}
  - {name: Ben Carter, phone: "+1 202 555 0103", languages: [en], shifts: {mon-fri: "06:00-14:00"}}
  - {name: Carmen Díaz, phone: "+1 202 555 0104", languages: [en, es], shifts: {mon-fri: "06:00-14:00"}}
"""


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def new_sid() -> str:
    return "CA" + uuid.uuid4().hex


class Clock:
    def __init__(self, now: datetime.datetime):
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now


# -- what Twilio sends and reads -------------------------------------------------------------------
@dataclass(frozen=True)
class Ring:
    """One professional's phone ringing for a caller: a <Number> of the <Dial>, its URLs made absolute."""
    number: str
    professional: str       # the id the helpline wrote into the URLs
    whisper: str
    leg: str


@dataclass(frozen=True)
class Answer:
    """A TwiML document and the URL it answered (relative URLs in it are relative to that)."""
    url: str
    document: ET.Element

    @property
    def said(self) -> list:
        return spoken(self.document)

    @property
    def rings(self) -> list:
        rung = []
        for number in self.document.iter("Number"):
            whisper, leg = urljoin(self.url, number.get("url")), urljoin(self.url, number.get("statusCallback"))
            rung.append(Ring((number.text or "").strip(), query(whisper)["pro"], whisper, leg))
        return rung

    @property
    def numbers(self) -> list:
        return [ring.number for ring in self.rings]

    @property
    def dial_action(self) -> str:
        dial = self.document.find("Dial")
        assert dial is not None, ET.tostring(self.document, encoding="unicode")
        return urljoin(self.url, dial.get("action"))

    @property
    def tried(self) -> list:
        return query(self.dial_action).get("tried", "").split(".")


def query(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


class Twilio:
    """Posts to the helpline as Twilio does, every request signed: for the caller and for each
    professional's leg. `send(url, params)` -> (HTTP status, body)."""

    def __init__(self, base_url: str, send):
        self.base_url, self.send = base_url, send

    def post(self, url: str, params: dict) -> Answer:
        status, text = self.send(url, params)
        assert status == 200, (status, text)
        return Answer(url, parse_twiml(text))

    def at_main_menu(self, call_sid: str, language: str, **answer) -> Answer:
        url = f"{self.base_url}/voice/step?at=main:main-menu&lang={language}&tries=0"
        return self.post(url, call_params(call_sid, **answer))

    def press_0(self, call_sid: str, language: str) -> Answer:
        return self.at_main_menu(call_sid, language, Digits="0")

    def dial_ended(self, dialing: Answer, call_sid: str, outcome: str) -> Answer:
        return self.post(dialing.dial_action, call_params(call_sid, DialCallStatus=outcome))

    def whisper(self, ring: Ring, leg_sid: str) -> Answer:
        return self.post(ring.whisper, leg_params(ring, leg_sid))

    def press_at_whisper(self, ring: Ring, leg_sid: str, digits: str | None) -> Answer:
        """The professional hears the whisper and presses `digits` (None: no key; Twilio then posts
        nothing to the Gather's action, but a late or replayed post carries no Digits)."""
        gather = self.whisper(ring, leg_sid).document.find("Gather")
        url = urljoin(ring.whisper, gather.get("action"))
        return self.post(url, leg_params(ring, leg_sid, **({"Digits": digits} if digits is not None else {})))

    def leg_status(self, ring: Ring, leg_sid: str, status: str) -> int:
        code, _ = self.send(ring.leg, leg_params(ring, leg_sid, CallStatus=status))
        return code


def in_process(app) -> Twilio:
    """Twilio, through Flask's in-process client."""
    client = app.test_client()

    def send(url, params):
        response = client_post(client, url, params)
        return response.status_code, response.get_data(as_text=True)
    return Twilio("http://localhost", send)


def over_http(base_url: str) -> Twilio:
    """Twilio, over real HTTP to a served helpline."""
    def send(url, params):
        response = signed_post(url, params)
        return response.status_code, response.text
    return Twilio(base_url, send)


def leg_params(ring: Ring, leg_sid: str, **extra) -> dict:
    """What Twilio sends about the leg that rings a professional (a child of the caller's call)."""
    return {"AccountSid": "AC" + "0" * 32, "CallSid": leg_sid, "ParentCallSid": query(ring.whisper).get("call", ""),
            "From": "+18005550100", "To": ring.number, "Direction": "outbound-dial",
            "CallStatus": "in-progress", "ApiVersion": "2010-04-01", **extra}


# -- a helpline of the test's own ------------------------------------------------------------------
@pytest.fixture
def clock() -> Clock:
    return Clock(WEDNESDAY_10AM)


@pytest.fixture
def start_helpline(make_app, flows_dir, database_url, clock):
    """A helpline on `database_url` whose clock is `clock`; `roster`: roster.yaml to use instead of
    the demo one, written to the test's copy of flows/ before the app starts."""
    started = []

    def start(roster: str | None = None):
        if roster is not None:
            (flows_dir / "roster.yaml").write_text(roster, encoding="utf-8")
        app = make_app(database_url=database_url, flows_check_seconds=0)
        app.extensions["ivr"].clock = clock
        started.append(app)
        return app

    yield start
    for app in started:
        app.extensions["ivr"].database.dispose()


@pytest.fixture
def helpline(start_helpline):
    return start_helpline()


@pytest.fixture
def twilio(helpline) -> Twilio:
    return in_process(helpline)


def presence_now(app, clock):
    return app.extensions["ivr"].presence.snapshot(clock(), 180)


def when_nobody_answers(app, language: str):
    """(flows, the connect step a caller's 0 reaches, the step the flow names for when nobody answers)."""
    flows = app.extensions["ivr"].flows.current()
    connect = engine.advance(flows, engine.CallState(model.Ref("main", "main-menu"), language),
                             engine.Pressed("0"), WEDNESDAY_10AM).step
    assert isinstance(connect, model.Connect)
    return flows, connect, flows.step(connect.if_nobody_answers)


def assert_went_to_what_the_flow_does_when_nobody_answers(app, answer: Answer, language: str) -> None:
    flows, connect, nobody = when_nobody_answers(app, language)
    roster = {p.phone for p in app.extensions["ivr"].roster.current().professionals}
    assert not set(dialed_numbers(answer.document)) & roster          # no professional rings
    assert nobody.prompt.text(language) in answer.said
    assert connect.prompt.text(language) not in answer.said          # not "connecting you" to nobody
    # What it offers includes a voicemail (said in its prompt, or its offer while on hold).
    offered = " ".join(p.text(language) for p in (nobody.prompt, getattr(nobody, "offer", None)) if p)
    assert VOICEMAIL[language] in offered
    assert any(isinstance(flows.step(ref), model.Voicemail) for ref in nobody.exits() if ref)


# -- who a caller's 0 rings ---------------------------------------------------------------------
@pytest.mark.parametrize("language, speakers", [("es", SPANISH_SPEAKERS), ("en", ENGLISH_SPEAKERS)],
                         ids=["spanish", "english"])
def test_a_caller_pressing_0_rings_only_the_professionals_on_shift_who_speak_their_language(
        twilio, language, speakers):
    call = new_sid()

    answer = twilio.press_0(call, language)

    assert sorted(answer.numbers) == sorted(speakers)
    for ring in answer.rings:
        assert ring.professional == speakers[ring.number]
        assert query(ring.whisper) == {"pro": speakers[ring.number], "lang": language, "call": call}
        assert urlsplit(ring.whisper).path == "/voice/whisper"
        assert urlsplit(ring.leg).path == "/voice/leg"
        assert query(ring.leg) == {"pro": speakers[ring.number], "call": call}
    for number in answer.document.iter("Number"):
        assert number.get("method") == "POST" and number.get("statusCallbackMethod") == "POST"
        assert "completed" in number.get("statusCallbackEvent").split()
    assert sorted(answer.tried) == sorted(speakers.values())
    assert query(answer.dial_action)["at"] == "main:talk-to-someone"


# -- the whisper ----------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["es", "en"])
def test_the_whisper_names_the_callers_language_asks_for_1_and_hangs_up_when_no_key_is_pressed(twilio, language):
    ring = twilio.press_0(new_sid(), language).rings[0]

    whisper = twilio.whisper(ring, new_sid()).document

    assert [verb.tag for verb in whisper] == ["Gather", "Hangup"]
    gather = whisper.find("Gather")
    assert gather.get("numDigits") == "1"
    assert WHISPER[language] in spoken(gather)
    assert urlsplit(urljoin(ring.whisper, gather.get("action"))).path == "/voice/whisper-answer"


def test_pressing_1_at_the_whisper_bridges_the_call_and_marks_the_professional_busy(helpline, twilio, clock):
    ring = next(r for r in twilio.press_0(new_sid(), "es").rings if r.number == MARISOL)

    answer = twilio.press_at_whisper(ring, new_sid(), "1")

    assert answer.document.find("Hangup") is None       # the document ends: Twilio bridges the two calls
    assert presence_now(helpline, clock).busy == {"marisol-pena"}


@pytest.mark.parametrize("digits", ["2", "", None, "*"], ids=["key-2", "empty", "no-digits", "star"])
def test_any_other_answer_at_the_whisper_hangs_up_that_leg_and_leaves_them_free(helpline, twilio, clock, digits):
    ring = next(r for r in twilio.press_0(new_sid(), "es").rings if r.number == MARISOL)

    answer = twilio.press_at_whisper(ring, new_sid(), digits)

    assert [verb.tag for verb in answer.document] == ["Hangup"]
    assert presence_now(helpline, clock).busy == frozenset()
    assert MARISOL in twilio.press_0(new_sid(), "es").numbers


# -- the main walk-through, over real HTTP -------------------------------------------------------------
def test_a_spanish_caller_is_taken_by_one_professional_who_is_busy_until_their_leg_completes(
        start_helpline, serve, clock):
    app = start_helpline()
    twilio = over_http(serve(app).url)
    first_caller = new_sid()

    dialing = twilio.press_0(first_caller, "es")
    assert sorted(dialing.numbers) == sorted(SPANISH_SPEAKERS)
    marisol = next(r for r in dialing.rings if r.number == MARISOL)
    leg = new_sid()
    assert twilio.leg_status(marisol, leg, "ringing") == 204
    assert twilio.leg_status(marisol, leg, "in-progress") == 204
    whisper = twilio.whisper(marisol, leg)
    assert WHISPER["es"] in whisper.said and whisper.document[-1].tag == "Hangup"
    taken = twilio.press_at_whisper(marisol, leg, "1")
    assert taken.document.find("Hangup") is None

    clock.now += minutes(2)
    second = twilio.press_0(new_sid(), "es")
    assert second.numbers == [ANA]                       # Marisol is on a call
    assert second.tried == ["ana-rivera"]

    clock.now += minutes(10)
    assert twilio.leg_status(marisol, leg, "completed") == 204
    assert [v.tag for v in twilio.dial_ended(dialing, first_caller, "completed").document] == ["Hangup"]
    third = twilio.press_0(new_sid(), "es")
    assert third.numbers == [ANA, MARISOL]                # free again, and the one who waited longest first
    assert presence_now(app, clock).idle_since == {"marisol-pena": clock.now.timestamp()}


# -- presence from the legs -----------------------------------------------------------------------
def test_a_professional_who_took_a_call_is_not_rung_for_the_next_caller(twilio):
    ana = next(r for r in twilio.press_0(new_sid(), "en").rings if r.number == ANA)
    twilio.press_at_whisper(ana, new_sid(), "1")

    following = twilio.press_0(new_sid(), "en")

    assert sorted(following.numbers) == sorted([MARISOL, BEN])
    assert "ana-rivera" not in following.tried


def test_when_their_leg_completes_they_are_free_and_rung_last_having_been_idle_the_shortest(
        helpline, twilio, clock):
    before = twilio.press_0(new_sid(), "en")
    assert before.numbers == [ANA, BEN, MARISOL]          # nobody has had a call yet: by id
    ana, leg = next(r for r in before.rings if r.number == ANA), new_sid()
    twilio.press_at_whisper(ana, leg, "1")
    clock.now += minutes(15)

    assert twilio.leg_status(ana, leg, "completed") == 204

    assert twilio.press_0(new_sid(), "en").numbers == [BEN, MARISOL, ANA]
    assert presence_now(helpline, clock).idle_since == {"ana-rivera": clock.now.timestamp()}
    assert presence_now(helpline, clock).busy == frozenset()


def test_the_others_rung_with_them_are_rung_for_the_next_caller_once_their_legs_are_canceled(twilio, clock):
    """Everyone rings at once; Ana presses 1 and Twilio hangs up the other legs. Marisol and Ben
    did nothing wrong: the next caller rings them."""
    rings = twilio.press_0(new_sid(), "en").rings
    ana = next(r for r in rings if r.number == ANA)
    twilio.press_at_whisper(ana, new_sid(), "1")
    for other in rings:
        if other is not ana:
            assert twilio.leg_status(other, new_sid(), "canceled") == 204
    clock.now += minutes(1)

    assert twilio.press_0(new_sid(), "en").numbers == [BEN, MARISOL]


def test_a_completed_callback_sent_twice_frees_them_once_and_keeps_when_their_call_ended(helpline, twilio, clock):
    ana, leg = next(r for r in twilio.press_0(new_sid(), "en").rings if r.number == ANA), new_sid()
    twilio.press_at_whisper(ana, leg, "1")
    clock.now += minutes(20)
    ended = clock.now
    assert twilio.leg_status(ana, leg, "completed") == 204
    clock.now += minutes(1)                               # Twilio retried a minute later

    assert twilio.leg_status(ana, leg, "completed") == 204

    presence = presence_now(helpline, clock)
    assert presence.busy == frozenset()
    assert presence.idle_since == {"ana-rivera": ended.timestamp()}
    assert ANA in twilio.press_0(new_sid(), "en").numbers


def test_a_completed_callback_arriving_before_the_accept_leaves_them_free_and_does_not_bridge_a_dead_leg(
        helpline, twilio, clock):
    ana, leg = next(r for r in twilio.press_0(new_sid(), "en").rings if r.number == ANA), new_sid()
    assert twilio.leg_status(ana, leg, "completed") == 204
    clock.now += datetime.timedelta(seconds=1)

    late = twilio.press_at_whisper(ana, leg, "1")

    assert [verb.tag for verb in late.document] == ["Hangup"]
    # Not busy with that leg: rung again well before a busy mark would expire (180 minutes).
    clock.now += minutes(10)
    row = helpline.extensions["ivr"].presence.status("ana-rivera")
    assert row is None or row.busy_leg_sid is None
    assert ANA in twilio.press_0(new_sid(), "en").numbers


def test_a_repeated_accept_after_the_leg_completed_does_not_make_them_busy_again(helpline, twilio, clock):
    ana, leg = next(r for r in twilio.press_0(new_sid(), "en").rings if r.number == ANA), new_sid()
    twilio.press_at_whisper(ana, leg, "1")
    clock.now += minutes(5)
    twilio.leg_status(ana, leg, "completed")
    clock.now += minutes(1)

    replayed = twilio.press_at_whisper(ana, leg, "1")

    assert [verb.tag for verb in replayed.document] == ["Hangup"]
    assert presence_now(helpline, clock).busy == frozenset()
    assert ANA in twilio.press_0(new_sid(), "en").numbers


def test_a_busy_mark_older_than_busy_expires_minutes_no_longer_keeps_them_from_callers(start_helpline, clock):
    app = start_helpline(ROSTER_TOP + "ringing: {busy_expires_minutes: 30}\n" + ROSTER_PEOPLE)
    twilio = in_process(app)
    ana = next(r for r in twilio.press_0(new_sid(), "en").rings if r.number == ANA)
    twilio.press_at_whisper(ana, new_sid(), "1")          # ... and the leg's end never arrives

    clock.now = WEDNESDAY_10AM + minutes(29)
    assert ANA not in twilio.press_0(new_sid(), "en").numbers
    clock.now = WEDNESDAY_10AM + minutes(31)
    assert ANA in twilio.press_0(new_sid(), "en").numbers


def test_a_clock_in_new_york_time_keeps_a_professional_busy_just_as_a_utc_clock_does(helpline, twilio, clock):
    """The clock is any aware datetime; the store keeps UTC, so the zone it is given in changes nothing."""
    clock.now = WEDNESDAY_10AM.astimezone(NEW_YORK)
    ana = next(r for r in twilio.press_0(new_sid(), "en").rings if r.number == ANA)

    twilio.press_at_whisper(ana, new_sid(), "1")

    assert presence_now(helpline, clock).busy == {"ana-rivera"}
    assert ANA not in twilio.press_0(new_sid(), "en").numbers


# -- longest-idle: one person at a time ------------------------------------------------------------
def test_longest_idle_rings_the_longest_idle_alone_then_the_next_then_says_what_the_flow_does_when_nobody_answers(
        start_helpline, clock):
    app = start_helpline(ROSTER_TOP + "ringing: {strategy: longest-idle, attempts: 2}\n" + ROSTER_PEOPLE)
    twilio = in_process(app)
    store = app.extensions["ivr"].presence
    # Their last helpline calls ended 60 (Ben), 30 (Carmen) and 5 (Ana) minutes ago.
    for person, ago in (("ben-carter", 60), ("carmen-diaz", 30), ("ana-rivera", 5)):
        leg, earlier_call = new_sid(), new_sid()
        store.leg_accepted(person, leg, earlier_call, WEDNESDAY_10AM - minutes(ago + 10))
        store.leg_ended(person, leg, earlier_call, WEDNESDAY_10AM - minutes(ago))
    caller = new_sid()

    first = twilio.press_0(caller, "en")
    assert first.numbers == [BEN]
    assert first.tried == ["ben-carter"]
    twilio.leg_status(first.rings[0], new_sid(), "no-answer")

    second = twilio.dial_ended(first, caller, "no-answer")
    assert second.numbers == [CARMEN]
    assert second.tried == ["ben-carter", "carmen-diaz"]
    twilio.leg_status(second.rings[0], new_sid(), "no-answer")

    third = twilio.dial_ended(second, caller, "no-answer")   # two attempts: no third person
    assert_went_to_what_the_flow_does_when_nobody_answers(app, third, "en")


# -- nobody available --------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "es"])
def test_when_everyone_on_shift_is_away_a_caller_goes_straight_to_what_the_flow_does_when_nobody_answers(
        helpline, twilio, clock, language):
    for person in helpline.extensions["ivr"].roster.current().professionals:
        helpline.extensions["ivr"].presence.set_away(person.id, True, clock())

    answer = twilio.press_0(new_sid(), language)

    assert answer.rings == []
    assert_went_to_what_the_flow_does_when_nobody_answers(helpline, answer, language)


@pytest.mark.parametrize("language, words", [("en", "he overdosed"), ("es", "tuvo una sobredosis")])
def test_a_crisis_word_says_911_first_even_when_nobody_can_take_the_call(helpline, twilio, clock, language, words):
    for person in helpline.extensions["ivr"].roster.current().professionals:
        helpline.extensions["ivr"].presence.set_away(person.id, True, clock())

    answer = twilio.at_main_menu(new_sid(), language, SpeechResult=words, Confidence="0.9")

    assert "911" in answer.said[0]
    assert_went_to_what_the_flow_does_when_nobody_answers(helpline, answer, language)
    _, _, nobody = when_nobody_answers(helpline, language)
    assert answer.said.index(nobody.prompt.text(language)) > 0


# -- the database is down --------------------------------------------------------------------------
@pytest.fixture
def database_down(make_app, clock):
    """A helpline whose presence store points at a PostgreSQL that is not there."""
    app = make_app(flows_check_seconds=0)
    app.extensions["ivr"].clock = clock
    unreachable = open_database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app.extensions["ivr"].presence = PresenceStore(unreachable)
    yield app
    unreachable.dispose()
    app.extensions["ivr"].database.dispose()


@pytest.mark.parametrize("language, speakers", [("es", SPANISH_SPEAKERS), ("en", ENGLISH_SPEAKERS)],
                         ids=["spanish", "english"])
def test_with_the_database_down_a_caller_pressing_0_still_rings_the_people_on_shift_by_the_roster(
        database_down, language, speakers):
    answer = in_process(database_down).press_0(new_sid(), language)

    assert sorted(answer.numbers) == sorted(speakers)
    assert sorted(answer.tried) == sorted(speakers.values())


def test_with_the_database_down_a_professional_pressing_1_is_still_put_through(database_down):
    twilio = in_process(database_down)
    ring = twilio.press_0(new_sid(), "es").rings[0]

    answer = twilio.press_at_whisper(ring, new_sid(), "1")

    assert answer.document.find("Hangup") is None


def test_with_the_database_down_a_leg_callback_asks_twilio_to_try_again(database_down):
    twilio = in_process(database_down)
    ring = twilio.press_0(new_sid(), "es").rings[0]

    assert twilio.leg_status(ring, new_sid(), "completed") == 503
