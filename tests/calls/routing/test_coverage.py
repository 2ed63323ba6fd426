"""`ivr check` says which hours of the coming week nobody covers in a language (an error, unless the
backup line speaks it) and which rest on the backup line or on one person alone (warnings).
"""
from __future__ import annotations

import dataclasses
import datetime
import shutil
from pathlib import Path

import freezegun
import pytest
from click.testing import CliRunner

from ivr.cli import main
from ivr.calls.routing.coverage import check_coverage
from ivr.calls.routing.roster import BackupLine, Professional, Roster, load_roster

SHIPPED_FLOWS = Path(__file__).parents[3] / "flows"
LANGUAGES = ("en", "es")
WEEK = datetime.date(2026, 11, 30)          # a Monday with no DST change and no time off
WEEKEND_NIGHTS = {"Isabel Cruz", "Diego Santos", "Jamal Brooks"}
ALL_DAY = tuple((day, 0, 1440) for day in range(7))


@pytest.fixture(scope="module")
def shipped_roster() -> Roster:
    roster, problems = load_roster(SHIPPED_FLOWS / "roster.yaml", LANGUAGES)
    assert problems == []
    return roster


def person(id, languages, shifts, zone="America/New_York", time_off=()) -> Professional:
    return Professional(id, id.title(), "+1202555" + str(1000 + len(id)), frozenset(languages),
                        frozenset({"recovery"}), zone, tuple(shifts), frozenset(time_off))


def roster(*people, backup=LANGUAGES) -> Roster:
    return Roster(tuple(people), BackupLine("SAMHSA National Helpline", "+18006624357", frozenset(backup)),
                  timezone="America/New_York")


def lines(problems) -> list:
    return [str(problem) for problem in problems]


@pytest.mark.parametrize("monday", [
    WEEK,
    datetime.date(2026, 3, 2),      # New York springs forward on its Sunday
    datetime.date(2026, 10, 26),    # and falls back on this one's
])
def test_the_shipped_roster_covers_every_hour_in_both_languages_with_two_people_or_more(shipped_roster, monday):
    assert lines(check_coverage(shipped_roster, "flows/roster.yaml", LANGUAGES, monday)) == []


def test_a_day_off_leaves_a_thin_stretch_that_week(shipped_roster):
    problems = check_coverage(shipped_roster, "flows/roster.yaml", LANGUAGES, datetime.date(2026, 12, 21))

    assert lines(problems) == [
        "flows/roster.yaml:1:1: warning: coverage 'es': one person alone takes calls in 'es'"
        " on Fri 06:00-14:00 (America/New_York) (thin: a second call then waits or goes to the backup line)",
    ]


def test_the_week_checked_is_the_coming_one_from_any_day(shipped_roster):
    # 2026-12-22 is a Tuesday: the coming week starts on Monday the 28th, after Christmas
    assert lines(check_coverage(shipped_roster, "flows/roster.yaml", LANGUAGES, datetime.date(2026, 12, 22))) == []


def test_without_the_weekend_night_people_english_weekend_nights_are_a_gap_when_the_backup_speaks_only_spanish(
        shipped_roster):
    thinned = Roster(tuple(p for p in shipped_roster.professionals if p.name not in WEEKEND_NIGHTS),
                     dataclasses.replace(shipped_roster.backup_line, languages=frozenset({"es"})),
                     shipped_roster.ringing, shipped_roster.timezone)

    problems = check_coverage(thinned, "flows/roster.yaml", LANGUAGES, WEEK)

    assert lines(problems) == [
        "flows/roster.yaml:1:1: coverage 'en': nobody takes calls in 'en' on Mon 00:00-06:00, Sat 18:00-24:00,"
        " Sun 00:00-06:00, Sun 18:00-24:00 (America/New_York) (add shifts, or a backup_line that speaks it)",
        "flows/roster.yaml:1:1: warning: coverage 'es': only the backup line takes calls in 'es' on"
        " Mon 00:00-06:00, Sat 18:00-24:00, Sun 00:00-06:00, Sun 18:00-24:00 (America/New_York)"
        " (thin: nobody of ours is on shift then)",
    ]
    assert [p.is_error for p in problems] == [True, False]


