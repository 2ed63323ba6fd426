"""Whole calls over real HTTP, from the first ring to the last word, as a caller, Twilio and the
professionals' phones make them (ivr.sim.phone and the simulator): a talk, nobody answering then a call
back, the backup line after the longest wait, a waiting caller offered the moment someone is free,
a Spanish caller, two callers in line, and the moment a professional accepts — on a SQLite file
and on a real PostgreSQL.

Time is the simulator's: SPEED simulated seconds pass each real second, for the helpline too."""
from __future__ import annotations

import datetime
import threading
import time
import uuid
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import request

from ivr.sim.phone import HttpTransport, Phone, scripted
from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from ivr.sim.webhooks import Helpline
from like_twilio import AUTH_TOKEN, BACKUP_LINE, CALLER, signed_post, wait_for

#: Wednesday 10:00 in New York: Ana Rivera (en, es), Marisol Peña (es, en) and Ben Carter (en) are
#: on shift on the demo roster, and nobody else.
WEDNESDAY_10AM = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=datetime.timezone.utc)
SPEED = 50
#: Measuring a wait: every real millisecond the helpline and the database take is SPEED/1000
#: simulated seconds, so a slower clock keeps their cost out of what is measured.
MEASURING_SPEED = 25
HELPLINE = "+18005550100"            # the number callers dial
ANOTHER_CALLER = "+15017122662"
ANA, MARISOL, BEN = "+12025550101", "+12025550102", "+12025550103"
ENGLISH, SPANISH = "1", "2"          # the keys of the language menu
RING_SECONDS = 20                    # roster.yaml, ringing: one round of ringing
KEYS_ON_HOLD = ("While you wait:", "Mientras espera:")


# -- what Twilio and the phones saw --------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """One webhook request and the helpline's answer: `asked` in real (monotonic) seconds, `at` in
    simulated seconds since the clock started."""
    asked: float
    at: float
    url: str
    params: dict
    body: str

    @property
    def route(self) -> str:
        return urlsplit(self.url).path

    @property
    def at_step(self) -> str:
        return parse_qs(urlsplit(self.url).query).get("at", [""])[0]

    def dialled(self) -> ET.Element | None:
        """The <Dial> of the answer, if it has one."""
        try:
            return ET.fromstring(self.body).find("Dial")
        except ET.ParseError:
            return None


class Webhooks(Helpline):
    """How Twilio reaches the helpline, keeping every answer with the moment it was asked for."""

    def __init__(self, clock: SimClock):
        super().__init__(HttpTransport(), AUTH_TOKEN)
        self.clock, self.answers = clock, []

    def post(self, url: str, params: dict) -> tuple:
        asked, at = time.monotonic(), self.clock.seconds()
        status, body = super().post(url, params)
        self.answers.append(Answer(asked, at, url, params, body))
        return status, body


class StampedRequests(list):
    """The simulator's REST log, each request also kept with the real moment it arrived."""

    def __init__(self):
        super().__init__()
        self.stamped = []

    def append(self, request) -> None:
        self.stamped.append((time.monotonic(), request))
        super().append(request)


@dataclass(frozen=True)
class Ring:
    """The helpline asked Twilio (POST Calls.json) to ring a professional for an offer."""
    asked: float
    to: str
    offer: str


def rings(sim, since: float = 0.0) -> list:
    found = []
    for moment, (method, path, form) in list(sim.requests.stamped):
        if method == "POST" and path.endswith("/Calls.json") and moment >= since:
            offer = parse_qs(urlsplit(form["Url"][0]).query)["offer"][0]
            found.append(Ring(moment, form["To"][0], offer))
    return found


def legs(sim) -> list:
    """The calls the helpline placed to professionals' phones."""
    return [call for call in list(sim.calls.values()) if call.direction == "outbound-api"]


def legs_in_a_conference(sim) -> set:
    """The professionals' legs the helpline ever put into a conference (a conversation)."""
    return {answer.params["CallSid"] for answer in list(sim.helpline.answers)
            if answer.params.get("Direction") == "outbound-api" and "<Conference" in answer.body}


