"""The roster's coming week as a heat map for the staff Roster page: per language, each local hour of
each day, how many of our people are on shift and whether that hour is a gap, thin or covered.

It walks the same real quarter-hour instants as `check_coverage`, so the page and `ivr check` agree.
"""
from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from .coverage import coming_monday, week_moments
from .shifts import ShiftIndex

STATES = ("gap", "backup", "thin", "covered", "none")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATE_WORDS = {"gap": "gap", "backup": "backup line only", "thin": "thin", "covered": "covered"}


@dataclass(frozen=True)
class Cell:
    """One local hour of one day, for one language."""
    weekday: int                  # 0 = Monday
    hour: int                     # local hour in the roster's zone, 0..23
    fewest: int                   # the least of our people on shift in any quarter-hour of it
    most: int
    names: tuple                  # everyone on shift at some point in the hour, sorted
    state: str                    # one of STATES; "none" is an hour the clocks skip
    quarter_hours: int = 4        # instants counted: 0 when skipped, 8 when the clocks go back


@dataclass(frozen=True)
class CoverageGrid:
    timezone: str
    week_start: datetime.date     # the Monday of the week shown
    languages: tuple
    cells: dict                   # cells[language][weekday][hour] -> Cell

    def summary(self, language: str) -> dict:
        """How many hours of the week are in each state (every state named, zero or not), for the
        page's legend and for a glance at whether anything is red."""
        counts = dict.fromkeys(STATES, 0)
        for day in self.cells[language]:
            for cell in day:
                counts[cell.state] += 1
        return counts


def coverage_grid(roster, languages: tuple, today: datetime.date, team: str = "recovery") -> CoverageGrid:
    """The coming week's 7 x 24 grid for each language, hours in the roster's time zone. Time off
    counts as ShiftIndex counts it: a person is off on those dates in their own zone."""
    zone = zoneinfo.ZoneInfo(roster.timezone)
    monday = coming_monday(today)
    index = ShiftIndex(p for p in roster.professionals if team in p.teams)
    # (weekday, hour) -> who is on shift at each of its instants (4, 8 in a repeated hour, none if skipped)
    hours: dict = {}
    for local in week_moments(zone, monday):
        on = [index.people[i] for i in index.on_shift(local)]
        hours.setdefault((local.weekday(), local.hour), []).append(on)
    cells = {}
    for code in languages:
        backup = code in roster.backup_line.languages
        cells[code] = tuple(tuple(hour_cell(day, hour, hours.get((day, hour), []), code, backup)
                                  for hour in range(24)) for day in range(7))
    return CoverageGrid(roster.timezone, monday, tuple(languages), cells)


def hour_cell(day: int, hour: int, instants: list, code: str, backup: bool) -> Cell:
    """An hour's cell from who was on shift at each of its instants; a single empty quarter-hour
    makes the whole hour a gap, because a caller then would reach nobody."""
    if not instants:
        return Cell(day, hour, 0, 0, (), "none", 0)
    counts, names = [], set()
    for people in instants:
        speaking = [p.name for p in people if code in p.languages]
        counts.append(len(speaking))
        names.update(speaking)
    fewest = min(counts)
    if fewest == 0:
        state = "backup" if backup else "gap"
    else:
        state = "thin" if fewest == 1 else "covered"
    return Cell(day, hour, fewest, max(counts), tuple(sorted(names)), state, len(instants))


def cell_words(cell: Cell, language: str) -> str:
    """Plain words for a cell, for screen readers and the title attribute:
    'Tuesday 03:00–04:00, es: nobody — gap'. `language` is shown as given (a code or a name)."""
    end = "24:00" if cell.hour == 23 else f"{cell.hour + 1:02d}:00"
    when = f"{DAY_NAMES[cell.weekday]} {cell.hour:02d}:00–{end}"
    if cell.state == "none":
        return f"{when}: no such hour this week (the clocks go forward)"
    if cell.most == 0:
        people = "nobody"
    elif cell.fewest == cell.most:
        people = count_words(cell.most)
    elif cell.fewest == 0:
        people = f"nobody for part of the hour, at most {count_words(cell.most)}"
    else:
        people = f"{cell.fewest} to {cell.most} people"
    if cell.names:
        people += " (" + ", ".join(cell.names) + ")"
    twice = " (this hour happens twice: the clocks go back)" if cell.quarter_hours > 4 else ""
    return f"{when}, {language}: {people} — {STATE_WORDS[cell.state]}{twice}"


def count_words(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"
