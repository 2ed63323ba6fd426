"""Choosing who to ring for a caller: on shift, speaks their language, in the team, free, not away.

Pure: the roster, the presence snapshot and the clock come in; the order to ring goes out. The
webhook, the simulator and the tests share it, and a benchmark holds it under 2 ms for 5,000
professionals.
"""
from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass

from ...store.presence import Presence
from .roster import Roster
from .shifts import ShiftIndex

MAX_SIMULTANEOUS = 10     # Twilio rings at most ten <Number>s in one <Dial>


@dataclass(frozen=True)
class Choice:
    people: tuple             # Professionals to ring, in order
    reason: str               # 'language' | 'any-language' | 'nobody'


class Chooser:
    """Indexes a roster once; answers 'who now?' many times."""

    def __init__(self, roster: Roster):
        self.roster = roster
        self.index = ShiftIndex(roster.professionals)
        people = self.index.people
        self.speaks: dict = {}
        self.in_team: dict = {}
        for i, person in enumerate(people):
            for code in person.languages:
                self.speaks.setdefault(code, set()).add(i)
            for team in person.teams:
                self.in_team.setdefault(team, set()).add(i)

    def available(self, now: datetime.datetime, presence: Presence, team: str, exclude=()) -> list:
        """Indices of professionals on shift, in the team, not away, not busy, not already tried."""
        people = self.index.people
        in_team = self.in_team.get(team, set())
        unwanted = presence.away | presence.busy | frozenset(exclude)
        return [i for i in self.index.on_shift(now) if i in in_team and people[i].id not in unwanted]

    def choose(self, now: datetime.datetime, presence: Presence, language: str, team: str = "recovery",
               exclude=()) -> Choice:
        people = self.index.people
        free = self.available(now, presence, team, exclude)
        speakers = self.speaks.get(language, set())
        matching = [i for i in free if i in speakers]
        reason = "language"
        if not matching:
            # Nobody free speaks the caller's language: the backup line may; otherwise a person
            # who does not is still better than no person.
            if language in self.roster.backup_line.languages or not free:
                return Choice((), "nobody")
            matching, reason = free, "any-language"
        idle = presence.idle_since
        limit = MAX_SIMULTANEOUS if self.roster.ringing.strategy == "simultaneous" else 1
        # Longest idle first; people never on a call yet count as idle since the beginning; ties by id.
        chosen = heapq.nsmallest(limit, matching, key=lambda i: (idle.get(people[i].id, 0.0), people[i].id))
        return Choice(tuple(people[i] for i in chosen), reason)
