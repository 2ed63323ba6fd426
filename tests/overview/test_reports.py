"""The weekly report, on real rows in a SQLite file and a real PostgreSQL, and its CSV and chart."""
from __future__ import annotations

import csv
import datetime
import io
import uuid
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from ivr.overview.week import OUTCOMES, WeekReport, nearest_rank, week_bounds, week_csv, week_report, weeks_back
from ivr.store.schema import call_steps, calls
from ivr.overview.charts import bar_chart

NEW_YORK = "America/New_York"
ZONE = ZoneInfo(NEW_YORK)
UTC = datetime.timezone.utc
WEEK = datetime.date(2026, 11, 23)            # a Monday, no clock change
FALL_BACK_WEEK = datetime.date(2026, 10, 26)  # clocks go back at 02:00 on Sunday 1 November
SPRING_FORWARD_WEEK = datetime.date(2026, 3, 2)   # clocks go forward at 02:00 on Sunday 8 March
CALLER_KEY = "c0ffee5ecretcallerkey0123456789abcdef00"
SVG = "{http://www.w3.org/2000/svg}"


def add_calls(engine, *rows):
    """Write calls: (started_at, outcome, waited_seconds); times in any zone, stored as UTC."""
    with engine.begin() as connection:
        for started_at, outcome, waited in rows:
            connection.execute(calls.insert().values(
                call_sid="CA" + uuid.uuid4().hex, caller_key=CALLER_KEY,
                started_at=started_at.astimezone(UTC), status="completed", outcome=outcome,
                waited_seconds=waited))


def add_steps(engine, *rows):
    """Write call steps: (at, step, answer)."""
    with engine.begin() as connection:
        connection.execute(call_steps.insert(), [
            {"call_sid": "CA-steps", "at": at.astimezone(UTC), "step": step, "answer": answer}
            for at, step, answer in rows])


def local(*parts, fold=0) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=ZONE, fold=fold)


# -- hours of the day ------------------------------------------------------------------------------
def test_a_call_at_23_local_time_counts_in_the_23rd_hour(engine):
    add_calls(engine, (local(2026, 11, 24, 23, 30), "talked", 12))   # 04:30 UTC the next day
    report = week_report(engine, WEEK, NEW_YORK)
    assert report.calls_per_hour[23] == 1
    assert sum(report.calls_per_hour) == report.total_calls == 1
    assert len(report.calls_per_hour) == 24


def test_a_week_runs_from_local_monday_midnight_to_the_next_monday_midnight(engine):
    add_calls(engine,
              (local(2026, 11, 22, 23, 59), None, None),    # the Sunday before: last week
              (local(2026, 11, 23, 0, 0), None, None),      # the first instant of the week
              (local(2026, 11, 29, 23, 59), None, None),    # its last minute
              (local(2026, 11, 30, 0, 0), None, None))      # next week
    report = week_report(engine, WEEK, NEW_YORK)
    assert report.total_calls == 2
    assert report.calls_per_hour[0] == 1 and report.calls_per_hour[23] == 1


def test_the_night_the_clocks_go_back_both_1_ams_count_in_the_first_hour(engine):
    add_calls(engine,
              (local(2026, 11, 1, 1, 30, fold=0), "talked", 5),    # 05:30 UTC, summer time
              (local(2026, 11, 1, 1, 30, fold=1), "talked", 5),    # 06:30 UTC, an hour later
              (local(2026, 11, 1, 23, 30), None, None),            # Sunday night: still this week
              (local(2026, 11, 2, 0, 30), None, None))             # Monday: next week
    start, end = week_bounds(FALL_BACK_WEEK, NEW_YORK)
    assert end - start == datetime.timedelta(hours=169)
    report = week_report(engine, FALL_BACK_WEEK, NEW_YORK)
    assert report.calls_per_hour[1] == 2
    assert report.calls_per_hour[23] == 1
    assert report.total_calls == 3


