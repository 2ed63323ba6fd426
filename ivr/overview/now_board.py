"""The Now board: who is on shift and what they are doing, who is waiting and for how long, and
the day so far — and, for leads, what Twilio refused or could not deliver lately (texts not
delivered, calls refused), each error code in plain words. Built from the roster, presence, live
offers, waits and Twilio's problems at one moment."""
from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from ..calls.routing.shifts import ShiftIndex
from ..utc import aware
from ..twilio.errors import meaning

#: Offer states, as a person sees them.
#: 'placing': asked of Twilio, which has not said it rings (it may hold a leg back: its calls per second).
QUEUED = ("placing",)
RINGING = ("ringing", "answered")
TALKING = ("accepted",)


@dataclass(frozen=True)
class PersonNow:
    id: str
    name: str
    languages: tuple
    state: str            # available | queued | ringing | on a call | away


@dataclass(frozen=True)
class CallerWaiting:
    language: str
    team: str
    waited_seconds: int


#: Each kind of Twilio problem, as a lead reads it.
PROBLEM_WORDS = {"text-not-delivered": "Text not delivered",
                 "leg-refused": "Twilio refused to ring a professional",
                 "notice-call-refused": "Twilio refused the call made instead of a text"}


@dataclass(frozen=True)
class TwilioProblemSeen:
    what: str
    meaning: str           # '30032: the helpline's toll-free number is not verified …'
    detail: str
    at: datetime.datetime  # on the roster's clock


@dataclass(frozen=True)
class NowBoard:
    at: datetime.datetime          # on the roster's clock
    on_shift: tuple                # PersonNow, available first
    off_shift_busy: tuple          # off shift but on a helpline call (a call runs past a shift's end)
    waiting: tuple                 # CallerWaiting, longest first
    day: dict                      # store.board.day_numbers
    problems: tuple = ()           # TwilioProblemSeen, newest first (leads only)


def local_midnight(now: datetime.datetime, timezone: str) -> datetime.datetime:
    local = now.astimezone(zoneinfo.ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def person_state(person_id: str, away: frozenset, offer_states: dict) -> str:
    state = offer_states.get(person_id)
    if state in TALKING:
        return "on a call"
    if state in RINGING:
        return "ringing"
    if state in QUEUED:
        return "queued"
    return "away" if person_id in away else "available"


ORDER = {"available": 0, "queued": 1, "ringing": 1, "on a call": 2, "away": 3}


def problems_seen(rows: list, zone: str) -> tuple:
    return tuple(TwilioProblemSeen(PROBLEM_WORDS.get(row.kind, row.kind), meaning(row.code), row.detail,
                                   aware(row.at).astimezone(zoneinfo.ZoneInfo(zone))) for row in rows)


def now_board(roster, away: frozenset, live_offers: list, waits: list, day: dict,
              now: datetime.datetime, problems: list = ()) -> NowBoard:
    offer_states = {row.professional_id: row.state for row in live_offers}
    on = set(ShiftIndex(roster.professionals).on_shift(now)) if roster is not None else set()
    people = roster.professionals if roster is not None else ()
    on_shift, busy = [], []
    for index, person in enumerate(people):
        seen = PersonNow(person.id, person.name, tuple(sorted(person.languages)),
                         person_state(person.id, away, offer_states))
        if index in on:
            on_shift.append(seen)
        elif seen.state in ("queued", "ringing", "on a call"):
            busy.append(seen)
    on_shift.sort(key=lambda p: (ORDER[p.state], p.name))
    waiting = tuple(CallerWaiting(row.language, row.team, max(0, int((now - aware(row.asked_at)).total_seconds())))
                    for row in waits)
    zone = roster.timezone if roster is not None else "UTC"
    return NowBoard(now.astimezone(zoneinfo.ZoneInfo(zone)), tuple(on_shift), tuple(busy), waiting, day,
                    problems_seen(problems, zone))
