"""Load and faults over real HTTP, as CI runs them: 200 callers at once on random paths, the
database made unreachable while calls are in flight, a broken flow file saved mid-run, and status
callbacks racing their own copies — on a SQLite file and on a real PostgreSQL.

Bounded in time and count: a fixed number of calls, each on a path drawn from a seeded generator,
every wait with a deadline, and Twilio's time (ivr/sim) running SPEED times faster than the
wall's, for the helpline too. Each test prints one line of numbers (`pytest -s`).
"""
from __future__ import annotations

import concurrent.futures
import datetime
import os
import random
import re
import threading
import time
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from requests.adapters import HTTPAdapter
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ivr.sim.phone import HttpTransport, Phone
from ivr.sim.clock import SimClock
from ivr.sim.twilio import SimTwilio
from ivr.store.database import SQLITE_BUSY_SECONDS
from ivr.store.schema import calls
from like_twilio import AUTH_TOKEN, BACKUP_LINE, Recorded, dialed_numbers, problems_for_a_caller, wait_for
from outages import outage

#: Wednesday 10:00 in New York: on the demo roster Ana Rivera (en, es), Marisol Peña (es, en) and
#: Ben Carter (en) are on shift, and nobody else.
WEDNESDAY_10AM = datetime.datetime(2026, 12, 2, 15, 0, tzinfo=datetime.timezone.utc)
BEN = "+12025550103"
HELPLINE = "+18005550100"
#: Simulated seconds per real second: the queue's longest wait (300 s) passes in 3 s.
SPEED = 100.0
#: Twilio's status callbacks (a caller's own call, a professional's leg): answered 204, never TwiML.
STATUS_CALLBACKS = ("/voice/status", "/voice/offer-status")
#: How a prompt announces a key, in the shipped flows' languages ("press 3", "oprima 3").
ANNOUNCED_KEY = re.compile(r"\b(?:press|oprima|marque|pulse)\s+(\d)", re.IGNORECASE)
REPEAT = "*"
#: Longer than a SQLite write waits for a lock, so that writes really fail and go to the spool.
OUTAGE_SECONDS = SQLITE_BUSY_SECONDS + 1.5
#: However busy the machine, every call of a test is over by then, and its record written.
CALLS_DEADLINE = 150
RECORDS_DEADLINE = 20


# -- Twilio, and what it saw ---------------------------------------------------------------------
@dataclass(frozen=True)
class Exchange:
    """One webhook request and the helpline's answer, with when it was sent and answered (monotonic)."""
    sent: float
    answered: float
    url: str
    params: dict
    status: int
    body: str

    @property
    def route(self) -> str:
        return urlsplit(self.url).path

    @property
    def of_a_caller(self) -> bool:
        return self.params.get("Direction") == "inbound"