def test_the_night_the_clocks_go_forward_no_call_counts_in_the_hour_that_never_was(engine):
    add_calls(engine,
              (datetime.datetime(2026, 3, 8, 6, 59, tzinfo=UTC), None, None),   # 01:59 winter time
              (datetime.datetime(2026, 3, 8, 7, 0, tzinfo=UTC), None, None),    # 03:00 summer time
              (local(2026, 3, 8, 23, 59), None, None),     # Sunday night, 03:59 UTC Monday
              (local(2026, 3, 9, 0, 0), None, None))       # Monday, next week
    start, end = week_bounds(SPRING_FORWARD_WEEK, NEW_YORK)
    assert end - start == datetime.timedelta(hours=167)
    report = week_report(engine, SPRING_FORWARD_WEEK, NEW_YORK)
    assert (report.calls_per_hour[1], report.calls_per_hour[2], report.calls_per_hour[3]) == (1, 0, 1)
    assert report.calls_per_hour[23] == 1
    assert report.total_calls == 3


# -- outcomes and waits ----------------------------------------------------------------------------
def test_every_outcome_is_listed_in_a_fixed_order_and_no_outcome_counts_as_unknown(engine):
    monday = local(2026, 11, 23, 10, 0)
    add_calls(engine, (monday, "talked", 30), (monday, "talked", 40), (monday, "voicemail", 90),
              (monday, None, None), (monday, "abandoned", 20))
    report = week_report(engine, WEEK, NEW_YORK)
    assert list(report.outcomes) == list(OUTCOMES) == [
        "talked", "abandoned", "callback", "voicemail", "overflow", "information", "hung-up-menu",
        "hung-up-language-menu", "unknown"]
    assert report.outcomes == {"talked": 2, "abandoned": 1, "callback": 0, "voicemail": 1, "overflow": 0,
                               "information": 0, "hung-up-menu": 0, "hung-up-language-menu": 0, "unknown": 1}


def test_a_call_that_asked_for_nobody_counts_where_it_ended_not_as_heard_information(engine, shipped_flows):
    from ivr.calls.endings import ending_of

    monday = local(2026, 11, 23, 10, 0)
    add_calls(engine, (monday, "information", None), (monday, "information", None), (monday, "talked", 20))
    with engine.connect() as connection:
        _, chose = [sid for (sid,) in connection.execute(
            calls.select().with_only_columns(calls.c.call_sid).where(calls.c.outcome == "information")
            .order_by(calls.c.call_sid))]
    with engine.begin() as connection:
        connection.execute(call_steps.insert(), [
            {"call_sid": chose, "at": monday.astimezone(UTC), "step": "main:choose-language", "answer": "1"}])
    report = week_report(engine, WEEK, NEW_YORK, ending=lambda path: ending_of(path, shipped_flows))
    assert (report.outcomes["information"], report.outcomes["hung-up-menu"],
            report.outcomes["hung-up-language-menu"], report.outcomes["talked"]) == (0, 1, 1, 1)
    assert week_report(engine, WEEK, NEW_YORK).outcomes["information"] == 2


def test_an_outcome_this_version_does_not_know_is_shown_after_the_known_ones(engine):
    add_calls(engine, (local(2026, 11, 23, 10, 0), "transferred", None))
    report = week_report(engine, WEEK, NEW_YORK)
    assert list(report.outcomes)[-1] == "transferred" and report.outcomes["transferred"] == 1


def test_time_to_a_person_is_the_nearest_rank_median_and_p90_of_talked_calls_only(engine):
    tuesday = local(2026, 11, 24, 14, 0)
    add_calls(engine, *[(tuesday, "talked", seconds) for seconds in (100, 10, 90, 20, 80, 30, 70, 40, 60, 50)],
              (tuesday, "abandoned", 900),     # gave up: not a time to a person
              (tuesday, "talked", None),       # went straight through, no wait recorded
              (local(2026, 11, 30, 9, 0), "talked", 5000))    # next week
    report = week_report(engine, WEEK, NEW_YORK)
    assert report.time_to_human_median == 50    # rank ceil(0.5 * 10) = 5
    assert report.time_to_human_p90 == 90       # rank ceil(0.9 * 10) = 9


