"""Who is rung for a caller: on shift in their own time zone, not on time off, speaking the caller's
language, in the team, not away, busy or already tried; longest idle first.

Rosters are built in Python, one idea per test; instants are fixed, and the wall clock is frozen
where a test reads it, to show that the choice depends on the instant it is given and nothing else.
"""
from __future__ import annotations

import datetime
import zoneinfo

import freezegun
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.calls.routing.choose import MAX_SIMULTANEOUS, Chooser
from ivr.store.presence import Presence
from ivr.calls.routing.roster import BackupLine, Professional, Ringing, Roster
from ivr.calls.routing.shifts import ShiftIndex

UTC = datetime.timezone.utc
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def shifts(**written) -> tuple:
    """shifts(mon_fri="09:00-17:00", sun="22:00-02:00") -> ((0, 540, 1020), ..., (6, 1320, 120))."""
    spans = []
    for days, clock in written.items():
        first, _, last = days.partition("_")
        low, high = DAYS.index(first), DAYS.index(last or first)
        start, end = clock.split("-")
        spans.extend((day, minutes(start), minutes(end)) for day in range(low, high + 1))
    return tuple(spans)


def person(id, zone="America/New_York", languages=("en",), teams=("recovery",), time_off=(), **written):
    number = 100 + sum(map(ord, id)) % 900
    return Professional(id, id.title(), f"+1202555{number:04d}", frozenset(languages), frozenset(teams),
                        zone, shifts(**written) or shifts(mon_sun="00:00-24:00"), frozenset(time_off))


def roster(*people, backup=("en", "es"), strategy="simultaneous") -> Roster:
    return Roster(tuple(people), BackupLine("SAMHSA National Helpline", "+18006624357", frozenset(backup)),
                  Ringing(strategy), "America/New_York")


def ny(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=NEW_YORK)


