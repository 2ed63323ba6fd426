"""An hours step sends the call one way when the line is open and another when it is closed."""
import datetime
import json

import pytest

from ivr.calls.engine import begin
from ivr.flow.loader import load_flows
from ivr.flow.hours import is_open
from shipped_messages import messages_yaml

UTC = datetime.timezone.utc
HOUR = 60     # minutes
MAIN_YAML = """\
languages:
  en: {{name: English, voice: Polly.Joanna-Neural, speech: en-US, pronounce: {{"911": digits, "988": digits}}}}
  es: {{name: Español, voice: Polly.Lupe-Neural, speech: es-US, pronounce: {{"911": digits, "988": digits}}}}
start: office-hours
fallback: talk-to-someone
steps:
  office-hours:
    type: hours
    timezone: {timezone}
    open: {open}
    holidays: {holidays}
    if_open: talk-to-someone
    if_closed: partner-line
  talk-to-someone:
    type: connect
    prompt: {{en: Please hold., es: Por favor espere.}}
    team: recovery
    if_nobody_answers: partner-line
  partner-line:
    type: backup-line
    prompt: {{en: Connecting you to our partner line., es: Lo comunico con nuestra línea asociada.}}
"""


@pytest.fixture
def line(tmp_path):
    """Write a one-step hours flow, and say which way a call at `now` (UTC) goes: 'open' or 'closed'."""
    def way(now, open, timezone="America/New_York", holidays=()):
        flows_dir = tmp_path / "flows"
        flows_dir.mkdir(exist_ok=True)
        (flows_dir / "main.yaml").write_text(MAIN_YAML.format(
            timezone=timezone, open=json.dumps(open), holidays="[" + ", ".join(holidays) + "]") + messages_yaml())
        result = load_flows(flows_dir, today=datetime.date(2026, 11, 25))
        assert result.errors == [], "\n".join(map(str, result.errors))
        step = begin(result.flows, now).step.name
        return {"talk-to-someone": "open", "partner-line": "closed"}[step]
    return way


