"""The Calls page: recent calls, their outcome, wait and path — callers only as a short pseudonym."""
from __future__ import annotations

import zoneinfo

from flask import render_template

from ...calls.endings import outcome_of
from ..current import services
from .blueprint import blueprint
from .guard import leads_only
from .reports import OUTCOME_WORDS

SHOWN = 100


@blueprint.get("/calls")
@leads_only
def calls():
    ivr = services()
    roster = ivr.roster.current()
    zone = zoneinfo.ZoneInfo(roster.timezone if roster is not None else "UTC")
    rows, flows = ivr.recent_calls(SHOWN), ivr.flows.current()
    outcomes = {call.call_sid: outcome_of(call.outcome, call.path, flows) for call in rows}
    return render_template("staff/calls.html", calls=rows, outcomes=outcomes, zone=zone,
                           outcome_words=OUTCOME_WORDS, shown=SHOWN, page="calls")