def utc(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def rung(team_roster: Roster, now, language="en", presence=Presence(), team="recovery", exclude=()) -> list:
    return [p.id for p in Chooser(team_roster).choose(now, presence, language, team, exclude).people]


# -- time zones ------------------------------------------------------------------------------------
@pytest.mark.parametrize("now, on", [
    (ny(2026, 12, 2, 11, 59), False),     # 08:59 in Los Angeles
    (ny(2026, 12, 2, 12, 0), True),       # 09:00
    (ny(2026, 12, 2, 12, 30), True),      # 09:30
    (ny(2026, 12, 2, 19, 59), True),      # 16:59
    (ny(2026, 12, 2, 20, 0), False),      # 17:00: the shift has ended
    (ny(2026, 12, 5, 12, 30), False),     # a Saturday
])
def test_a_los_angeles_shift_is_read_in_los_angeles_time(now, on):
    team = roster(person("carmen", "America/Los_Angeles", mon_fri="09:00-17:00"))

    assert rung(team, now) == (["carmen"] if on else [])


def test_the_same_instant_finds_people_in_different_zones_at_their_own_hours():
    team = roster(person("ana", "America/New_York", mon_fri="09:00-17:00"),
                  person("marisol", "America/Chicago", mon_fri="09:00-17:00"),
                  person("carmen", "America/Los_Angeles", mon_fri="09:00-17:00"))

    assert rung(team, ny(2026, 12, 2, 9, 30)) == ["ana"]
    assert rung(team, ny(2026, 12, 2, 10, 30)) == ["ana", "marisol"]
    assert rung(team, ny(2026, 12, 2, 12, 30)) == ["ana", "carmen", "marisol"]
    assert rung(team, ny(2026, 12, 2, 17, 30)) == ["carmen", "marisol"]
    assert rung(team, ny(2026, 12, 2, 18, 30)) == ["carmen"]


# -- daylight saving time --------------------------------------------------------------------------
@pytest.mark.parametrize("now, on", [
    # 2026-03-08: New York springs from 02:00 EST to 03:00 EDT; 00:00-08:00 is seven real hours
    (utc(2026, 3, 8, 4, 59), False),      # Saturday 23:59 EST
    (utc(2026, 3, 8, 5, 0), True),        # Sunday 00:00 EST
    (utc(2026, 3, 8, 6, 59), True),       # 01:59 EST
    (utc(2026, 3, 8, 7, 0), True),        # 03:00 EDT, straight after 01:59
    (utc(2026, 3, 8, 11, 59), True),      # 07:59 EDT
    (utc(2026, 3, 8, 12, 0), False),      # 08:00 EDT
    # 2026-11-01: New York falls back from 02:00 EDT to 01:00 EST; 00:00-08:00 is nine real hours
    (utc(2026, 11, 1, 3, 59), False),     # Saturday 23:59 EDT
    (utc(2026, 11, 1, 4, 0), True),       # Sunday 00:00 EDT
    (utc(2026, 11, 1, 5, 30), True),      # 01:30 EDT
    (utc(2026, 11, 1, 6, 30), True),      # 01:30 EST, the second time round
    (utc(2026, 11, 1, 12, 59), True),     # 07:59 EST
    (utc(2026, 11, 1, 13, 0), False),     # 08:00 EST
])
def test_a_sunday_night_shift_follows_the_wall_clock_through_a_dst_change(now, on):
    team = roster(person("elena", "America/New_York", sun="00:00-08:00"))

    assert rung(team, now) == (["elena"] if on else [])


@pytest.mark.parametrize("now, in_new_york, on_in_phoenix", [
    (ny(2026, 12, 2, 11, 30), "EST", True),      # 16:30 UTC, 09:30 in Phoenix
    (ny(2026, 7, 15, 11, 30), "EDT", False),     # 15:30 UTC, 08:30 in Phoenix
    (ny(2026, 12, 2, 19, 30), "EST", False),     # 00:30 UTC, 17:30 in Phoenix
    (ny(2026, 7, 15, 19, 30), "EDT", True),      # 23:30 UTC, 16:30 in Phoenix
    (ny(2026, 3, 6, 11, 30), "EST", True),       # the Friday before New York's change
    (ny(2026, 3, 9, 11, 30), "EDT", False),      # the Monday after: Phoenix did not move
])
def test_a_phoenix_shift_moves_against_new_york_when_only_new_york_changes_its_clocks(now, in_new_york,
                                                                                     on_in_phoenix):
    team = roster(person("ana", "America/New_York", mon_fri="08:00-22:00"),
                  person("rosa", "America/Phoenix", mon_fri="09:00-17:00"))

    assert now.tzname() == in_new_york
    assert rung(team, now) == (["ana", "rosa"] if on_in_phoenix else ["ana"])


# -- shifts past midnight --------------------------------------------------------------------------
@pytest.mark.parametrize("now, on", [
    (ny(2026, 12, 4, 3, 0), False),       # Friday 03:00: Thursday had no shift
    (ny(2026, 12, 4, 21, 59), False),
    (ny(2026, 12, 4, 22, 0), True),       # Friday 22:00
    (ny(2026, 12, 4, 23, 59), True),
    (ny(2026, 12, 5, 0, 0), True),        # Saturday
    (ny(2026, 12, 5, 3, 0), True),
    (ny(2026, 12, 5, 5, 59), True),
    (ny(2026, 12, 5, 6, 0), False),
    (ny(2026, 12, 5, 22, 30), False),     # Saturday night has no shift of its own
])
def test_a_friday_night_shift_runs_into_saturday_morning(now, on):
    team = roster(person("frank", fri="22:00-06:00"))

    assert rung(team, now) == (["frank"] if on else [])


@pytest.mark.parametrize("now, on", [
    (ny(2026, 12, 6, 1, 0), False),       # Sunday 01:00: Saturday had no shift
    (ny(2026, 12, 6, 23, 0), True),       # Sunday 23:00
    (ny(2026, 12, 7, 1, 0), True),        # Monday 01:00: the week wraps
    (ny(2026, 12, 7, 2, 0), False),
    (ny(2026, 11, 30, 1, 0), True),       # the Monday before, from the Sunday before
])
def test_a_sunday_night_shift_runs_into_monday_as_the_week_wraps(now, on):
    team = roster(person("isabel", sun="22:00-02:00"))

    assert rung(team, now) == (["isabel"] if on else [])


def test_a_midnight_shift_in_los_angeles_passes_midnight_in_los_angeles_time():
    team = roster(person("rosa", "America/Los_Angeles", sun="22:00-02:00"))

    assert rung(team, ny(2026, 12, 7, 1, 30)) == ["rosa"]        # Sunday 22:30 in Los Angeles
    assert rung(team, ny(2026, 12, 7, 4, 59)) == ["rosa"]        # Monday 01:59
    assert rung(team, ny(2026, 12, 7, 5, 0)) == []               # Monday 02:00


def test_a_shift_that_starts_and_ends_at_the_same_time_lasts_a_whole_day():
    team = roster(person("gloria", sat="08:00-08:00"))

    assert rung(team, ny(2026, 12, 5, 7, 59)) == []
    assert rung(team, ny(2026, 12, 5, 8, 0)) == ["gloria"]
    assert rung(team, ny(2026, 12, 6, 7, 59)) == ["gloria"]
    assert rung(team, ny(2026, 12, 6, 8, 0)) == []


def test_a_person_whose_shifts_overlap_is_rung_once():
    team = roster(person("ana", mon_fri="08:00-12:00", mon="11:30-13:00"))

    assert rung(team, ny(2026, 11, 30, 11, 45)) == ["ana"]


# -- time off --------------------------------------------------------------------------------------
@pytest.mark.parametrize("now, who", [
    (ny(2026, 12, 24, 23, 0), ["ana", "carmen"]),    # 20:00 on the 24th in Los Angeles
    (ny(2026, 12, 25, 2, 0), ["carmen"]),            # Christmas in New York; 23:00 on the 24th in LA
    (ny(2026, 12, 25, 12, 0), []),                   # Christmas for both
    (ny(2026, 12, 26, 1, 0), ["ana"]),               # the 26th in New York; 22:00 on the 25th in LA
    (ny(2026, 12, 26, 3, 0), ["ana", "carmen"]),     # 00:00 on the 26th in LA
])
def test_a_day_off_is_a_date_in_the_persons_own_time_zone(now, who):
    christmas = [datetime.date(2026, 12, 25)]
    team = roster(person("ana", "America/New_York", time_off=christmas),
                  person("carmen", "America/Los_Angeles", time_off=christmas))

    assert rung(team, now) == who


# -- language --------------------------------------------------------------------------------------
def test_a_spanish_caller_is_offered_only_spanish_speakers():
    team = roster(person("ben", languages=["en"]), person("luis", languages=["es", "en"]),
                  person("marisol", languages=["es"]))

    choice = Chooser(team).choose(ny(2026, 12, 2, 12, 0), Presence(), "es")

    assert [p.id for p in choice.people] == ["luis", "marisol"]
    assert choice.reason == "language"


def test_without_a_free_spanish_speaker_a_spanish_caller_goes_to_a_backup_line_that_speaks_spanish():
    team = roster(person("ben", languages=["en"]), person("luis", languages=["es"]), backup=["en", "es"])

    choice = Chooser(team).choose(ny(2026, 12, 2, 12, 0), Presence(busy=frozenset({"luis"})), "es")

    assert choice.people == ()
    assert choice.reason == "nobody"


def test_without_a_spanish_speaker_anywhere_an_english_speaker_is_better_than_nobody():
    team = roster(person("ben", languages=["en"]), person("luis", languages=["es"]), backup=["en"])

    choice = Chooser(team).choose(ny(2026, 12, 2, 12, 0), Presence(away=frozenset({"luis"})), "es")

    assert [p.id for p in choice.people] == ["ben"]
    assert choice.reason == "any-language"


def test_with_nobody_free_at_all_the_choice_is_nobody_whatever_the_backup_speaks():
    team = roster(person("ben", languages=["en"], mon="09:00-17:00"), backup=["en"])

    choice = Chooser(team).choose(ny(2026, 12, 2, 12, 0), Presence(), "es")

    assert (choice.people, choice.reason) == ((), "nobody")


# -- team, presence, already tried -----------------------------------------------------------------
def test_only_the_asked_team_is_rung():
    team = roster(person("ana", teams=["recovery"]), person("yara", teams=["youth"]),
                  person("zoe", teams=["recovery", "youth"]))

    assert rung(team, ny(2026, 12, 2, 12, 0), team="youth") == ["yara", "zoe"]
    assert rung(team, ny(2026, 12, 2, 12, 0), team="recovery") == ["ana", "zoe"]
    assert rung(team, ny(2026, 12, 2, 12, 0), team="family") == []


@pytest.mark.parametrize("presence, exclude", [
    (Presence(away=frozenset({"ben"})), ()),
    (Presence(busy=frozenset({"ben"})), ()),
    (Presence(), ("ben",)),
], ids=["away", "busy", "already-tried"])
def test_a_person_away_busy_or_already_tried_is_skipped(presence, exclude):
    team = roster(person("ana"), person("ben"), person("cleo"))

    assert rung(team, ny(2026, 12, 2, 12, 0), presence=presence, exclude=exclude) == ["ana", "cleo"]


# -- order and strategy ----------------------------------------------------------------------------
def test_the_longest_idle_come_first_and_the_never_called_before_everyone():
    team = roster(*(person(name) for name in ("ana", "ben", "cleo", "dev", "eli", "fay")))
    idle = {"ana": 1_700_000_300.0, "ben": 1_700_000_100.0, "cleo": 1_700_000_200.0, "fay": 1_700_000_100.0}

    order = rung(team, ny(2026, 12, 2, 12, 0), presence=Presence(idle_since=idle))

    assert order == ["dev", "eli", "ben", "fay", "cleo", "ana"]


def test_simultaneous_ringing_rings_at_most_ten_people_the_longest_idle():
    team = roster(*(person(f"p{n:02d}") for n in range(15)))
    idle = {f"p{n:02d}": 1_700_000_000.0 + (15 - n) for n in range(15)}     # p14 has waited longest

    order = rung(team, ny(2026, 12, 2, 12, 0), presence=Presence(idle_since=idle))

    assert len(order) == MAX_SIMULTANEOUS == 10
    assert order == [f"p{n:02d}" for n in range(14, 4, -1)]


def test_simultaneous_ringing_rings_everyone_free_when_fewer_than_ten():
    team = roster(person("ana"), person("ben"), person("cleo"))

    assert rung(team, ny(2026, 12, 2, 12, 0)) == ["ana", "ben", "cleo"]


def test_longest_idle_ringing_rings_exactly_one_person_then_the_next_once_they_are_tried():
    team = roster(*(person(f"p{n:02d}") for n in range(15)), strategy="longest-idle")
    idle = {f"p{n:02d}": 1_700_000_000.0 + n for n in range(15)}           # p00 has waited longest
    now, presence = ny(2026, 12, 2, 12, 0), Presence(idle_since=idle)

    assert rung(team, now, presence=presence) == ["p00"]
    assert rung(team, now, presence=presence, exclude=["p00"]) == ["p01"]
    assert rung(team, now, presence=presence, exclude=["p00", "p01"]) == ["p02"]


# -- the wall clock --------------------------------------------------------------------------------
def test_the_choice_depends_on_the_instant_given_not_on_the_wall_clock():
    team = roster(person("ana", mon_fri="09:00-17:00"))
    chooser = Chooser(team)

    with freezegun.freeze_time("2026-12-05 03:00:00"):         # a Saturday night: nobody on
        at_noon = chooser.choose(ny(2026, 12, 2, 12, 0), Presence(), "en")
    with freezegun.freeze_time("2026-12-02 17:00:00"):         # Wednesday noon in New York
        at_night = chooser.choose(ny(2026, 12, 5, 22, 0), Presence(), "en")

    assert [p.id for p in at_noon.people] == ["ana"]
    assert at_night.people == ()


@pytest.mark.parametrize("wall_clock, who", [
    ("2026-12-02 17:00:00", ["ana"]),       # Wednesday 12:00 in New York
    ("2026-12-02 23:00:00", []),            # Wednesday 18:00
])
def test_a_call_asked_about_at_the_wall_clock_instant_finds_who_is_on_then(wall_clock, who):
    team = roster(person("ana", mon_fri="09:00-17:00"))

    with freezegun.freeze_time(wall_clock):
        assert rung(team, datetime.datetime.now(UTC)) == who


# -- property: every choice is right by an independent, brute-force reading of the roster ---------
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
         "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "UTC")
IDS = tuple(f"p{n}" for n in range(12))
# New York's and Los Angeles's DST changes in 2026, for instants near them
CHANGES = (utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 10, 0), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 9, 0))


