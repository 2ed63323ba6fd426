"""The roster loads from flows/roster.yaml, and each mistake staff can make in it is explained with
file, line and column.

Each file in broken/ is a small roster, valid except for the one mistake its name and first comment
describe. The tests run beside it, so every line reads as `ivr check` would print it:
`broken/NAME.yaml:LINE:COLUMN: WHERE: MESSAGE (HINT)`.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ivr.numbers import e164
from ivr.calls.routing.roster import load_roster

HERE = Path(__file__).parent
SHIPPED_ROSTER = Path(__file__).parents[3] / "flows" / "roster.yaml"
LANGUAGES = ("en", "es")

# fixture -> the one line load_roster reports for it
MISTAKES = {
    "phone-invalid": [
        "broken/phone-invalid.yaml:19:12: professional 'Ben Carter': '+15555550101' is not a phone number"
        ' that can be dialled (write it with its country code, e.g. "+12025550123")',
    ],
    "phone-without-area-code": [
        "broken/phone-without-area-code.yaml:19:12: professional 'Ben Carter': '555-0103' is not a phone"
        ' number that can be dialled (write it with its country code, e.g. "+12025550123")',
    ],
    "unknown-field": [
        "broken/unknown-field.yaml:21:5: professional 'Ben Carter': unknown field 'timzone'"
        " (did you mean 'timezone'?)",
    ],
    "bad-time-zone": [
        "broken/bad-time-zone.yaml:21:15: professional 'Ben Carter': 'America/Los_Angles' is not a time zone"
        " (use a name like America/New_York or America/Los_Angeles)",
    ],
    "bad-shift-range": [
        "broken/bad-shift-range.yaml:22:23: professional 'Ben Carter': text ('11-19') is not a time range"
        ' (write it as "08:00-16:00")',
    ],
    "bad-day-name": [
        "broken/bad-day-name.yaml:22:14: professional 'Ben Carter': 'mon-fry' is not a day or range of days"
        " (use mon, tue, … sun, a range like mon-fri, or every-day)",
    ],
    "language-not-in-flows": [
        "broken/language-not-in-flows.yaml:20:21: professional 'Ben Carter': 'fr' is not one of the flows'"
        " languages (use en, es)",
    ],
    "duplicate-phone": [
        "broken/duplicate-phone.yaml:18:5: professional 'Ben Carter': has the same phone as 'Ana Rivera'"
        " (each professional needs their own)",
    ],
    "duplicate-id": [
        "broken/duplicate-id.yaml:18:5: professional 'Ana Rivera': has the same id as 'Ana Rivera'"
        " (each professional needs their own)",
    ],
    "time-off-ends-before-it-starts": [
        "broken/time-off-ends-before-it-starts.yaml:24:9: professional 'Ben Carter': time off needs 'from'"
        " and 'to' dates, 'to' not before 'from'",
    ],
    "missing-backup-line": [
        "broken/missing-backup-line.yaml:2:1: has no 'backup_line'"
        " (name a line that answers when nobody here can, e.g. a national helpline)",
    ],
    "unknown-ringing-strategy": [
        "broken/unknown-ringing-strategy.yaml:10:13: ringing: 'round-robin' is not a ringing strategy"
        " (use simultaneous (everyone at once) or longest-idle (one by one))",
    ],
}


@pytest.fixture
def beside_the_fixtures(monkeypatch):
    monkeypatch.chdir(HERE)


def test_the_shipped_roster_loads_without_a_single_problem():
    roster, problems = load_roster(SHIPPED_ROSTER, LANGUAGES)

    assert [str(p) for p in problems] == []
    assert len(roster.professionals) == 15
    assert roster.backup_line.number == "+18006624357"
    assert roster.backup_line.languages == {"en", "es"}
    assert roster.ringing.strategy == "simultaneous"


def test_the_shipped_roster_keeps_every_number_in_e164_and_every_id_distinct():
    roster, _ = load_roster(SHIPPED_ROSTER, LANGUAGES)

    assert all(p.phone.startswith("+1") and p.phone[1:].isdigit() for p in roster.professionals)
    assert len({p.phone for p in roster.professionals}) == 15
    assert len({p.id for p in roster.professionals}) == 15
    assert roster.by_id("ana-rivera").phone == "+12025550101"
    assert roster.by_phone("+12025550115").name == "Jamal Brooks"


def test_a_stretch_of_time_off_becomes_every_day_in_it():
    roster, _ = load_roster(SHIPPED_ROSTER, LANGUAGES)

    days = sorted(str(day) for day in roster.by_id("dev-patel").time_off)

    assert days == ["2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31", "2027-01-01"]


@pytest.mark.parametrize("written, dialled", [
    ("+1 202 555 0101", "+12025550101"),
    ("+1 (202) 555-0101", "+12025550101"),
    ("202-555-0101", "+12025550101"),          # a US number without +1 is read as one
    ("+44 20 7946 0958", "+442079460958"),
    ("+15555550101", None),                     # 555 is not an area code
    ("555-0101", None),
    ("call Ana", None),
])
def test_a_phone_number_is_dialled_in_e164_or_refused(written, dialled):
    assert e164(written) == dialled


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_roster_with_one_mistake_reports_exactly_that_mistake(mistake, beside_the_fixtures):
    roster, problems = load_roster(Path("broken") / f"{mistake}.yaml", LANGUAGES)

    assert [str(p) for p in problems] == MISTAKES[mistake]
    assert roster is None


def test_every_broken_roster_fixture_has_its_expected_report():
    assert sorted(path.stem for path in (HERE / "broken").glob("*.yaml")) == sorted(MISTAKES)