class Timed(Recorded):
    """How Twilio reaches the helpline, keeping every exchange with its moments. With `copies`
    above 1, the status callback of a caller's call is sent that many times at the same moment
    (threads released by one barrier), as Twilio does when it retries a callback whose first try
    has not been answered yet."""

    def __init__(self):
        super().__init__()
        self.timed: list = []
        self.copies = 1

    def post(self, url: str, params: dict) -> tuple:
        if self.copies > 1 and urlsplit(url).path == "/voice/status" and params.get("Direction") == "inbound":
            return self._at_once(url, params, self.copies)
        return self._timed(url, params)

    def _timed(self, url: str, params: dict) -> tuple:
        sent = time.monotonic()
        status, body = super().post(url, params)
        self.timed.append(Exchange(sent, time.monotonic(), url, dict(params), status, body))
        return status, body

    def _at_once(self, url: str, params: dict, copies: int) -> tuple:
        barrier, answers = threading.Barrier(copies), [None] * copies

        def send(n: int) -> None:
            barrier.wait(timeout=30)
            answers[n] = self._timed(url, params)
        threads = [threading.Thread(target=send, args=(n,), name="status-copy") for n in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return answers[0] or (0, "")


@pytest.fixture
def twilio():
    """Twilio in software from Wednesday 10:00 New York, SPEED times faster than the wall clock;
    every professional's phone answers as a person who presses 1 unless a test says otherwise."""
    sim = SimTwilio(Timed(), SimClock(SPEED, start=WEDNESDAY_10AM), AUTH_TOKEN)
    sim.api_url = sim.serve()
    yield sim
    sim.stop()


@dataclass
class Line:
    """The test's helpline, served over real HTTP, and the simulated Twilio that reaches it."""
    app: Flask
    url: str
    twilio: SimTwilio
    database_url: str

    @property
    def ivr(self):
        return self.app.extensions["ivr"]

    def exchanges(self) -> list:
        return list(self.twilio.helpline.timed)

    def healthz(self) -> dict:
        return requests.get(self.url + "/healthz", timeout=15).json()


def small_recording(path: Path, seconds: float) -> None:
    """A WAV file of `seconds` of silence at a low rate: as long as the shipped one, a few bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(1)
        recording.setframerate(100)
        recording.writeframes(b"\x80" * int(seconds * 100))


@pytest.fixture
def start_line(make_app, serve, twilio, database_url, tmp_path):
    """Serve a helpline on `database_url` whose clock is the simulator's. Its ringing tone and hold
    music last as long as the shipped ones (6 and 25.6 s), so 200 phones need not fetch 0.5 MB each."""
    small_recording(tmp_path / "audio" / "music" / "ringing.wav", 6)
    small_recording(tmp_path / "audio" / "music" / "hold.wav", 25.6)
    started = []

    def start(**changes) -> Line:
        app = make_app(database_url=database_url, audio_dir=tmp_path / "audio", **changes)
        app.extensions["ivr"].clock = twilio.clock
        # Every caller's thread keeps its connection to the helpline, as Twilio's many would.
        twilio.helpline.transport.http.session.mount("http://", HTTPAdapter(pool_maxsize=100))
        started.append(app)
        return Line(app, serve(app).url, twilio, database_url)

    yield start
    twilio.stop()                # every phone hangs up while the helpline is still there to hear it
    for app in started:
        app.extensions["ivr"].close()
        app.extensions["ivr"].database.dispose()


# -- callers on random paths ---------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """What one caller will do, drawn from the test's seeded generator."""
    number: str
    seed: int
    answers: int                 # menus answered with a key, *, a wrong key or silence...
    asks_for_person: bool        # ...then 0 (or "a person"); otherwise they hang up there
    hangs_up_on_hold: bool       # once told they are on hold
    in_a_hurry: bool             # knows the menus by heart: no time passes until they wait for a person


def plans(seed: int, count: int, person: float = 0.35, hurry: float = 0.3, first: int = 0) -> list:
    """`count` callers, about `person` of whom ask for a person and `hurry` know the menus by
    heart; their numbers from `first` on."""
    rng = random.Random(seed)
    return [Plan(number=f"+1617555{first + n:04d}", seed=rng.randrange(2 ** 32), answers=rng.choice((0, 1, 1, 2, 3, 4)),
                 asks_for_person=rng.random() < person, hangs_up_on_hold=rng.random() < 0.25,
                 in_a_hurry=rng.random() < hurry)
            for n in range(count)]


class RandomPath:
    """Answers each menu with what it offers: a key it announces, the repeat key, a key it does
    not offer, or silence; after `plan.answers` of them, asks for a person or hangs up. While
    phones ring the caller listens; on hold they wait, or hang up if their plan says so."""

    def __init__(self, plan: Plan):
        self.plan, self.rng = plan, random.Random(plan.seed)
        self.answered, self.asked = 0, False

    def __call__(self, heard):
        last = heard[-1]
        if last.kind == "menu" and last.text in ("ringing", "on hold", "music"):
            return None if last.text == "on hold" and self.plan.hangs_up_on_hold else ""
        if self.asked:
            return None              # after the person (or the backup line): done
        if self.answered >= self.plan.answers:
            if not self.plan.asks_for_person:
                return None
            self.asked = True
            return self.rng.choice(("0", "0", "0", "say:a person"))
        self.answered += 1
        offered = sorted(announced_keys(heard) - {"0"}) or ["1"]
        choice = self.rng.random()
        if choice < 0.6:
            return self.rng.choice(offered)
        if choice < 0.7:
            return REPEAT
        if choice < 0.85:
            return self.rng.choice([key for key in "345678" if key not in offered])
        return ""


def announced_keys(heard) -> set:
    """The keys the menu just heard offers: what its prompts said since the menu before."""
    keys = set()
    for h in reversed(heard[:-1]):
        if h.kind == "menu":
            break
        if h.kind == "say":
            keys |= set(ANNOUNCED_KEY.findall(h.text))
    return keys


class InAHurry:
    """A caller's sense of time who knows the menus by heart: what they hear passes at once, until
    they wait for a person; from then on it takes as long as it does."""

    def __init__(self, clock: SimClock, caller: Phone):
        self.clock, self.caller = clock, caller

    def sleep(self, seconds: float, interrupt=None) -> bool:
        if not any(h.kind == "hold" for h in self.caller.heard):
            return False
        return self.clock.sleep(seconds, interrupt)

    def __getattr__(self, name):
        return getattr(self.clock, name)


@dataclass
class Call:
    plan: Plan
    phone: Phone
    began: float | None = None   # seconds into the run when their phone rang the helpline
    ended: float | None = None


class Switchboard:
    """Callers ringing the helpline from a pool of threads, and how many are on the line now."""

    def __init__(self, line: Line, workers: int):
        self.line = line
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="caller")
        self.pools = [self.pool]
        self.calls, self.futures = [], []
        self.on_the_line = 0
        self.opened = time.monotonic()
        self._lock = threading.Lock()

    def ring(self, plans: list, at_once: bool = False) -> list:
        """Callers ring as a worker is free; `at_once`: each on a line of their own, now, whoever
        else is still on the line (callers who must ring during an outage, however busy the pool)."""
        pool = self.pool
        if at_once:
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(plans), thread_name_prefix="caller-now")
            self.pools.append(pool)
        new = []
        for plan in plans:
            caller = Phone(HttpTransport(), AUTH_TOKEN, base_url=self.line.url, from_number=plan.number,
                           to_number=HELPLINE, twilio=self.line.twilio)
            if plan.in_a_hurry:
                caller.clock = InAHurry(self.line.twilio.clock, caller)
            call = Call(plan, caller)
            new.append(call)
            self.calls.append(call)
            self.futures.append(pool.submit(self._talk, call))
        return new

    def _talk(self, call: Call) -> None:
        with self._lock:
            self.on_the_line += 1
        call.began = time.monotonic() - self.opened
        try:
            call.phone.call(RandomPath(call.plan))
        finally:
            call.ended = time.monotonic() - self.opened
            with self._lock:
                self.on_the_line -= 1

    def started(self) -> int:
        return sum(1 for call in self.calls if call.began is not None)

    def finish(self) -> list:
        done, running = concurrent.futures.wait(self.futures, timeout=CALLS_DEADLINE)
        for pool in self.pools:
            pool.shutdown(wait=not running, cancel_futures=True)
        assert not running, f"{len(running)} of {len(self.futures)} calls still going after {CALLS_DEADLINE} s"
        for future in done:
            future.result()          # a caller's thread that failed says why
        return self.calls