def ended_by_the_helpline(sim) -> set:
    """The legs the helpline asked Twilio to end (POST Calls/<sid>.json with a Status)."""
    return {path.rsplit("/", 1)[-1].removesuffix(".json") for method, path, form in list(sim.requests)
            if method == "POST" and "/Calls/" in path and form.get("Status", [""])[0] in ("canceled", "completed")}


def hold_pages(sim, phone, step: str = "main:wait-for-someone") -> list:
    return [answer for answer in list(sim.helpline.answers) if answer.route == "/voice/hold"
            and answer.at_step == step and answer.params.get("CallSid") == phone.call_sid]


# -- a helpline of the test's own ----------------------------------------------------------------
class SimTwilioTakingItsTime(SimTwilio):
    """The simulator, whose REST API may take `dequeue_seconds` (real ones) to take a caller out of
    a queue, as Twilio's own takes a few hundred milliseconds to answer."""
    dequeue_seconds = 0.0

    def rest_app(self):
        app = super().rest_app()

        @app.before_request
        def like_twilio_over_the_internet():
            if "/Members/" in request.path:
                time.sleep(self.dequeue_seconds)
        return app


@pytest.fixture
def sim():
    clock = SimClock(SPEED, start=WEDNESDAY_10AM)
    twilio = SimTwilioTakingItsTime(Webhooks(clock), clock, AUTH_TOKEN)
    twilio.requests = StampedRequests()
    yield twilio
    twilio.stop()


@pytest.fixture
def start_helpline(make_app, serve, database_url, sim, flows_dir, tmp_path):
    """The helpline on `database_url`, its Twilio the simulator, its clock the simulator's.
    `max_wait`: the queue step's, in the test's copy of the flows; `music_seconds`: hold music that
    long (without it, the hold page's music cannot be read and plays as a short stretch)."""
    def start(max_wait: int | None = None, music_seconds: int | None = None):
        if max_wait is not None:
            main = flows_dir / "main.yaml"
            text = main.read_text(encoding="utf-8")
            assert "max_wait: 300" in text
            main.write_text(text.replace("max_wait: 300", f"max_wait: {max_wait}"), encoding="utf-8")
        if music_seconds is not None:
            hold_music(tmp_path / "audio" / "music" / "hold.wav", music_seconds)
        app = make_app(database_url=database_url, twilio_api_url=sim.serve(), twilio_account_sid=ACCOUNT_SID)
        app.extensions["ivr"].clock = sim.clock
        return app, serve(app)
    return start


def hold_music(path, seconds: int) -> None:
    """A WAV file of `seconds` of silence, at a low rate so it stays small."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(1)
        recording.setframerate(100)
        recording.writeframes(b"\x80" * (seconds * 100))


# -- callers and professionals -------------------------------------------------------------------
def keys_once_told(*inputs):
    """Answers menus with `inputs` in turn. On hold the caller stays silent until the hold page has
    told them the keys, then uses the next 'hold:…' input (while phones ring there is none)."""
    script = scripted(list(inputs))

    def answer(heard):
        on_hold = heard[-1].kind == "menu" and heard[-1].text == "on hold"
        if on_hold and not any(h.kind == "say" and h.text.startswith(KEYS_ON_HOLD) for h in heard):
            return ""
        return script(heard)
    return answer


def phone_for(sim, server, number: str = CALLER) -> Phone:
    return Phone(HttpTransport(), AUTH_TOKEN, base_url=server.url, from_number=number, to_number=HELPLINE,
                 twilio=sim)


def never_cut_off(phone: Phone) -> Phone:
    assert not [h for h in phone.heard if h.kind in ("error", "cut-off")], phone.heard
    return phone


def call(sim, server, *answers, number: str = CALLER) -> Phone:
    """Ring the helpline from this thread and answer as `keys_once_told` does."""
    phone = phone_for(sim, server, number)
    phone.call(keys_once_told(*answers))
    return never_cut_off(phone)


class Caller:
    """A caller ringing the helpline from a thread of their own, so two can call at once."""

    def __init__(self, sim, server, *answers, number: str = CALLER):
        self.phone = phone_for(sim, server, number)
        self.thread = threading.Thread(target=self.phone.call, args=(keys_once_told(*answers),),
                                       name=f"caller-{number}", daemon=True)
        self.thread.start()

    def hung_up(self) -> Phone:
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), self.phone.heard
        return never_cut_off(self.phone)


def text(server, sender: str, body: str) -> str:
    """A professional texts the helpline number, signed as Twilio signs it; the reply's words."""
    sid = "SM" + uuid.uuid4().hex
    response = signed_post(server.url + "/sms/incoming", {
        "AccountSid": ACCOUNT_SID, "MessageSid": sid, "SmsSid": sid, "From": sender, "To": HELPLINE,
        "Body": body, "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01"})
    assert response.status_code == 200, response.text
    return response.text


