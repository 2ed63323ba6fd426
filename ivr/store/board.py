"""The day's numbers for the staff pages' Now board, read in a few small queries."""
from __future__ import annotations

import datetime
import statistics

from sqlalchemy import func, select

from ..utc import utc
from .rehearsals import not_a_rehearsal
from .schema import callbacks, calls, voicemails


def day_numbers(engine, since: datetime.datetime) -> dict:
    """Calls since `since` by outcome, the callbacks and voicemails still owed (of any day: one
    owed from yesterday is owed today), and the median seconds to a person."""
    since = utc(since)
    with engine.connect() as connection:
        by_outcome = dict(connection.execute(
            select(calls.c.outcome, func.count()).where(calls.c.started_at >= since, not_a_rehearsal(calls.c.call_sid))
            .group_by(calls.c.outcome)).all())
        waited = connection.execute(select(calls.c.waited_seconds).where(
            (calls.c.started_at >= since) & (calls.c.outcome == "talked") & not_a_rehearsal(calls.c.call_sid)
            & calls.c.waited_seconds.is_not(None))).scalars().all()
        callbacks_owed = connection.execute(
            select(func.count()).select_from(callbacks).where(callbacks.c.status == "pending")).scalar_one()
        voicemails_owed = connection.execute(
            select(func.count()).select_from(voicemails).where(voicemails.c.handled_at.is_(None))).scalar_one()
    return {
        "calls": sum(by_outcome.values()),
        "answered": by_outcome.get("talked", 0),
        "abandoned": by_outcome.get("abandoned", 0),
        "callbacks_owed": callbacks_owed,
        "voicemails_owed": voicemails_owed,
        "median_to_person": statistics.median(waited) if waited else None,
    }
