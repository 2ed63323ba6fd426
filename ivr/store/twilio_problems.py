"""What Twilio refused or could not deliver — texts not delivered, legs it would not place — kept
for the leads' Now page and /readyz, and counted for Prometheus. A detail never holds a phone
number: whatever looks like one is cut out before it is stored."""
from __future__ import annotations

import datetime
import re

from sqlalchemy import desc, func, select

from .. import metrics
from ..utc import utc
from .schema import twilio_problems

#: Seven digits or more, with the spaces, dashes, dots and brackets numbers are written with.
LOOKS_LIKE_A_NUMBER = re.compile(r"\+?\d[\d\s().-]{5,}\d")
MOST_SHOWN = 50


def without_numbers(detail: str) -> str:
    return LOOKS_LIKE_A_NUMBER.sub("(number)", detail or "")[:200]


class TwilioProblems:
    def __init__(self, engine):
        self.engine = engine

    def record(self, kind: str, code: int | None, detail: str, at: datetime.datetime) -> None:
        metrics.twilio_refusals.labels(kind=kind, code=str(code or "none")).inc()
        with self.engine.begin() as connection:
            connection.execute(twilio_problems.insert().values(
                kind=kind[:30], code=code, detail=without_numbers(detail), at=utc(at)))

    def recent(self, since: datetime.datetime) -> list:
        """Problems since `since`, newest first (at most MOST_SHOWN)."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(twilio_problems).where(twilio_problems.c.at >= utc(since)).order_by(
                desc(twilio_problems.c.at), desc(twilio_problems.c.id)).limit(MOST_SHOWN)))

    def counts(self, since: datetime.datetime) -> dict:
        """{kind: how many} since `since`, however many there were."""
        with self.engine.connect() as connection:
            return dict(connection.execute(select(twilio_problems.c.kind, func.count()).where(
                twilio_problems.c.at >= utc(since)).group_by(twilio_problems.c.kind)).all())
