"""Why nobody can take a caller now, in the few reasons a caller or a lead can act on: nobody is
on shift, nobody on shift speaks their language, those who do are away, resting after a call they
missed, or all on calls. Pure, like choose.py: the shift index, the presence and the clock come in.

The hold page tells a waiting caller the reason (never "everyone is with other callers" when nobody
is); the notices' log lines name it when nobody could be texted.
"""
from __future__ import annotations

import datetime

from ...store.presence import Presence
from .shifts import ShiftIndex

NOBODY_ON_SHIFT = "nobody-on-shift"
NOBODY_SPEAKS = "nobody-speaks"      # someone is on shift, but nobody on shift speaks the language
ALL_AWAY = "all-away"                # everyone on shift who speaks it has set themselves away
NOT_ANSWERING = "not-answering"      # some of them rest after a missed call or are away; the rest are on calls
ALL_ON_CALLS = "all-on-calls"        # every one of them is on a call (or being rung for another caller)


def speakers_on_shift(index: ShiftIndex, language: str, now: datetime.datetime, team: str | None = None):
    """(everyone on shift now, in `team` when given; those of them who speak `language`)."""
    people = index.people
    on_shift = [people[i] for i in index.on_shift(now) if team is None or team in people[i].teams]
    return on_shift, [person for person in on_shift if language in person.languages]


def why_nobody_free(index: ShiftIndex, presence: Presence, language: str, now: datetime.datetime,
                    team: str | None = None) -> str:
    """The reason nobody who speaks `language` is free now, or '' when someone is."""
    on_shift, speakers = speakers_on_shift(index, language, now, team)
    if not on_shift:
        return NOBODY_ON_SHIFT
    if not speakers:
        return NOBODY_SPEAKS
    here = [person for person in speakers if person.id not in presence.away]
    if not here:
        return ALL_AWAY
    if any(person.id not in presence.busy for person in here):
        return ""
    # "With other callers" only when it is true of everyone who could take the call.
    if len(here) < len(speakers) or any(person.id in presence.resting for person in here):
        return NOT_ANSWERING
    return ALL_ON_CALLS