def on_shift_by_hand(someone: Professional, now: datetime.datetime) -> bool:
    """Read the roster the long way: local wall clock, today's shifts, yesterday's past midnight."""
    local = now.astimezone(zoneinfo.ZoneInfo(someone.timezone))
    if local.date() in someone.time_off:
        return False
    today, minute = local.weekday(), local.hour * 60 + local.minute
    yesterday = (today - 1) % 7
    for day, start, end in someone.shifts:
        if start < end and day == today and start <= minute < end:
            return True
        if start >= end and ((day == today and minute >= start) or (day == yesterday and minute < end)):
            return True
    return False


clocks = st.integers(0, 24 * 4).map(lambda quarter: quarter * 15) | st.integers(0, 1440)
instants = (st.datetimes(datetime.datetime(2026, 1, 1), datetime.datetime(2027, 1, 1), timezones=st.just(UTC))
            | st.builds(lambda change, offset: change + datetime.timedelta(minutes=offset),
                        st.sampled_from(CHANGES), st.integers(-26 * 60, 26 * 60)))
# Most shifts start on the person's local day or the day before, so that many people are on and
# some shifts overlap; the rest fall anywhere in the week.
shift_days = st.sampled_from(("today", "yesterday")) | st.integers(0, 6)
some_shifts = st.lists(st.tuples(shift_days, clocks, clocks), min_size=1, max_size=3)
days_off = st.frozensets(st.integers(-2, 2), max_size=2)
languages = st.frozensets(st.sampled_from(("en", "es")), min_size=1)
teams = st.frozensets(st.sampled_from(("recovery", "youth")), min_size=1)
a_few_ids = st.frozensets(st.sampled_from(IDS), max_size=3)
idle_since = st.dictionaries(st.sampled_from(IDS), st.integers(1_700_000_000, 1_800_000_000).map(float))


