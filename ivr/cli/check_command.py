"""`ivr check` as a whole: the flows, the roster beside them, and whether the two fit together."""
from __future__ import annotations

import datetime
from pathlib import Path

from ..flow.loader import load_flows
from ..calls.routing.coverage import check_coverage
from ..calls.routing.roster import ROSTER_FILE, load_roster


def check_helpline(flows_dir, audio_dir=None, review_months: int = 12, today: datetime.date | None = None):
    """(flows LoadResult, roster or None, every problem of flows and roster, sorted)."""
    today = today or datetime.date.today()
    roster_path = Path(flows_dir) / ROSTER_FILE
    roster, roster_problems = None, []
    if roster_path.exists():
        flows_first = load_flows(flows_dir, audio_dir, today=today, review_months=review_months)
        languages = None            # flows that do not load: the roster is checked on its own terms
        if flows_first.flows is not None:
            languages = tuple(language.code for language in flows_first.flows.languages)
        roster, roster_problems = load_roster(roster_path, languages)
        if roster is not None:
            covered = languages or tuple(sorted({code for person in roster.professionals for code in person.languages}))
            roster_problems += check_coverage(roster, str(roster_path), covered, today)
    result = load_flows(flows_dir, audio_dir, today=today, review_months=review_months,
                        teams=roster.teams if roster is not None else None)
    return result, roster, result.problems + roster_problems