def test_hours_on_the_backup_line_alone_or_on_one_person_are_warnings_not_errors():
    wednesday_evening = [(day, 0, 1440) for day in range(7) if day != 2]
    team = roster(person("ben", ["en"], ALL_DAY),
                  person("ana", ["en", "es"], wednesday_evening + [(2, 0, 20 * 60)]),
                  person("luis", ["es"], wednesday_evening + [(2, 0, 20 * 60), (2, 22 * 60, 1440)]))

    problems = check_coverage(team, "roster.yaml", LANGUAGES, WEEK)

    assert lines(problems) == [
        "roster.yaml:1:1: warning: coverage 'en': one person alone takes calls in 'en' on Wed 20:00-24:00"
        " (America/New_York) (thin: a second call then waits or goes to the backup line)",
        "roster.yaml:1:1: warning: coverage 'es': only the backup line takes calls in 'es' on Wed 20:00-22:00"
        " (America/New_York) (thin: nobody of ours is on shift then)",
        "roster.yaml:1:1: warning: coverage 'es': one person alone takes calls in 'es' on Wed 22:00-24:00"
        " (America/New_York) (thin: a second call then waits or goes to the backup line)",
    ]
    assert {p.severity for p in problems} == {"warning"}


def test_hours_are_shown_in_the_rosters_zone_whatever_the_peoples_zones():
    # Los Angeles 09:00-17:00 is 12:00-20:00 in New York; the rest of the day is a gap
    team = roster(person("carmen", ["en"], [(d, 9 * 60, 17 * 60) for d in range(7)], "America/Los_Angeles"),
                  person("rosa", ["en"], [(d, 9 * 60, 17 * 60) for d in range(7)], "America/Los_Angeles"),
                  backup=["es"])

    [gap] = check_coverage(team, "roster.yaml", ("en",), WEEK)

    assert gap.message.startswith("nobody takes calls in 'en' on Mon 00:00-12:00, Mon 20:00-24:00, Tue 00:00-12:00")
    assert gap.message.endswith(" and 2 more (America/New_York)")        # 14 stretches, twelve shown


def test_a_person_whose_shifts_overlap_still_counts_as_one_person():
    rest_of_the_week = [(day, 0, 1440) for day in range(1, 7)] + [(0, 0, 8 * 60), (0, 13 * 60, 1440)]
    team = roster(person("ben", ["en"], rest_of_the_week),
                  person("ana", ["en"], [(0, 8 * 60, 12 * 60), (0, 11 * 60 + 30, 13 * 60)]), backup=["en"])

    [thin] = check_coverage(team, "roster.yaml", ("en",), WEEK)

    # Ben alone all week but Monday 08:00-13:00, then Ana alone: one person every hour of the week
    assert thin.message == ("one person alone takes calls in 'en' on Mon 00:00-24:00, Tue 00:00-24:00,"
                            " Wed 00:00-24:00, Thu 00:00-24:00, Fri 00:00-24:00, Sat 00:00-24:00,"
                            " Sun 00:00-24:00 (America/New_York)")


def test_a_gap_in_the_repeated_hour_when_the_clocks_go_back_is_still_found():
    # Phoenix keeps its clock. Its 23:00-24:00 is 06:00-07:00 UTC: on Sunday 2026-11-01 that is New
    # York's second 01:00-02:00 (EST), after its first one (EDT) has passed.
    team = roster(person("rosa", ["en"], [(d, 0, 23 * 60) for d in range(7)], "America/Phoenix"), backup=["es"])

    [gap] = [p for p in check_coverage(team, "roster.yaml", ("en",), datetime.date(2026, 10, 26)) if p.is_error]

    assert "Sun " in gap.message, gap.message


# -- through `ivr check`, at a frozen date -------------------------------------------------------
THIN_ROSTER = """\
timezone: America/New_York
backup_line: {name: SAMHSA National Helpline, number: "+18006624357", languages: [%s]}
professionals:
  - {name: Ana Rivera, phone: "+1 202 555 0101", languages: [en], shifts: {every-day: "00:00-24:00"}}
  - {name: Luis Ortega, phone: "+1 202 555 0105", languages: [en, es], shifts: {every-day: "06:00-22:00"}}
"""


@pytest.mark.parametrize("backup, exit_code, said", [
    ("en, es", 0, ["warning: coverage 'en': one person alone takes calls in 'en' on Mon 00:00-06:00",
                   "warning: coverage 'es': only the backup line takes calls in 'es' on Mon 00:00-06:00"]),
    ("en", 1, ["warning: coverage 'en': one person alone takes calls in 'en' on Mon 00:00-06:00",
               "coverage 'es': nobody takes calls in 'es' on Mon 00:00-06:00"]),
], ids=["thin-hours-pass", "a-gap-fails"])
def test_ivr_check_passes_thin_hours_and_fails_a_gap(tmp_path, backup, exit_code, said):
    flows = tmp_path / "flows"
    shutil.copytree(SHIPPED_FLOWS, flows)
    (flows / "roster.yaml").write_text(THIN_ROSTER % backup, encoding="utf-8")

    with freezegun.freeze_time("2026-11-25 12:00:00"):          # `ivr check` looks at the coming week
        result = CliRunner().invoke(main, ["check", str(flows)])

    assert result.exit_code == exit_code, result.output
    for words in said:
        assert words in result.output
