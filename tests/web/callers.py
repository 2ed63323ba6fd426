"""Callers and professionals for the tests that play whole calls against a served helpline with
Twilio simulated (ivr/sim): shared by test_offers.py and test_hold.py."""
from __future__ import annotations

import concurrent.futures
import datetime
from dataclasses import dataclass

from flask import Flask

from ivr.sim.phone import HttpTransport, Phone
from ivr.sim.clock import SimClock
from ivr.sim.state import ACCOUNT_SID
from ivr.sim.twilio import SimTwilio
from like_twilio import AUTH_TOKEN, CALL_PARAMS, CALLER, Recorded, signed_post

#: The number the caller dialled: what Twilio sends as `To` on the caller's webhooks.
HELPLINE = CALL_PARAMS["To"]


class Phones(dict):
    """Which phone answers each professional's number (ivr/sim/professionals.py; `default_phone`
    otherwise), and when each one started ringing, in simulated seconds — as its owner would notice."""

    def __init__(self, clock: SimClock):
        super().__init__()
        self.clock, self.rang = clock, []

    def get(self, number, default=None):
        self.rang.append((number, self.clock.seconds()))
        return super().get(number, default)

    def numbers(self) -> list:
        return [number for number, _ in self.rang]


class AppClock:
    """The helpline's clock: the simulator's, plus however far a test moves it on."""

    def __init__(self, sim_clock: SimClock):
        self.sim_clock, self.ahead = sim_clock, datetime.timedelta()

    def __call__(self) -> datetime.datetime:
        return self.sim_clock() + self.ahead

    def move_on(self, seconds: float) -> None:
        self.ahead += datetime.timedelta(seconds=seconds)


@dataclass
class Line:
    """The test's helpline, served over real HTTP, and the simulated Twilio that reaches it."""
    app: Flask
    url: str
    twilio: SimTwilio
    clock: AppClock

    @property
    def ivr(self):
        return self.app.extensions["ivr"]


def simulated_twilio(speed: float, start, twilio_class=SimTwilio) -> SimTwilio:
    """Twilio in software from `start`, `speed` times faster than the wall clock, serving its REST
    API, keeping the helpline's answers, and noting when each professional's phone rang."""
    sim = twilio_class(Recorded(), SimClock(speed, start=start), AUTH_TOKEN)
    sim.phones = Phones(sim.clock)
    sim.api_url = sim.serve()
    return sim


def answering(*menu: str, on_hold=None):
    """A caller who answers each menu in turn (a key, 'say:words', 'wait'), hangs up when out of
    answers, and while waiting for a person (phones ringing, or on hold) does what `on_hold(heard)`
    says: '' waits, None hangs up, or a key or 'say:words'."""
    remaining = list(menu)

    def answer(heard):
        if heard and heard[-1].kind == "menu" and heard[-1].text in ("ringing", "on hold", "music"):
            return on_hold(heard) if on_hold else ""
        if not remaining:
            return None
        token = remaining.pop(0)
        return "" if token == "wait" else token
    return answer


class KnowsTheMenusByHeart:
    """A caller's sense of time: the greeting and the first two menus (language, then the main
    menu) pass at once — what they hear is kept all the same; everything after their answer to the
    main menu takes as long as it does (the "connecting" prompt before <Enqueue> too)."""

    def __init__(self, clock: SimClock, caller: Phone):
        self.clock, self.caller = clock, caller

    def sleep(self, seconds: float, interrupt=None) -> bool:
        if sum(1 for h in self.caller.heard if h.kind == "menu") < 2:
            return False
        return self.clock.sleep(seconds, interrupt)

    def __getattr__(self, name):
        return getattr(self.clock, name)


def new_caller(line, number: str = CALLER) -> Phone:
    caller = Phone(HttpTransport(), AUTH_TOKEN, base_url=line.url, from_number=number, to_number=HELPLINE,
                   twilio=line.twilio)
    caller.clock = KnowsTheMenusByHeart(line.twilio.clock, caller)
    return caller


def call(line, *menu: str, on_hold=None, on_heard=None, caller: Phone | None = None) -> Phone:
    caller = caller or new_caller(line)
    caller.call(answering(*menu, on_hold=on_hold), on_heard)
    assert not [h for h in caller.heard if h.kind in ("error", "cut-off")], transcript(caller)
    return caller


def call_in_background(line, *menu: str, on_hold=None, number: str = CALLER) -> tuple:
    """(the caller's Phone, a Future of their finished call): the test goes on while they talk."""
    caller = new_caller(line, number)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="caller")
    future = pool.submit(call, line, *menu, on_hold=on_hold, caller=caller)
    pool.shutdown(wait=False)
    return caller, future


def transcript(caller: Phone) -> str:
    """What the caller heard, one line each: the message of a failed assertion."""
    return "\n".join(str(h) for h in caller.heard)


def text_helpline(line, number: str, body: str) -> None:
    """A professional texts the helpline number (ON / OFF), signed as Twilio signs an SMS webhook."""
    response = signed_post(f"{line.url}/sms/incoming", {
        "MessageSid": "SM" + "1" * 32, "AccountSid": ACCOUNT_SID, "From": number, "To": HELPLINE, "Body": body})
    assert response.status_code == 200, response.text