def test_nobody_talked_to_a_person_so_there_is_no_time_to_a_person(engine):
    add_calls(engine, (local(2026, 11, 24, 14, 0), "abandoned", 300))
    report = week_report(engine, WEEK, NEW_YORK)
    assert report.time_to_human_median is None and report.time_to_human_p90 is None


@pytest.mark.parametrize("values, percent, expected", [
    ([], 50, None),
    ([7], 90, 7),
    ([1, 2], 50, 1),                 # the lower middle, a wait someone really had
    (list(range(1, 12)), 90, 10),    # rank ceil(9.9) = 10
    (list(range(1, 21)), 90, 18),
    (list(range(1, 21)), 100, 20),
])
def test_nearest_rank_picks_the_value_at_rank_ceil_p_times_n(values, percent, expected):
    assert nearest_rank(values, percent) == expected


# -- menu choices ----------------------------------------------------------------------------------
def test_menu_choices_count_answers_by_step_most_chosen_first_and_skip_empty_answers(engine):
    at = local(2026, 11, 25, 9, 0)
    add_steps(engine,
              *[(at, "main:main-menu", "1")] * 3, *[(at, "main:main-menu", "2")] * 5,
              (at, "main:main-menu", "silence"), (at, "main:main-menu", ""),
              *[(at, "health-info:topics", "speech")] * 2,
              (local(2026, 11, 30, 9, 0), "main:main-menu", "1"))     # next week
    report = week_report(engine, WEEK, NEW_YORK)
    assert report.menu_choices == (
        ("health-info:topics", "speech", 2),
        ("main:main-menu", "2", 5), ("main:main-menu", "1", 3), ("main:main-menu", "silence", 1))


# -- an empty week, the CSV ------------------------------------------------------------------------
def test_a_week_without_calls_reports_zeros_and_no_waits(engine):
    report = week_report(engine, WEEK, NEW_YORK)
    assert report.total_calls == 0 and report.calls_per_hour == (0,) * 24
    assert set(report.outcomes.values()) == {0}
    assert report.time_to_human_median is None and report.menu_choices == ()
    rows = list(csv.reader(io.StringIO(week_csv(report))))
    assert ["time_to_human", "median_seconds", ""] in rows


def test_the_csv_reads_back_one_metric_a_row_and_never_holds_a_caller_key(engine):
    add_calls(engine, (local(2026, 11, 23, 0, 15), "talked", 40), (local(2026, 11, 23, 0, 45), "talked", 60),
              (local(2026, 11, 26, 13, 5), "callback", 200))
    add_steps(engine, *[(local(2026, 11, 23, 0, 16), "main:main-menu", "1")] * 12)
    text = week_csv(week_report(engine, WEEK, NEW_YORK))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "key", "value"]
    assert all(len(row) == 3 for row in rows)
    assert ["calls_per_hour", "00", "2"] in rows and ["calls_per_hour", "13", "1"] in rows
    assert len([row for row in rows if row[0] == "calls_per_hour"]) == 24
    assert ["outcome", "talked", "2"] in rows and ["outcome", "overflow", "0"] in rows
    assert ["time_to_human", "median_seconds", "40"] in rows
    assert ["time_to_human", "p90_seconds", "60"] in rows
    assert ["menu_choice", "main:main-menu=1", "12"] in rows
    assert ["total", "calls", "3"] in rows
    assert CALLER_KEY not in text and "CA" not in text


