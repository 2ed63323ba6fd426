"""Warns when health information is not sourced or its review is missing or out of date."""
from __future__ import annotations

import datetime

from .problems import WARNING, Problem

DEFAULT_REVIEW_MONTHS = 12


def check_reviews(prompts: dict, today: datetime.date, months: int = DEFAULT_REVIEW_MONTHS) -> list:
    problems = []
    for prompt in prompts.values():
        if not (prompt.health or prompt.source):
            continue
        where = f"prompt '{prompt.name}'"

        def warn(message, hint):
            problems.append(Problem(prompt.file, prompt.line, prompt.column, where, message, hint, WARNING))

        if not prompt.source:
            warn("health information with no source", "add source: where these facts come from")
        if prompt.reviewed_on is None:
            warn("health information that nobody has reviewed",
                 "add reviewed: {by: NAME, on: YYYY-MM-DD} once the clinical lead has checked it")
            continue
        age = _months_between(prompt.reviewed_on, today)
        if age >= months:
            warn(f"last reviewed {age} months ago, on {prompt.reviewed_on.isoformat()} by {prompt.reviewed_by}",
                 f"reviews are due every {months} months; ask the clinical lead to check it")
    return problems


def _months_between(earlier: datetime.date, later: datetime.date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)
