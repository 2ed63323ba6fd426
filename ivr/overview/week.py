"""The weekly report on the staff Reports page: what a week of calls looked like, read from the
calls and call_steps tables in the roster's time zone. Plain Python; the page and its CSV render it.

Nothing here ever reads or returns a caller's number or caller_key: only counts and waits.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import io
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from ..utc import aware
from ..store.week_numbers import read_week

#: Every outcome the report shows, in the order the page and the CSV list them. 'unknown' counts
#: calls with no outcome recorded (still in progress, or ended before one was known). A call that
#: asked for nobody is recorded as 'information'; where it really ended (ivr/calls/endings.py) splits
#: it into heard information, hung up in a menu, or before choosing a language.
OUTCOMES = ("talked", "abandoned", "callback", "voicemail", "overflow", "information", "hung-up-menu",
            "hung-up-language-menu", "unknown")
DAYS = 7


@dataclasses.dataclass(frozen=True)
class WeekReport:
    week_start: datetime.date            # the first local day of the week
    timezone: str                        # the zoneinfo name the days and hours are counted in
    total_calls: int
    calls_per_hour: tuple[int, ...]      # 24 counts: calls started in each local hour of day
    outcomes: dict[str, int]             # OUTCOMES in order, then any outcome this code does not know
    time_to_human_median: int | None     # seconds; None when nobody talked to a person
    time_to_human_p90: int | None
    menu_choices: tuple[tuple[str, str, int], ...]   # (step, answer, count): by step, then count desc


def week_start_of(day: datetime.date) -> datetime.date:
    """The Monday of the week `day` is in: the page's weeks run Monday to Sunday."""
    return day - datetime.timedelta(days=day.weekday())


def weeks_back(today: datetime.date, n: int) -> datetime.date:
    """The Monday `n` weeks before this one (0: this week, 1: last week), for the page's week picker."""
    return week_start_of(today) - datetime.timedelta(weeks=n)


def week_bounds(week_start: datetime.date, timezone: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The week as [start, end) in UTC: local midnight to local midnight, so a week that changes
    the clocks is 167 or 169 hours long, as the people who worked it lived it."""
    zone = ZoneInfo(timezone)
    start = datetime.datetime.combine(week_start, datetime.time(0), tzinfo=zone)
    end = datetime.datetime.combine(week_start + datetime.timedelta(days=DAYS), datetime.time(0), tzinfo=zone)
    return start.astimezone(datetime.timezone.utc), end.astimezone(datetime.timezone.utc)


def nearest_rank(sorted_values: list[int], percent: int) -> int | None:
    """The nearest-rank percentile: the smallest value with at least `percent`% of the values at or
    below it (rank ceil(percent/100 * n), counted from 1). It is always a wait a caller really had,
    never an average of two; the median is percent=50, the lower middle of an even count."""
    if not sorted_values:
        return None
    rank = max(1, -(-percent * len(sorted_values) // 100))
    return sorted_values[rank - 1]


def week_report(engine: Engine, week_start: datetime.date, timezone: str,
                ending: Callable[[tuple], str] | None = None) -> WeekReport:
    """The report for the 7 local days from `week_start` in `timezone` (the roster's zone).
    `ending(path)` names where a call that asked for nobody ended (call_endings.ending_of with the
    flows); without it they are all counted as 'information'."""
    zone = ZoneInfo(timezone)
    start, end = week_bounds(week_start, timezone)
    rows = read_week(engine, start, end, with_paths=ending is not None)
    per_hour = [0] * 24
    for started_at in rows.started:
        per_hour[aware(started_at).astimezone(zone).hour] += 1
    counted = dict(rows.outcomes)
    if ending is not None and counted.pop("information", 0):
        for path in rows.information_paths.values():
            name = ending(tuple(path))
            counted[name] = counted.get(name, 0) + 1
    return WeekReport(
        week_start=week_start,
        timezone=timezone,
        total_calls=sum(per_hour),
        calls_per_hour=tuple(per_hour),
        outcomes=_outcomes(counted),
        time_to_human_median=nearest_rank(rows.talked_waits, 50),
        time_to_human_p90=nearest_rank(rows.talked_waits, 90),
        menu_choices=tuple(sorted(rows.choices, key=lambda row: (row[0], -row[2], row[1]))),
    )


def _outcomes(counted: dict[str | None, int]) -> dict[str, int]:
    """Every known outcome, 0 when none; an outcome newer code wrote is shown after them, not hidden."""
    result = {outcome: 0 for outcome in OUTCOMES}
    for outcome, count in counted.items():
        key = "unknown" if outcome is None else outcome
        result[key] = result.get(key, 0) + int(count)
    return result


def week_csv(report: WeekReport) -> str:
    """The report as `section,key,value` rows, one metric a row, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("section", "key", "value"))
    writer.writerow(("week", "start", report.week_start.isoformat()))
    writer.writerow(("week", "timezone", _cell(report.timezone)))
    writer.writerow(("total", "calls", report.total_calls))
    for hour, count in enumerate(report.calls_per_hour):
        writer.writerow(("calls_per_hour", f"{hour:02d}", count))
    for outcome, count in report.outcomes.items():
        writer.writerow(("outcome", _cell(outcome), count))
    for name, seconds in (("median_seconds", report.time_to_human_median),
                          ("p90_seconds", report.time_to_human_p90)):
        writer.writerow(("time_to_human", name, "" if seconds is None else seconds))
    for step, answer, count in report.menu_choices:
        writer.writerow(("menu_choice", _cell(f"{step}={answer}"), count))
    return out.getvalue()


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with one of these as a formula; step names come from
    # staff-edited flows, so one is quoted into plain text rather than trusted.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