def said(phone) -> list:
    return [h.text for h in phone.heard if h.kind == "say"]


def record_of(app, phone):
    records = app.extensions["ivr"].calls
    records.flush()
    return records.get(phone.call_sid)


def busy_now(app, sim) -> frozenset:
    return app.extensions["ivr"].presence.snapshot(sim.clock()).busy


# -- the tests -----------------------------------------------------------------------------------
def test_a_caller_who_presses_0_while_someone_is_free_talks_with_them_and_the_other_phones_stop(
        start_helpline, sim):
    sim.phones = {ANA: "person", MARISOL: "silent", BEN: "no-answer"}     # only Ana presses 1
    # Ben's phone must still be ringing when Ana takes the call: at 100x a loaded machine's delay
    # of a quarter second is a whole round of ringing.
    sim.clock.speed = MEASURING_SPEED
    app, server = start_helpline()

    phone = call(sim, server, ENGLISH, "0")

    assert [h.kind for h in phone.heard][-2:] == ["talk", "hangup"]
    assert record_of(app, phone).outcome == "talked"
    rung = {leg.to: leg for leg in legs(sim)}
    assert set(rung) == {ANA, MARISOL, BEN}
    assert {leg.from_ for leg in rung.values()} == {HELPLINE}          # never the caller's own number
    assert legs_in_a_conference(sim) == {rung[ANA].sid}
    assert {rung[MARISOL].sid, rung[BEN].sid} <= ended_by_the_helpline(sim)
    assert wait_for(lambda: rung[MARISOL].status == "completed" and rung[BEN].status == "canceled"), \
        (rung[MARISOL].status, rung[BEN].status)      # stopped mid-whisper, and while still ringing
    assert wait_for(lambda: "ana-rivera" not in busy_now(app, sim))   # free again after the talk


def test_a_caller_whose_hold_page_lets_them_go_as_a_professional_accepts_talks_with_that_professional(
        start_helpline, sim):
    # While Twilio takes its time to take the caller out of the queue, the ringing tone ends and
    # Twilio asks for the hold page again, which lets the caller <Leave> for the talk.
    sim.dequeue_seconds = 0.3
    app, server = start_helpline()
    text(server, MARISOL, "OFF")
    text(server, BEN, "OFF")
    caller = Caller(sim, server, ENGLISH, "0")
    assert wait_for(lambda: legs(sim), timeout=10)
    [ana] = legs(sim)
    assert wait_for(lambda: ana.status in ("completed", "canceled"), timeout=10)
    accepted = next(a for a in list(sim.helpline.answers) if a.route == "/voice/offer-answer")
    for conference in list(sim.conferences.values()):
        conference.over.set()      # a caller left alone in silence gives up and hangs up

    phone = caller.hung_up()
    assert "<Conference" in accepted.body, accepted.body         # Ana was put through...
    assert sim.conferences[f"helpline-{phone.call_sid}"].talked     # ...and the caller was there with her
    assert record_of(app, phone).outcome == "talked"


