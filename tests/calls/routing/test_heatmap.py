"""The Roster page's heat map: for each language, each local hour of the coming week, how many of our
people are on shift, and whether the hour is a gap, rests on the backup line, is thin or covered.
"""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from ivr.calls.routing.heatmap import cell_words, coverage_grid
from ivr.calls.routing.roster import load_roster

SHIPPED_ROSTER = Path(__file__).parents[3] / "flows" / "roster.yaml"
LANGUAGES = ("en", "es")
WEEK = datetime.date(2026, 11, 30)          # a Monday with no DST change
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def roster_from(tmp_path, professionals: str, backup: str = "en, es"):
    """A roster as staff would write it, with the backup line speaking `backup`."""
    path = tmp_path / "roster.yaml"
    path.write_text("timezone: America/New_York\n"
                    f'backup_line: {{name: SAMHSA National Helpline, number: "+18006624357", languages: [{backup}]}}\n'
                    "professionals:\n" + professionals, encoding="utf-8")
    roster, problems = load_roster(path, LANGUAGES)
    assert problems == []
    return roster


ANA_ALL_WEEK = '  - {name: Ana Rivera, phone: "+1 202 555 0101", languages: [en], shifts: {every-day: "00:00-24:00"}}\n'


def states(grid, language, day) -> list:
    return [cell.state for cell in grid.cells[language][day]]


def test_an_hour_with_a_fifteen_minute_hole_is_a_gap(tmp_path):
    team = roster_from(tmp_path, '  - {name: Ana Rivera, phone: "+1 202 555 0101", languages: [en],'
                                 ' shifts: {every-day: ["00:00-03:15", "03:30-24:00"]}}\n', backup="es")

    cell = coverage_grid(team, ("en",), WEEK).cells["en"][TUE][3]

    assert (cell.fewest, cell.most, cell.names, cell.state) == (0, 1, ("Ana Rivera",), "gap")
    assert cell_words(cell, "en") == ("Tuesday 03:00–04:00, en: nobody for part of the hour,"
                                      " at most 1 person (Ana Rivera) — gap")


def test_one_person_all_hour_is_thin_and_two_all_hour_is_covered(tmp_path):
    team = roster_from(tmp_path, ANA_ALL_WEEK + '  - {name: Ben Carter, phone: "+1 202 555 0103",'
                                                ' languages: [en], shifts: {mon: "08:30-16:00"}}\n')

    monday = coverage_grid(team, ("en",), WEEK).cells["en"][MON]

    assert [(c.hour, c.fewest, c.most, c.state) for c in monday[7:10]] == [
        (7, 1, 1, "thin"), (8, 1, 2, "thin"), (9, 2, 2, "covered")]    # Ben starts at 08:30
    assert monday[8].names == ("Ana Rivera", "Ben Carter")
    assert cell_words(monday[9], "English") == ("Monday 09:00–10:00, English: 2 people (Ana Rivera, Ben Carter)"
                                                " — covered")
    assert cell_words(monday[8], "en") == "Monday 08:00–09:00, en: 1 to 2 people (Ana Rivera, Ben Carter) — thin"
    assert states(coverage_grid(team, ("en",), WEEK), "en", TUE) == ["thin"] * 24


@pytest.mark.parametrize("backup, state", [("en, es", "backup"), ("es", "gap")])
def test_an_hour_with_nobody_rests_on_the_backup_line_only_if_it_speaks_the_language(tmp_path, backup, state):
    team = roster_from(tmp_path, '  - {name: Ana Rivera, phone: "+1 202 555 0101", languages: [en],'
                                 ' shifts: {mon-fri: "09:00-17:00"}}\n', backup=backup)

    grid = coverage_grid(team, LANGUAGES, WEEK)

    saturday_noon = grid.cells["en"][SAT][12]
    assert (saturday_noon.fewest, saturday_noon.most, saturday_noon.names, saturday_noon.state) == (0, 0, (), state)
    assert grid.cells["en"][MON][12].state == "thin"
    assert grid.cells["es"][MON][12].names == ()                # Ana does not speak Spanish
    assert grid.summary("es") == {"gap": 0, "backup": 168, "thin": 0, "covered": 0, "none": 0}


def test_a_cell_in_plain_words_names_the_day_the_hour_the_language_and_the_state(tmp_path):
    team = roster_from(tmp_path, ANA_ALL_WEEK, backup="en")

    grid = coverage_grid(team, LANGUAGES, WEEK)

    assert cell_words(grid.cells["es"][TUE][3], "es") == "Tuesday 03:00–04:00, es: nobody — gap"
    assert cell_words(grid.cells["en"][SUN][23], "en") == "Sunday 23:00–24:00, en: 1 person (Ana Rivera) — thin"


def test_a_backup_only_hour_in_words_says_so(tmp_path):
    team = roster_from(tmp_path, ANA_ALL_WEEK)

    cell = coverage_grid(team, ("es",), WEEK).cells["es"][WED][0]

    assert cell_words(cell, "es") == "Wednesday 00:00–01:00, es: nobody — backup line only"


def test_hours_are_the_rosters_local_hours_whatever_the_persons_time_zone(tmp_path):
    # Los Angeles 09:00-17:00 is 12:00-20:00 in New York
    team = roster_from(tmp_path, '  - {name: Carmen Díaz, phone: "+1 202 555 0104", languages: [en],'
                                 ' timezone: America/Los_Angeles, shifts: {every-day: "09:00-17:00"}}\n', backup="es")

    grid = coverage_grid(team, ("en",), WEEK)

    assert grid.timezone == "America/New_York"
    assert states(grid, "en", THU) == ["gap"] * 12 + ["thin"] * 8 + ["gap"] * 4