# -- what the callers, Twilio and the records say ------------------------------------------------
def cut_off(calls: list) -> list:
    """Callers who heard an error or were cut off, with what they heard."""
    return [(call.phone.call_sid, [str(h) for h in call.phone.heard][-6:]) for call in calls
            if any(h.kind in ("error", "cut-off") for h in call.phone.heard)]


def wrong_answers(exchanges: list, may_retry=lambda exchange: False) -> list:
    """Every answer Twilio would count as a failure or a caller would suffer from: a status callback
    not answered 204, a webhook not answered 200 with TwiML, TwiML that would cut a caller off.
    `may_retry(exchange)`: a status callback that may be answered 503 (please retry)."""
    wrong = []
    for exchange in exchanges:
        what = (exchange.route, exchange.params.get("CallSid"), exchange.status, exchange.body[:300])
        if exchange.route in STATUS_CALLBACKS:
            if exchange.status != 204 and not (exchange.status == 503 and may_retry(exchange)):
                wrong.append(what)
            continue
        if exchange.status != 200:
            wrong.append(what)
            continue
        try:
            document = ET.fromstring(exchange.body)
        except ET.ParseError as error:
            wrong.append((*what, f"not TwiML: {error}"))
            continue
        if document.tag != "Response":
            wrong.append((*what, "not a <Response>"))
        elif exchange.of_a_caller and exchange.params.get("QueueResult") == "hangup":
            continue                 # the caller has hung up: nobody hears this one
        elif exchange.of_a_caller and exchange.route == "/voice/hold":
            if not list(document):   # a hold page may end in music: Twilio asks for it again
                wrong.append((*what, "an empty hold page"))
        elif exchange.of_a_caller and exchange.params.get("QueueResult") != "redirected":
            wrong += [(*what, problem) for problem in problems_for_a_caller(document)
                      if not (problem == "<Dial> has no number" and document.find("Dial/Conference") is not None)]
    return wrong


