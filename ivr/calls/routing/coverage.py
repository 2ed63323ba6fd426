"""Does the roster cover every hour of the week in every language? Gaps fail `ivr check`; hours
that rest on one person or on the backup line alone are listed as thin, so a coordinator sees them."""
from __future__ import annotations

import datetime
import zoneinfo

from ...yamlfile.problems import WARNING, Problem
from .shifts import ShiftIndex

STEP_MINUTES = 15
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def check_coverage(roster, file: str, languages: tuple, today: datetime.date, team: str = "recovery") -> list:
    zone = zoneinfo.ZoneInfo(roster.timezone)
    index = ShiftIndex(p for p in roster.professionals if team in p.teams)
    moments = week_moments(zone, coming_monday(today))
    problems = []
    for code in languages:
        gaps, backup_only, one_person = [], [], []
        for local in moments:
            count = sum(1 for i in index.on_shift(local) if code in index.people[i].languages)
            if count == 0:
                (backup_only if code in roster.backup_line.languages else gaps).append(local)
            elif count == 1:
                one_person.append(local)
        if gaps:
            problems.append(Problem(file, 1, 1, f"coverage '{code}'",
                                    f"nobody takes calls in {code!r} {describe(gaps)}",
                                    "add shifts, or a backup_line that speaks it"))
        if backup_only:
            problems.append(Problem(file, 1, 1, f"coverage '{code}'",
                                    f"only the backup line takes calls in {code!r} {describe(backup_only)}",
                                    "thin: nobody of ours is on shift then", WARNING))
        if one_person:
            problems.append(Problem(file, 1, 1, f"coverage '{code}'",
                                    f"one person alone takes calls in {code!r} {describe(one_person)}",
                                    "thin: a second call then waits or goes to the backup line", WARNING))
    return problems


def coming_monday(today: datetime.date) -> datetime.date:
    """The Monday the grid starts on: today if it is a Monday, as `ivr check` counts the coming week."""
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7)


def week_moments(zone: zoneinfo.ZoneInfo, monday: datetime.date) -> list:
    """Real instants a quarter-hour apart from Monday 00:00 to the next, local to `zone`: stepped in
    UTC, so a spring week skips the missing hour and an autumn week has its repeated hour twice."""
    start = datetime.datetime.combine(monday, datetime.time(), zone).astimezone(datetime.timezone.utc)
    end = datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time(), zone)
    moments = []
    while start < end:
        moments.append(start.astimezone(zone))
        start += datetime.timedelta(minutes=STEP_MINUTES)
    return moments


def describe(moments: list) -> str:
    """Quarter-hours -> 'Mon 02:00-06:00, Sat 22:00-24:00 (America/New_York)'."""
    ranges, first, last = [], moments[0], moments[0]
    for moment in moments[1:]:
        if (moment.timestamp() - last.timestamp() == STEP_MINUTES * 60 and moment.date() == first.date()
                and moment.utcoffset() == last.utcoffset()):
            last = moment
            continue
        ranges.append((first, last))
        first = last = moment
    ranges.append((first, last))
    parts = []
    for low, high in ranges[:12]:
        end = high + datetime.timedelta(minutes=STEP_MINUTES)
        end_text = "24:00" if end.date() != low.date() else end.strftime("%H:%M")
        parts.append(f"{DAY_NAMES[low.weekday()]} {low.strftime('%H:%M')}-{end_text}")
    more = f" and {len(ranges) - 12} more" if len(ranges) > 12 else ""
    return "on " + ", ".join(parts) + more + f" ({moments[0].tzinfo})"
