"""Recent calls for the staff Calls page: each call's outcome, wait and path through the menus.
A caller appears only as the short form of their keyed hash: enough to see that two calls came
from one person, never who they are."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import select

from .rehearsals import not_a_rehearsal
from .schema import call_steps, calls
from ..utc import aware

SHORT_KEY = 6


@dataclass(frozen=True)
class CallSummary:
    call_sid: str
    caller: str                  # the keyed hash's short form, '' when the number was hidden
    started_at: datetime.datetime | None
    status: str
    duration_seconds: int | None
    outcome: str | None
    waited_seconds: int | None
    path: tuple                  # ((step, answer), ...) in order


def recent_calls(engine, limit: int = 50) -> list:
    """The latest `limit` calls, newest first, with their paths (two queries, whatever the count)."""
    with engine.connect() as connection:
        rows = connection.execute(select(calls).where(not_a_rehearsal(calls.c.call_sid)).order_by(calls.c.started_at.desc().nulls_last(),
                                                         calls.c.call_sid).limit(limit)).all()
        sids = [row.call_sid for row in rows]
        steps: dict = {}
        if sids:
            for step in connection.execute(select(call_steps.c.call_sid, call_steps.c.step, call_steps.c.answer)
                                           .where(call_steps.c.call_sid.in_(sids))
                                           .order_by(call_steps.c.at, call_steps.c.id)):
                steps.setdefault(step.call_sid, []).append((step.step, step.answer))
    return [CallSummary(row.call_sid, row.caller_key[:SHORT_KEY], aware(row.started_at), row.status,
                        row.duration_seconds, row.outcome, row.waited_seconds, tuple(steps.get(row.call_sid, ())))
            for row in rows]
