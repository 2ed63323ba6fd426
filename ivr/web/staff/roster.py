"""The Roster page: who covers which hour of the coming week in which language, as a heat-map
table (ivr/calls/routing/heatmap.py), gaps and thin hours marked in words as well as colour."""
from __future__ import annotations

import zoneinfo

from flask import render_template

from ...calls.routing.heatmap import DAY_NAMES, cell_words, coverage_grid
from ..current import services
from .blueprint import blueprint
from .guard import leads_only
from .words import language_name


@blueprint.get("/roster")
@leads_only
def roster():
    ivr = services()
    current, flows = ivr.roster.current(), ivr.flows.current()
    if current is None or flows is None:
        return render_template("staff/problem.html", title="The roster has problems",
                               message="The roster or the flows cannot be read just now: run `ivr check` "
                                       "and see the Flows page."), 503
    languages = tuple(language.code for language in flows.languages)
    today = ivr.now().astimezone(zoneinfo.ZoneInfo(current.timezone)).date()
    grid = coverage_grid(current, languages, today)
    words = {(code, cell.weekday, cell.hour): cell_words(cell, language_name(code))
             for code in languages for day in grid.cells[code] for cell in day}
    return render_template("staff/roster.html", grid=grid, days=DAY_NAMES, words=words,
                           people=current.professionals, page="roster")
