"""Who is on shift at an instant, without looking at everyone: shifts indexed by hour of the week.

Each professional's shifts are in their own time zone. The index groups people by zone and, for
each of the 168 hours of a week, keeps who works all of that hour and who works part of it, so a
look-up touches only the people working that hour.
"""
from __future__ import annotations

import datetime
import zoneinfo

HOURS_IN_WEEK = 168


def daily_spans(shifts) -> list:
    """Split shifts that pass midnight: (fri, 22:00, 06:00) -> (fri, 22:00-24:00), (sat, 00:00-06:00)."""
    spans = []
    for day, start, end in shifts:
        if start < end:
            spans.append((day, start, end))
        else:
            spans.append((day, start, 1440))
            if end > 0:
                spans.append(((day + 1) % 7, 0, end))
    return spans


class ShiftIndex:
    def __init__(self, professionals):
        self.people = tuple(professionals)
        zones: dict = {}
        for index, person in enumerate(self.people):
            buckets = zones.setdefault(person.timezone, [([], []) for _ in range(HOURS_IN_WEEK)])
            for day, start, end in daily_spans(person.shifts):
                for hour in range(start // 60, -(-end // 60)):
                    low, high = hour * 60, hour * 60 + 60
                    full, partial = buckets[day * 24 + hour]
                    if start <= low and end >= high:
                        full.append(index)
                    else:
                        partial.append((index, max(start, low) - low, min(end, high) - low))
        self.zones = [(zoneinfo.ZoneInfo(name), [(frozenset(full), tuple(partial)) for full, partial in buckets])
                      for name, buckets in zones.items()]

    def on_shift(self, now: datetime.datetime) -> list:
        """Indices (into `people`) of everyone on shift at `now` and not on time off that day
        (each once, even when two of their shifts overlap)."""
        found = []
        for zone, buckets in self.zones:
            local = now.astimezone(zone)
            full, partial = buckets[local.weekday() * 24 + local.hour]
            minute = local.minute
            today = local.date()
            people = self.people
            found.extend(i for i in full if today not in people[i].time_off)
            found.extend(i for i, start, end in partial
                         if start <= minute < end and today not in people[i].time_off)
        return list(dict.fromkeys(found))
