"""What call control is driven with in tests: a REST adapter that records what it is asked instead
of calling Twilio, a roster and flows held still (`.current()`), a clock a test moves by hand, and
`at_once`, which releases threads together so a race is run rather than imagined."""
from __future__ import annotations

import datetime
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ivr.calls.control import CallControl
from ivr.calls.links import Links
from ivr.flow.loader import load_flows
from ivr.calls.routing.roster import load_roster
from ivr.store.database import ensure_schema, open_database
from ivr.store.offers import OfferStore
from ivr.store.presence import PresenceStore
from ivr.store.waits import WaitStore

SHIPPED_FLOWS = Path(__file__).resolve().parents[1] / "flows"
LINKS = Links("https://helpline.example")
HELPLINE = "+18005550100"
#: Steps of the shipped flows: a connect step (ring, then hold) and the queue step behind it.
CONNECT, QUEUE = "main:talk-to-someone", "main:wait-for-someone"
#: A Wednesday, 10:00 in New York.
WEDNESDAY = datetime.datetime(2026, 11, 25, 15, 0, tzinfo=datetime.timezone.utc)


class Held:
    """A roster or flow set that never changes while the test runs (Live's `.current()`)."""

    def __init__(self, value):
        self.value = value

    def current(self):
        return self.value


class Clock:
    def __init__(self, now: datetime.datetime = WEDNESDAY):
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> datetime.datetime:
        self.now += datetime.timedelta(seconds=seconds)
        return self.now


@dataclass(frozen=True)
class Rung:
    """One professional's leg placed through the REST adapter."""
    at: float                 # time.perf_counter() when ring() was called
    to: str
    caller_id: str
    url: str
    status_callback: str
    timeout: int
    machine_detection: bool
    leg: str

    @property
    def offer(self) -> str:
        return parse_qs(urlsplit(self.url).query)["offer"][0]


class RecordingApi:
    """TwilioApi's methods, answered at once and written down. `statuses` is what leg_status
    answers for a leg (default: 'in-progress'; an exception is raised); `while_ringing(offer_id, leg)` runs inside ring(),
    before the REST response would come back."""
    configured = True

    def __init__(self, name: str = "", statuses: dict | None = None, while_ringing=None):
        self.name = name
        self.statuses = dict(statuses or {})
        self.while_ringing = while_ringing
        self.rung: list = []
        self.stopped: list = []
        self.asked: list = []
        self.dequeued: list = []
        self.redirected: list = []
        self.rang = threading.Event()
        self.refuse: Exception | None = None      # raised by every ring()
        self.refuse_numbers: dict = {}            # number -> exception raised when it is rung

    def ring(self, to, caller_id, url, status_callback, timeout, machine_detection, *, fallback_url) -> str:
        if self.refuse is not None or to in self.refuse_numbers:
            raise self.refuse or self.refuse_numbers[to]
        rung = Rung(time.perf_counter(), to, caller_id, url, status_callback, timeout, machine_detection,
                    f"CA{self.name}{uuid.uuid4().hex}")
        self.rung.append(rung)
        self.rang.set()
        if self.while_ringing is not None:
            self.while_ringing(rung.offer, rung.leg)
        return rung.leg

    def stop_ringing(self, leg_sid: str) -> None:
        self.stopped.append(leg_sid)

    def leg_status(self, leg_sid: str) -> str:
        """What Twilio says of the leg; a TwilioUnavailable in `statuses` is raised instead."""
        self.asked.append(leg_sid)
        status = self.statuses.get(leg_sid, "in-progress")
        if isinstance(status, Exception):
            raise status
        return status

    def dequeue(self, queue_sid: str, call_sid: str, url: str) -> None:
        self.dequeued.append((queue_sid, call_sid, url))

    def redirect(self, call_sid: str, url: str) -> None:
        self.redirected.append((call_sid, url))


def roster_file(directory: Path, phones: list, ringing: str = "{strategy: simultaneous}", languages=None,
                teams=None, shifts: str = '{every-day: "00:00-24:00"}') -> Path:
    """A roster of people on shift at every hour (or at `shifts`, the YAML of everyone's shifts):
    phones[i] speaks languages[i] (default en) and is in teams[i] (default recovery); `ringing` is
    the YAML of its ringing section, whose account places 100 calls a second unless it says (a
    round is placed at once: the 1 s a leg of Twilio's default pacing is tested where it is set)."""
    if "calls_per_second" not in ringing and ringing.rstrip().endswith("}"):
        ringing = ringing.rstrip()[:-1].rstrip() + ", calls_per_second: 100}"
    lines = ["timezone: America/New_York",
             'backup_line: {name: Partner line, number: "+18006624357", languages: [en]}',
             f"ringing: {ringing}", "professionals:"]
    for i, phone in enumerate(phones):
        language = (languages or {}).get(i, "en")
        team = (teams or {}).get(i, "recovery")
        lines.append(f'  - {{name: Person {i:02d}, phone: "{phone}", languages: [{language}], teams: [{team}], '
                     f'shifts: {shifts}}}')
    path = directory / "roster.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_roster(path: Path):
    roster, problems = load_roster(path, ("en", "es"))
    assert roster is not None and not [p for p in problems if p.is_error], problems
    return roster


def shipped_flows():
    result = load_flows(SHIPPED_FLOWS, today=WEDNESDAY.date())
    assert result.flows is not None, result.errors
    return result.flows


def phones(count: int, first: int = 120) -> list:
    """Fictional numbers (555-01xx) that the roster accepts as dialable."""
    return [f"+1202555{first + i:04d}" for i in range(count)]


@dataclass
class Instance:
    """One instance of the helpline's call control, on its own engine."""
    engine: object
    waits: WaitStore
    offers: OfferStore
    presence: PresenceStore
    api: RecordingApi
    clock: Clock
    control: CallControl

    def close(self) -> None:
        self.control.close()
        self.engine.dispose()


def helpline(database_url: str, roster, api: RecordingApi | None = None, clock: Clock | None = None,
             flows=None, migrate: bool = True, **control_options) -> Instance:
    """`control_options`: CallControl's own (tick_seconds, problems)."""
    engine = open_database(database_url)
    if migrate:
        ensure_schema(engine)
    waits, offers, presence = WaitStore(engine), OfferStore(engine), PresenceStore(engine)
    api = api or RecordingApi()
    clock = clock or Clock()
    control = CallControl(Held(flows or shipped_flows()), Held(roster), waits, offers, presence, api, clock,
                          **control_options)
    return Instance(engine, waits, offers, presence, api, clock, control)


def passes_done(control: CallControl, timeout: float = 10.0) -> None:
    """Wait for the offer passes call control started in the background (after a leg ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with control._lock:                 # no public 'idle' signal: read the pass flag under its lock
            if not control._running:
                return
        time.sleep(0.005)
    raise AssertionError("an offer pass is still running")


def at_once(*actions) -> list:
    """Run each action in a thread of its own, all released by one barrier at the same instant;
    their results in order. The first exception any of them raised is raised here."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)
    errors: list = []

    def run(index, action):
        try:
            barrier.wait(timeout=30)
            results[index] = action()
        except BaseException as error:          # noqa: BLE001 - handed to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, action), name=f"race-{i}") for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def background_done(control: CallControl) -> None:
    """Let what call control handed to its threads (phones stopped, legs placed) finish; the
    control takes no more work afterwards (as when it is stopping: nothing new starts, quietly)."""
    control._closed.set()
    control._pool.shutdown(wait=True)
    control._placing.shutdown(wait=True)