def test_a_professional_whose_key_comes_just_after_a_colleague_took_the_call_is_told_a_colleague_has_it(
        start_helpline, sim):
    sim.phones = {ANA: "person", MARISOL: "slow-person", BEN: "silent"}
    app, server = start_helpline()
    caller = Caller(sim, server, ENGLISH, "0")
    assert wait_for(lambda: "talk" in [h.kind for h in caller.phone.heard], timeout=10)

    # Ben pressed 1 as the helpline was hanging up his phone: Twilio posts his key all the same.
    leg = next(leg for leg in legs(sim) if leg.to == BEN)
    offer = next(ring.offer for ring in rings(sim) if ring.to == BEN)
    late = signed_post(f"{server.url}/voice/offer-answer?offer={offer}", {
        "CallSid": leg.sid, "AccountSid": ACCOUNT_SID, "From": HELPLINE, "To": BEN, "CallStatus": "in-progress",
        "Direction": "outbound-api", "ApiVersion": "2010-04-01", "Digits": "1"})
    still_talking = caller.phone.heard[-1].kind == "talk"
    caller.hung_up()

    assert still_talking                                  # the caller was with Ana all along
    assert late.status_code == 200 and "<Conference" not in late.text
    assert "A colleague has taken this call." in late.text, late.text


def test_when_nobody_answers_the_caller_waits_on_hold_and_asks_to_be_called_back(start_helpline, sim):
    sim.phones, sim.default_phone = {ANA: "voicemail"}, "no-answer"
    app, server = start_helpline()

    phone = call(sim, server, ENGLISH, "0", "hold:2", "2025550199", "1")

    assert {leg.to for leg in legs(sim)} == {ANA, MARISOL, BEN} and legs_in_a_conference(sim) == set()
    words = said(phone)
    assert "You are next in line." in words
    assert any(w.startswith("While you wait: to leave a confidential voicemail, press 1. "
                            "To ask for a call back, press 2.") for w in words)
    assert any(w.startswith("You entered 2 0 2, 5 5 5, 0 1 9 9. If that is right, press 1.") for w in words)
    assert phone.heard[-1].kind == "hangup" and "988" in phone.heard[-2].text       # goodbye, with 988
    [kept] = app.extensions["ivr"].calls.pending_callbacks()
    assert (kept.number, kept.language) == ("+12025550199", "en")
    assert record_of(app, phone).outcome == "callback"


def test_a_caller_nobody_answers_reaches_the_backup_line_once_the_longest_wait_is_over(start_helpline, sim):
    sim.default_phone = "no-answer"
    sim.clock.speed = MEASURING_SPEED
    app, server = start_helpline(max_wait=60)

    phone = call(sim, server, ENGLISH, "0")

    answers = list(sim.helpline.answers)
    pressed = next(a for a in answers if a.params.get("CallSid") == phone.call_sid and a.params.get("Digits") == "0")
    backup = next(a for a in answers if a.params.get("CallSid") == phone.call_sid
                  and a.dialled() is not None and (a.dialled().text or "").strip() == BACKUP_LINE)
    waited = backup.at - pressed.at
    print(f"backup line {waited:.1f} simulated s after the 0")
    assert 60 <= waited <= 60 + RING_SECONDS
    assert "hold" in [h.kind for h in phone.heard]
    assert backup.dialled().get("callerId") == HELPLINE        # the helpline's number, not the caller's
    assert any(h.kind == "dial" and h.text == BACKUP_LINE for h in phone.heard)
    assert record_of(app, phone).outcome == "overflow"


