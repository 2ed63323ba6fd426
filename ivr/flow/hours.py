"""Is the line open now? Weekly spans in a named time zone, holidays closed, spans may pass midnight."""
from __future__ import annotations

import datetime
import zoneinfo


def is_open(spans, holidays, timezone: str, now: datetime.datetime) -> bool:
    """spans: ((weekday 0=Monday, start minute, end minute), ...); an end <= start passes midnight."""
    local = now.astimezone(zoneinfo.ZoneInfo(timezone))
    if local.date() in holidays:
        return False
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    for day, start, end in spans:
        if start < end:
            if weekday == day and start <= minute < end:
                return True
        elif (weekday == day and minute >= start) or (weekday == (day + 1) % 7 and minute < end):
            return True
    return False
