"""The Reports page (a chosen week: calls per hour, outcomes, time to a person, menu choices) and
its CSV download; the numbers come from ivr/overview/week.py, the charts from ivr/overview/charts.py."""
from __future__ import annotations

import datetime
import zoneinfo

from flask import Response, render_template, request
from markupsafe import Markup

from ...calls.endings import ending_of
from ...overview.week import week_csv, week_report, week_start_of, weeks_back
from ...overview.charts import bar_chart, labelled_bars
from ..current import services
from .blueprint import blueprint
from .guard import leads_only

#: The outcomes, in the words of the page: where each call really ended (ivr/calls/endings.py).
OUTCOME_WORDS = {"talked": "Talked with a professional", "abandoned": "Hung up waiting for a professional",
                 "callback": "Asked to be called back", "voicemail": "Left a voicemail",
                 "overflow": "Put through to the backup line", "information": "Heard information",
                 "hung-up-menu": "Hung up in a menu", "hung-up-language-menu": "Hung up before choosing a language",
                 "hung-up": "Hung up before asking for a person", "unknown": "Not known yet"}
WEEKS_OFFERED = 12


def _week_and_zone():
    ivr = services()
    roster = ivr.roster.current()
    zone = roster.timezone if roster is not None else "UTC"
    today = ivr.now().astimezone(zoneinfo.ZoneInfo(zone)).date()      # the week as the roster lives it
    try:
        chosen = week_start_of(datetime.date.fromisoformat(request.args.get("week", "")))
    except ValueError:
        chosen = weeks_back(today, 0)
    return chosen, zone, [weeks_back(today, n) for n in range(WEEKS_OFFERED)]


def _week_report(week, zone):
    ivr = services()
    flows = ivr.flows.current()
    return week_report(ivr.database, week, zone, ending=lambda path: ending_of(path, flows))


@blueprint.get("/reports")
@leads_only
def reports():
    week, zone, weeks = _week_and_zone()
    report = _week_report(week, zone)
    labels = [f"{hour:02d}" for hour in range(24)]
    per_hour = bar_chart("Calls per hour of day", labels, list(report.calls_per_hour), unit="calls",
                         x_label=f"Hour of day ({zone})")
    outcomes = labelled_bars("What became of the calls", [OUTCOME_WORDS.get(n, n) for n in report.outcomes],
                             list(report.outcomes.values()), unit="calls")
    return render_template("staff/reports.html", report=report, weeks=weeks, week=week, zone=zone,
                           per_hour=Markup(per_hour), outcomes_chart=Markup(outcomes),
                           outcome_words=OUTCOME_WORDS, page="reports")


@blueprint.get("/reports/csv")
@leads_only
def reports_csv():
    week, zone, _weeks = _week_and_zone()
    report = _week_report(week, zone)
    return Response(week_csv(report), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="helpline-week-{week.isoformat()}.csv"'})