def test_a_caller_on_hold_is_offered_at_once_to_a_professional_whose_talk_has_just_ended(start_helpline, sim):
    app, server = start_helpline(music_seconds=600)
    text(server, MARISOL, "OFF")
    text(server, BEN, "OFF")
    first = Caller(sim, server, ENGLISH, "0")                       # Ana takes this one
    sim.clock.sleep(15)
    second = Caller(sim, server, ENGLISH, "0", number=ANOTHER_CALLER)   # presses 0 during that talk

    first.hung_up()
    ended = wait_for(lambda: next((a for a in list(sim.helpline.answers) if a.route == "/voice/offer-status"
                                   and a.params["To"] == ANA and a.params["CallStatus"] == "completed"), None))
    assert ended, "Twilio never said that Ana's phone had hung up"
    assert hold_pages(sim, second.phone) and hold_pages(sim, second.phone)[0].asked < ended.asked
    offered = wait_for(lambda: rings(sim, since=ended.asked))
    assert offered, "nobody was rung for the caller on hold"
    seconds = offered[0].asked - ended.asked
    print(f"offered in {seconds:.3f} s")
    assert offered[0].to == ANA
    assert app.extensions["ivr"].offers.get(offered[0].offer).call_sid == second.phone.call_sid
    assert not [a for a in hold_pages(sim, second.phone) if ended.asked <= a.asked <= offered[0].asked]
    assert "talk" in [h.kind for h in second.hung_up().heard]
    assert record_of(app, second.phone).outcome == "talked"


def test_a_professional_who_texts_on_is_offered_the_caller_waiting_on_hold_at_once(start_helpline, sim):
    app, server = start_helpline(music_seconds=600)
    for number in (ANA, MARISOL, BEN):
        text(server, number, "OFF")
    waiting = Caller(sim, server, ENGLISH, "0")
    assert wait_for(lambda: hold_pages(sim, waiting.phone), timeout=10)

    texted = time.monotonic()
    assert "AVAILABLE" in text(server, ANA, "ON")
    offered = wait_for(lambda: rings(sim, since=texted))
    assert offered, "nobody was rung for the caller on hold"
    print(f"offered in {offered[0].asked - texted:.3f} s")
    assert offered[0].to == ANA
    assert app.extensions["ivr"].offers.get(offered[0].offer).call_sid == waiting.phone.call_sid
    assert not [a for a in hold_pages(sim, waiting.phone) if texted <= a.asked <= offered[0].asked]
    assert "talk" in [h.kind for h in waiting.hung_up().heard]
    assert record_of(app, waiting.phone).outcome == "talked"


def test_a_spanish_speaking_caller_is_rung_only_to_spanish_speakers_and_hears_spanish_on_hold(
        start_helpline, sim):
    sim.default_phone = "no-answer"
    app, server = start_helpline()

    phone = call(sim, server, SPANISH, "0", "hold:hangup")

    assert {leg.to for leg in legs(sim)} == {ANA, MARISOL}
    holds = [h.text for h in phone.heard if h.kind == "hold"]
    assert holds and set(holds) == {"helpline-recovery-es"}
    on_hold = phone.heard[[h.kind for h in phone.heard].index("hold"):]
    words = [h for h in on_hold if h.kind == "say"]
    assert "Usted es la siguiente persona en la fila." in [h.text for h in words]
    assert any(h.text.startswith("Mientras espera: para dejar un mensaje de voz confidencial, oprima 1.")
               for h in words)
    assert {h.language for h in words} == {"es-US"}


def test_when_a_professional_becomes_free_the_caller_who_has_waited_longest_is_offered_first(
        start_helpline, sim):
    app, server = start_helpline(music_seconds=600)
    for number in (ANA, MARISOL, BEN):
        text(server, number, "OFF")
    first = Caller(sim, server, ENGLISH, "0")
    assert wait_for(lambda: hold_pages(sim, first.phone), timeout=10)
    second = Caller(sim, server, ENGLISH, "0", number=ANOTHER_CALLER)
    assert wait_for(lambda: hold_pages(sim, second.phone), timeout=10)

    texted = time.monotonic()
    text(server, ANA, "ON")
    first.hung_up()
    second.hung_up()

    offers = app.extensions["ivr"].offers
    rung_for = [(ring.to, offers.get(ring.offer).call_sid) for ring in rings(sim, since=texted)]
    assert rung_for == [(ANA, first.phone.call_sid), (ANA, second.phone.call_sid)]
    assert "There is 1 caller ahead of you." in said(second.phone)
    assert record_of(app, first.phone).outcome == record_of(app, second.phone).outcome == "talked"