def records(line: Line) -> dict:
    try:
        with line.ivr.database.connect() as connection:
            return {row.call_sid: row for row in connection.execute(select(calls))}
    except SQLAlchemyError:
        return {}


def sent_duration(call: Call) -> int:
    """The CallDuration of the call's status callback, as Twilio sent it."""
    [duration] = {params["CallDuration"] for url, params, status in call.phone.requests
                  if urlsplit(url).path == "/voice/status"}
    return int(duration)


def incomplete(line: Line, calls_made: list) -> list:
    """What is wrong with the calls table: calls without a complete record (status 'completed',
    the duration Twilio sent, a start and an end), and records of calls nobody made."""
    rows = records(line)
    wrong = [f"{sid}: a record of a call nobody made" for sid in set(rows) - {call.phone.call_sid for call in calls_made}]
    for call in calls_made:
        row, sid = rows.get(call.phone.call_sid), call.phone.call_sid
        if row is None:
            wrong.append(f"{sid}: no record")
            continue
        if row.status != "completed":
            wrong.append(f"{sid}: status {row.status!r}")
        if row.duration_seconds != sent_duration(call):
            wrong.append(f"{sid}: duration {row.duration_seconds}, Twilio sent {sent_duration(call)}")
        if row.started_at is None:
            wrong.append(f"{sid}: no started_at (its call, {sent_duration(call)} simulated s long, "
                         f"ran from {call.began:.2f} to {call.ended:.2f} s into the run)")
        if row.ended_at is None:
            wrong.append(f"{sid}: no ended_at")
    return wrong


def every_record_complete(line: Line, calls_made: list) -> list:
    """Poll (records are written by a background thread, the spool replayed once the database is
    back) until every call has its one complete record; what is still wrong after the deadline."""
    wait_for(lambda: not incomplete(line, calls_made), timeout=RECORDS_DEADLINE)
    return incomplete(line, calls_made)


def asked_for_a_person(exchange: Exchange) -> bool:
    return (exchange.route == "/voice/step" and exchange.of_a_caller
            and (exchange.params.get("Digits") == "0" or exchange.params.get("SpeechResult") == "a person"))


def summary(name: str, line: Line, calls_made: list, seconds: float, extra: str = "") -> None:
    backend = line.database_url.split(":", 1)[0].split("+", 1)[0]
    held = sum(1 for call in calls_made if any(h.kind == "hold" for h in call.phone.heard))
    backup = sum(1 for call in calls_made if any(h.kind == "dial" for h in call.phone.heard))
    talked = sum(1 for call in calls_made if any(h.kind == "talk" for h in call.phone.heard))
    print(f"\n{name} [{backend}]: {len(calls_made)} calls in {seconds:.1f} s, {len(line.exchanges())} requests; "
          f"{held} waited in line, {talked} talked with a professional, {backup} put through to the backup line"
          f"{extra}")