def utc(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


OFFICE = {"mon-fri": "09:00-17:00"}
EVERY_DAY = {"every-day": "09:00-17:00"}


@pytest.mark.parametrize("now, timezone, expected", [
    (utc(2026, 11, 25, 14, 30), "America/New_York", "open"),       # Wed 09:30 EST
    (utc(2026, 11, 25, 13, 59), "America/New_York", "closed"),     # Wed 08:59 EST
    (utc(2026, 11, 25, 22, 0), "America/New_York", "closed"),      # Wed 17:00 EST: the end is closed
    (utc(2026, 11, 25, 14, 30), "America/Los_Angeles", "closed"),  # Wed 06:30 PST
    (utc(2026, 11, 28, 0, 30), "America/Los_Angeles", "open"),     # Sat in UTC, still Fri 16:30 PST
    (utc(2026, 11, 30, 0, 30), "Asia/Tokyo", "open"),              # Mon 00:30 UTC is Mon 09:30 in Tokyo
    (utc(2026, 11, 28, 14, 30), "America/New_York", "closed"),     # Sat 09:30 EST
    (utc(2026, 11, 30, 16, 30), "America/Los_Angeles", "closed"),  # Mon 16:30 UTC, but 08:30 PST
], ids=["new-york-open", "new-york-before-opening", "new-york-at-closing", "los-angeles-before-opening",
        "los-angeles-friday-afternoon", "tokyo-monday-morning", "saturday", "los-angeles-monday-early"])
def test_the_hours_step_reads_the_clock_in_its_own_time_zone(line, now, timezone, expected):
    assert line(now, OFFICE, timezone) == expected


@pytest.mark.parametrize("now, expected", [
    # 2026-03-08: New York springs forward, 02:00 EST becomes 03:00 EDT.
    (utc(2026, 3, 7, 13, 30), "closed"),    # Sat 08:30 EST
    (utc(2026, 3, 8, 13, 30), "open"),      # Sun 09:30 EDT (08:30 if the offset were stale)
    (utc(2026, 3, 8, 20, 30), "open"),      # Sun 16:30 EDT
    (utc(2026, 3, 8, 21, 30), "closed"),    # Sun 17:30 EDT (16:30 if the offset were stale)
    # 2026-11-01: New York falls back, 02:00 EDT becomes 01:00 EST.
    (utc(2026, 10, 31, 13, 30), "open"),    # Sat 09:30 EDT
    (utc(2026, 11, 1, 13, 30), "closed"),   # Sun 08:30 EST (09:30 if the offset were stale)
    (utc(2026, 11, 1, 14, 30), "open"),     # Sun 09:30 EST
    (utc(2026, 11, 1, 21, 30), "open"),     # Sun 16:30 EST (17:30 if the offset were stale)
    (utc(2026, 11, 1, 22, 30), "closed"),   # Sun 17:30 EST
])
def test_the_hours_step_follows_daylight_saving_changes(line, now, expected):
    assert line(now, EVERY_DAY) == expected


@pytest.mark.parametrize("now, expected", [
    (utc(2026, 3, 8, 6, 30), "open"),      # 01:30 EST, just before the clocks jump
    (utc(2026, 3, 8, 7, 30), "open"),      # 03:30 EDT, just after
    (utc(2026, 3, 8, 8, 0), "closed"),     # 04:00 EDT
    (utc(2026, 11, 1, 5, 30), "open"),     # 01:30 EDT, the first time
    (utc(2026, 11, 1, 6, 30), "open"),     # 01:30 EST, the second time
    (utc(2026, 11, 1, 8, 30), "open"),     # 03:30 EST
    (utc(2026, 11, 1, 9, 30), "closed"),   # 04:30 EST
])
def test_a_span_across_the_hour_the_clocks_change_counts_local_time(line, now, expected):
    assert line(now, {"every-day": "01:00-04:00"}) == expected


@pytest.mark.parametrize("now, open, expected", [
    (utc(2026, 11, 28, 2, 59), {"mon-fri": "22:00-06:00"}, "closed"),  # Fri 21:59 EST
    (utc(2026, 11, 28, 3, 0), {"mon-fri": "22:00-06:00"}, "open"),     # Fri 22:00 EST
    (utc(2026, 11, 28, 8, 0), {"mon-fri": "22:00-06:00"}, "open"),     # Sat 03:00: Friday's night
    (utc(2026, 11, 28, 11, 0), {"mon-fri": "22:00-06:00"}, "closed"),  # Sat 06:00: the end is closed
    (utc(2026, 11, 29, 4, 0), {"mon-fri": "22:00-06:00"}, "closed"),   # Sat 23:00: no Saturday night
    (utc(2026, 11, 30, 8, 0), {"mon-fri": "22:00-06:00"}, "closed"),   # Mon 03:00: no Sunday night
    (utc(2026, 12, 1, 8, 0), {"mon-fri": "22:00-06:00"}, "open"),      # Tue 03:00: Monday's night
    (utc(2026, 11, 30, 8, 0), {"sun": "22:00-06:00"}, "open"),         # Mon 03:00: Sunday's night, across the week
    (utc(2026, 11, 1, 6, 30), {"sat": "22:00-06:00"}, "open"),         # Sun 01:30 EST, the night the clocks fall back
    (utc(2026, 11, 1, 10, 30), {"sat": "22:00-06:00"}, "open"),        # Sun 05:30 EST (06:30 if the offset were stale)
    (utc(2026, 11, 1, 11, 0), {"sat": "22:00-06:00"}, "closed"),       # Sun 06:00 EST
    (utc(2026, 3, 8, 10, 30), {"sat": "22:00-06:00"}, "closed"),       # Sun 06:30 EDT, the night the clocks jump
    (utc(2026, 3, 8, 9, 30), {"sat": "22:00-06:00"}, "open"),          # Sun 05:30 EDT
])
def test_a_span_may_pass_midnight_into_the_next_day(line, now, open, expected):
    assert line(now, open) == expected


@pytest.mark.parametrize("now, expected", [
    (utc(2026, 12, 24, 15, 0), "open"),     # Thu 24 Dec, 10:00 EST
    (utc(2026, 12, 25, 15, 0), "closed"),   # Fri 25 Dec, 10:00 EST
    (utc(2026, 12, 25, 3, 0), "open"),      # already 25 Dec in UTC, still 24 Dec 22:00 in New York
    (utc(2026, 12, 26, 4, 30), "closed"),   # 26 Dec in UTC, still 25 Dec 23:30 in New York
    (utc(2026, 12, 26, 5, 30), "open"),     # Sat 26 Dec, 00:30 EST
    (utc(2027, 1, 1, 17, 0), "closed"),     # New Year's Day
])
def test_a_holiday_is_closed_all_day_by_the_local_calendar(line, now, expected):
    assert line(now, {"every-day": "00:00-24:00"}, holidays=["2026-12-25", "2027-01-01"]) == expected


def test_a_line_open_around_the_clock_is_open_at_midnight_and_just_before(line):
    assert line(utc(2026, 11, 25, 5, 0), {"every-day": "00:00-24:00"}) == "open"   # 00:00 EST
    assert line(utc(2026, 11, 26, 4, 59), {"every-day": "00:00-24:00"}) == "open"  # 23:59 EST


@pytest.mark.parametrize("weekday, minute, expected", [
    (2, 21 * HOUR + 59, False),
    (2, 22 * HOUR, True),
    (3, 5 * HOUR + 59, True),
    (3, 6 * HOUR, False),
    (4, 3 * HOUR, False),
])
def test_is_open_counts_an_end_before_the_start_as_the_next_morning(weekday, minute, expected):
    now = datetime.datetime(2026, 11, 23, tzinfo=UTC) + datetime.timedelta(days=weekday, minutes=minute)

    assert is_open(((2, 22 * HOUR, 6 * HOUR),), frozenset(), "UTC", now) is expected


def test_is_open_is_closed_when_no_span_is_given():
    assert is_open((), frozenset(), "UTC", utc(2026, 11, 25, 12, 0)) is False