@st.composite
def scenes(draw):
    now = draw(instants)
    people = []
    for pid in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=len(IDS))):
        zone = draw(st.sampled_from(ZONES))
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
        named = {"today": local.weekday(), "yesterday": (local.weekday() - 1) % 7}
        spans = tuple((named.get(day, day), start, end) for day, start, end in draw(some_shifts))
        off = frozenset(local.date() + datetime.timedelta(days=d) for d in draw(days_off))
        people.append(Professional(pid, pid, f"+120255501{IDS.index(pid):02d}", draw(languages), draw(teams),
                                   zone, spans, off))
    team_roster = Roster(tuple(people), BackupLine("Backup", "+18006624357", draw(languages)),
                         Ringing(draw(st.sampled_from(("simultaneous", "longest-idle")))))
    presence = Presence(away=draw(a_few_ids), busy=draw(a_few_ids), idle_since=draw(idle_since))
    return (team_roster, now, presence, draw(st.sampled_from(("en", "es"))),
            draw(st.sampled_from(("recovery", "youth"))), sorted(draw(a_few_ids)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_everyone_chosen_is_on_shift_free_in_the_team_and_speaks_the_language_when_that_was_the_reason(scene):
    team_roster, now, presence, language, team, exclude = scene

    choice = Chooser(team_roster).choose(now, presence, language, team, exclude)

    unwanted = presence.away | presence.busy | set(exclude)
    free = [p for p in team_roster.professionals
            if on_shift_by_hand(p, now) and team in p.teams and p.id not in unwanted]
    speakers = [p for p in free if language in p.languages]
    for chosen in choice.people:
        assert on_shift_by_hand(chosen, now)
        assert team in chosen.teams
        assert chosen.id not in unwanted
        if choice.reason == "language":
            assert language in chosen.languages
    # and nobody is missed: the whole choice, worked out by hand
    if speakers:
        reason, pool = "language", speakers
    elif free and language not in team_roster.backup_line.languages:
        reason, pool = "any-language", free
    else:
        reason, pool = "nobody", []
    limit = MAX_SIMULTANEOUS if team_roster.ringing.strategy == "simultaneous" else 1
    pool.sort(key=lambda p: (p.id in presence.idle_since, presence.idle_since.get(p.id, 0.0), p.id))
    assert (choice.reason, [p.id for p in choice.people]) == (reason, [p.id for p in pool[:limit]])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_the_shift_index_finds_exactly_the_people_on_shift_by_hand_each_once(scene):
    team_roster, now = scene[:2]

    found = ShiftIndex(team_roster.professionals).on_shift(now)

    by_hand = [i for i, p in enumerate(team_roster.professionals) if on_shift_by_hand(p, now)]
    assert sorted(found) == by_hand