# -- the tests -----------------------------------------------------------------------------------
def test_200_callers_at_once_on_random_paths_are_all_answered_and_each_has_one_complete_record(start_line):
    line = start_line()
    line.twilio.phones[BEN] = "no-answer"          # Ana and Marisol press 1; Ben's phone rings out
    began = time.monotonic()
    board = Switchboard(line, workers=40)

    board.ring(plans(seed=1, count=200))
    calls_made = board.finish()

    summary("200 callers at once", line, calls_made, time.monotonic() - began)
    assert cut_off(calls_made) == []
    assert wrong_answers(line.exchanges()) == []
    assert every_record_complete(line, calls_made) == []
    assert len(records(line)) == 200


def test_with_the_database_unreachable_mid_run_callers_still_reach_a_person_and_every_call_is_recorded_after(
        start_line):
    line = start_line()
    began = time.monotonic()
    board = Switchboard(line, workers=80)
    board.ring(plans(seed=2, count=100, person=0.6))
    assert wait_for(lambda: board.on_the_line >= 40, timeout=20), board.on_the_line

    with outage(line.database_url):
        down, in_flight = time.monotonic(), board.on_the_line
        # Callers in a hurry to a person as it goes down, so some ask during it on a slow machine too.
        board.ring(plans(seed=8, count=20, person=1.0, hurry=1.0, first=300), at_once=True)
        time.sleep(OUTAGE_SECONDS - 1)
        board.ring(plans(seed=7, count=50, person=0.6, first=100))     # on the line as it comes back
        time.sleep(1)
        kept = line.ivr.calls.waiting_records()
        back, in_flight_at_the_end = time.monotonic(), board.on_the_line
    calls_made = board.finish()

    exchanges = line.exchanges()
    during = [e for e in exchanges if down <= e.sent and e.answered <= back]
    asked = [e for e in during if asked_for_a_person(e)]
    summary("database unreachable mid-run", line, calls_made, time.monotonic() - began,
            f"; {in_flight} in flight as it went down at {down - board.opened:.1f} s for {back - down:.1f} s, "
            f"{in_flight_at_the_end} as it came back, {len(during)} requests meanwhile, "
            f"{len(asked)} asked for a person then, {kept} records kept on disk")
    # A professional's leg whose status callback came while the database was down is told to
    # retry (503: Twilio does, #rp=5xx); no caller hears it, and a caller's own callback is kept.
    assert wrong_answers(exchanges, may_retry=lambda e: e.route == "/voice/offer-status"
                         and e.sent <= back + 2 and e.answered >= down) == []
    assert cut_off(calls_made) == []
    assert len(asked) >= 3, f"only {len(asked)} callers asked for a person during the outage"
    assert [e.params["CallSid"] for e in asked if dialed_numbers(ET.fromstring(e.body)) != [BACKUP_LINE]] == []
    assert kept > 0, "nothing waited for the database: was it really down?"
    assert every_record_complete(line, calls_made) == []
    # Whatever is left on disk is replayed too (a record already written is dropped then).
    assert wait_for(lambda: line.ivr.calls.waiting_records() == 0, timeout=RECORDS_DEADLINE), \
        line.ivr.calls.waiting_records()


WELCOME = "This call is free and confidential."
EDITED_WELCOME = "This call is free, and it is confidential."


def save(path: Path, text: str) -> None:
    """Save a file as an editor does: whole, at once (written aside, then moved over)."""
    aside = path.with_name(path.name + ".saving")
    aside.write_text(text, encoding="utf-8")
    os.replace(aside, path)


def said(exchange: Exchange) -> str:
    return " ".join(" ".join("".join(say.itertext()).split()) for say in ET.fromstring(exchange.body).iter("Say"))