def test_a_step_a_spreadsheet_would_run_as_a_formula_is_written_as_plain_text():
    report = WeekReport(week_start=WEEK, timezone=NEW_YORK, total_calls=0, calls_per_hour=(0,) * 24,
                        outcomes=dict.fromkeys(OUTCOMES, 0), time_to_human_median=None,
                        time_to_human_p90=None, menu_choices=(("=HYPERLINK(1)", "1", 2),))
    rows = list(csv.reader(io.StringIO(week_csv(report))))
    assert ["menu_choice", "'=HYPERLINK(1)=1", "2"] in rows


def test_weeks_back_gives_the_monday_of_this_week_or_of_one_before():
    thursday = datetime.date(2026, 11, 26)
    assert weeks_back(thursday, 0) == WEEK
    assert weeks_back(WEEK, 1) == datetime.date(2026, 11, 16)
    assert weeks_back(datetime.date(2026, 11, 29), 2) == datetime.date(2026, 11, 9)


# -- the chart -------------------------------------------------------------------------------------
def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_the_chart_is_an_image_named_by_its_title_and_described_in_words():
    root = parse(bar_chart("Calls per hour", ["00", "01", "02"], [3, 0, 12], unit="calls"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == title.get("id") and title.text == "Calls per hour"
    assert root.get("aria-describedby") == desc.get("id")
    assert desc.text == "Calls per hour. 00: 3 calls; 01: 0 calls; 02: 12 calls. Highest: 02, 12 calls."


def test_the_chart_scales_to_a_phone_and_has_no_inline_style_the_staff_pages_would_block():
    svg = bar_chart("Calls per hour", [f"{hour:02d}" for hour in range(24)], list(range(24)))
    root = parse(svg)
    assert root.get("viewBox") == "0 0 640 220" and root.get("width") == "100%"
    assert root.get("height") is None
    assert "style" not in svg


def test_every_bar_has_its_own_tooltip_and_the_axes_are_labelled():
    hours = [f"{hour:02d}" for hour in range(24)]
    root = parse(bar_chart("Calls per hour", hours, [hour % 5 for hour in range(24)], unit="calls",
                           x_label="Hour of the day"))
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    assert len(bars) == 24
    assert bars[4].find(f"{SVG}title").text == "04: 4 calls"
    assert bars[0].get("fill") == "#1f5f8b"
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "Hour of the day" in texts and "calls" in texts and "00" in texts
    assert "0" in texts and "5" in texts        # the value axis: 0 up to a round top


def test_a_label_with_markup_is_escaped_not_run():
    svg = bar_chart("<b>Choices</b>", ["<script>alert(1)</script>", "a&b"], [2, 1])
    assert "<script" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == "<b>Choices</b>"
    tooltips = [title.text for title in root.iter(f"{SVG}title")]
    assert "<script>alert(1)</script>: 2" in tooltips and "a&b: 1" in tooltips


@pytest.mark.parametrize("labels, values", [([], []), (["00", "01"], [0, 0])])
def test_a_week_without_calls_draws_a_chart_that_says_so(labels, values):
    root = parse(bar_chart("Calls per hour", labels, values))
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts == ["No calls this week"]
    assert root.find(f"{SVG}desc").text == "Calls per hour: No calls this week."


def test_labels_and_values_of_different_lengths_are_refused():
    with pytest.raises(ValueError):
        bar_chart("Calls", ["00"], [1, 2])


def test_the_outcome_chart_keeps_every_label_whole_and_widens_to_the_longest():
    from ivr.overview.charts import labelled_bars

    words = ["Talked with a professional", "Hung up before choosing a language", "Left a voicemail"]
    root = parse(labelled_bars("What became of the calls", words, [3, 0, 12], unit="calls"))
    shown = [t.text for t in root.iter(f"{SVG}text")]
    assert [text for text in shown if not text.isdigit()] == words and "…" not in "".join(shown)
    longer = parse(labelled_bars("Outcomes", ["x" * 80], [1]))
    assert float(longer.get("viewBox").split()[2]) >= 80 * 0.6 * 18
