"""Weekly times as staff write them — `mon-fri: "08:00-20:00"` — for opening hours and for shifts."""
from __future__ import annotations

import re

from .source import Scalar, describe

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_days(text: str):
    """'mon-fri' -> (0, 1, 2, 3, 4); 'sat-mon' wraps the week; None when it is no day."""
    text = text.strip().lower()
    if text in ("every-day", "everyday", "daily"):
        return tuple(range(7))
    first, sep, last = text.partition("-")
    if first not in DAYS or (sep and last not in DAYS):
        return None
    start, end = DAYS.index(first), DAYS.index(last) if sep else DAYS.index(first)
    return tuple((start + i) % 7 for i in range((end - start) % 7 + 1))


def parse_time_range(text):
    """("08:00-20:00") -> (480, 1200) minutes of the day; an end at or before the start passes midnight."""
    match = TIME_RANGE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    h1, m1, h2, m2 = map(int, match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        return None
    return h1 * 60 + m1, h2 * 60 + m2


def read_weekly(group, example: str) -> tuple:
    """The spans of a group of `days: time range` fields, each mistake reported where it is written."""
    spans = []
    for day_text in group.node.entries:
        days = parse_days(day_text)
        if days is None:
            group.report(group.node.key_node(day_text), f"{day_text!r} is not a day or range of days",
                         "use mon, tue, … sun, a range like mon-fri, or every-day")
            continue
        for item in group.listing(day_text):
            span = parse_time_range(item.value if isinstance(item, Scalar) else None)
            if span is None:
                group.report(item, f"{describe(item)} is not a time range", f'write it as "{example}"')
                continue
            spans.extend((day, *span) for day in days)
    return tuple(spans)