def test_a_day_off_takes_the_person_off_for_that_date_in_their_own_time_zone(tmp_path):
    # Ben's Wednesday in Los Angeles runs from New York's Wednesday 03:00 to Thursday 03:00
    team = roster_from(tmp_path, ANA_ALL_WEEK + '  - {name: Ben Carter, phone: "+1 202 555 0103", languages: [en],'
                                                ' timezone: America/Los_Angeles, shifts: {every-day: "00:00-24:00"},'
                                                ' time_off: [2026-12-02]}\n')

    grid = coverage_grid(team, ("en",), WEEK)

    assert states(grid, "en", WED) == ["covered"] * 3 + ["thin"] * 21
    assert states(grid, "en", THU) == ["thin"] * 3 + ["covered"] * 21
    assert grid.cells["en"][WED][12].names == ("Ana Rivera",)
    assert grid.summary("en") == {"gap": 0, "backup": 0, "thin": 24, "covered": 144, "none": 0}


def test_only_the_team_asked_for_counts(tmp_path):
    team = roster_from(tmp_path, ANA_ALL_WEEK + '  - {name: Ben Carter, phone: "+1 202 555 0103", languages: [en],'
                                                ' teams: [family], shifts: {every-day: "00:00-24:00"}}\n')

    assert coverage_grid(team, ("en",), WEEK).summary("en")["thin"] == 168
    assert coverage_grid(team, ("en",), WEEK, team="family").cells["en"][MON][0].names == ("Ben Carter",)


def test_the_hour_new_york_skips_in_spring_is_none_and_counts_toward_nothing(tmp_path):
    team = roster_from(tmp_path, ANA_ALL_WEEK, backup="es")

    grid = coverage_grid(team, ("en",), datetime.date(2026, 3, 2))    # clocks go forward Sunday 8 March

    skipped = grid.cells["en"][SUN][2]
    assert (skipped.state, skipped.quarter_hours, skipped.names) == ("none", 0, ())
    assert states(grid, "en", SUN)[1:4] == ["thin", "none", "thin"]
    assert grid.summary("en") == {"gap": 0, "backup": 0, "thin": 167, "covered": 0, "none": 1}
    assert cell_words(skipped, "en") == "Sunday 02:00–03:00: no such hour this week (the clocks go forward)"


def test_both_instants_of_the_repeated_autumn_hour_count_toward_its_cell(tmp_path):
    # Phoenix keeps its clock. Its 23:00-24:00 is 06:00-07:00 UTC: on Sunday 2026-11-01 that is New
    # York's second 01:00-02:00 (EST); the first one (EDT) is Phoenix's 22:00, when Rosa works.
    team = roster_from(tmp_path, '  - {name: Rosa Medina, phone: "+1 202 555 0111", languages: [en],'
                                 ' timezone: America/Phoenix, shifts: {every-day: "00:00-23:00"}}\n', backup="es")

    grid = coverage_grid(team, ("en",), datetime.date(2026, 10, 26))

    repeated = grid.cells["en"][SUN][1]
    assert (repeated.quarter_hours, repeated.fewest, repeated.most, repeated.state) == (8, 0, 1, "gap")
    assert [grid.cells["en"][day][2].state for day in range(6)] == ["gap"] * 6     # 02:00 EDT all week
    assert grid.cells["en"][SUN][2].state == "thin"
    assert grid.summary("en") == {"gap": 7, "backup": 0, "thin": 161, "covered": 0, "none": 0}
    assert cell_words(repeated, "en").endswith(" — gap (this hour happens twice: the clocks go back)")


@pytest.fixture(scope="module")
def shipped_roster():
    roster, problems = load_roster(SHIPPED_ROSTER, LANGUAGES)
    assert problems == []
    return roster


@pytest.mark.parametrize("monday", [WEEK, datetime.date(2026, 3, 2), datetime.date(2026, 10, 26)],
                         ids=["plain-week", "spring-forward", "fall-back"])
def test_the_shipped_roster_has_no_gap_in_english_or_spanish(shipped_roster, monday):
    grid = coverage_grid(shipped_roster, LANGUAGES, monday)

    for code in LANGUAGES:
        summary = grid.summary(code)
        assert summary["gap"] == summary["backup"] == summary["thin"] == 0, (code, summary)
        assert summary["covered"] + summary["none"] == 168


def test_the_grid_agrees_with_ivr_check_about_a_day_off_in_the_shipped_roster(shipped_roster):
    # Ana Rivera is off on Christmas Day, a Friday: `ivr check` warns of Spanish 06:00-14:00 that week
    grid = coverage_grid(shipped_roster, LANGUAGES, datetime.date(2026, 12, 21))

    thin = [(code, day, cell.hour) for code in LANGUAGES for day, row in enumerate(grid.cells[code])
            for cell in row if cell.state != "covered"]
    assert thin == [("es", FRI, hour) for hour in range(6, 14)]
    assert "Ana Rivera" not in grid.cells["es"][FRI][8].names


@pytest.mark.parametrize("today, monday", [
    (datetime.date(2026, 11, 30), datetime.date(2026, 11, 30)),    # a Monday: this week
    (datetime.date(2026, 12, 22), datetime.date(2026, 12, 28)),    # a Tuesday: the next Monday's
])
def test_the_week_shown_is_the_coming_one_as_ivr_check_counts_it(shipped_roster, today, monday):
    grid = coverage_grid(shipped_roster, LANGUAGES, today)

    assert (grid.week_start, grid.languages) == (monday, LANGUAGES)
    assert [len(grid.cells["en"]), {len(row) for row in grid.cells["en"]}] == [7, {24}]