#: Flows are read from files, whatever the database: the records of a run under load are checked on
#: both by the tests above and below.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_broken_flow_file_saved_mid_run_leaves_every_caller_with_the_last_good_flows_until_it_is_fixed(
        start_line, flows_dir):
    main = flows_dir / "main.yaml"
    good = main.read_text(encoding="utf-8")
    assert WELCOME in good and "    type: goodbye\n" in good
    line = start_line(flows_check_seconds=0.2)
    version = line.healthz()["flows"]
    began = time.monotonic()
    board = Switchboard(line, workers=30)
    board.ring(plans(seed=3, count=60))
    assert wait_for(lambda: board.on_the_line >= 20, timeout=20), board.on_the_line

    save(main, good.replace("    type: goodbye\n", "    type: hang-up-politely\n"))   # no such step type
    assert wait_for(lambda: line.healthz()["saved_flows"] == "broken", timeout=10), line.healthz()
    broken = time.monotonic()
    health = line.healthz()
    board.ring(plans(seed=4, count=30, first=100))       # new calls while it is broken
    assert wait_for(lambda: board.started() >= 75, timeout=30), board.started()
    time.sleep(1.0)
    fixing = time.monotonic()            # from here on, a call may already hear the fixed flows
    save(main, good.replace(WELCOME, EDITED_WELCOME))
    assert wait_for(lambda: line.healthz()["saved_flows"] == "ok", timeout=10), line.healthz()
    fixed = time.monotonic()
    edited = line.healthz()
    later = board.ring(plans(seed=5, count=10, first=200))
    calls_made = board.finish()

    exchanges = line.exchanges()
    greeted = [e for e in exchanges if e.route == "/voice/incoming" and e.status == 200]
    while_broken = [e for e in greeted if broken <= e.sent and e.answered <= fixing]
    summary("broken flow file mid-run", line, calls_made, time.monotonic() - began,
            f"; {len(while_broken)} calls began while it was broken ({fixing - broken:.1f} s)")
    assert health["ok"] and health["flows"] == version and health["flow_errors"] >= 1, health
    assert edited["ok"] and edited["flows"] != version and edited["flow_errors"] == 0, edited
    assert wrong_answers(exchanges) == []
    assert cut_off(calls_made) == []
    assert len(while_broken) >= 5, f"only {len(while_broken)} calls began while the flows were broken"
    assert [said(e) for e in while_broken if WELCOME not in said(e)] == []        # the last good flows
    assert [said(e) for e in greeted if fixed <= e.sent and EDITED_WELCOME not in said(e)] == []
    assert all(any(h.kind == "say" and EDITED_WELCOME in h.text for h in call.phone.heard) for call in later)
    assert every_record_complete(line, calls_made) == []


def test_status_callbacks_racing_their_own_copies_leave_one_complete_record_per_call_and_nobody_busy(start_line):
    line = start_line()
    line.twilio.callbacks = "retried-and-late"   # every leg's callback twice at once, progress events late
    line.twilio.helpline.copies = 3              # every caller's own status callback three times at once
    began = time.monotonic()
    board = Switchboard(line, workers=40)

    # Many short calls: their ends race the background writer that is writing their starts.
    board.ring(plans(seed=6, count=160, person=0.3, hurry=0.6))
    calls_made = board.finish()

    exchanges = line.exchanges()
    ends = [e for e in exchanges if e.route == "/voice/status"]
    summary("status callbacks racing their copies", line, calls_made, time.monotonic() - began,
            f"; {len(ends)} caller status callbacks, "
            f"{sum(1 for e in exchanges if e.route == '/voice/offer-status')} leg status callbacks")
    assert wrong_answers(exchanges) == []
    assert cut_off(calls_made) == []
    assert len(ends) == 3 * len(calls_made)
    assert every_record_complete(line, calls_made) == []
    assert wait_for(lambda: not line.ivr.offers.live(), timeout=10), line.ivr.offers.live()
    assert line.ivr.presence.snapshot(line.twilio.clock()).busy == frozenset()
