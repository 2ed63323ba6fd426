"""The rows a week's report is counted from: when calls started, how they ended, how long those who
talked waited, which menu answers were given, and the paths of calls that asked for nobody.

Only counts, times and steps are read; never a caller's number or caller_key. A rehearsal
(`ivr twilio rehearse`) is not a caller: left out of every number.
"""
from __future__ import annotations

import dataclasses
import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from .rehearsals import not_a_rehearsal
from .schema import call_steps, calls


@dataclasses.dataclass(frozen=True)
class WeekRows:
    started: list[datetime.datetime]          # each call's start, as stored (naive UTC on SQLite)
    outcomes: dict[str | None, int]           # outcome (None: not recorded) -> calls
    talked_waits: list[int]                   # seconds waited by those who talked, smallest first
    choices: list[tuple[str, str, int]]       # (step, answer, count) of answers given in the week
    information_paths: dict[str, list[tuple[str, str]]]   # only when asked for: sid -> [(step, answer)]


def read_week(engine: Engine, start: datetime.datetime, end: datetime.datetime, *,
              with_paths: bool = False) -> WeekRows:
    """The rows of calls started in [start, end) (UTC). Both dialects compare these correctly:
    SQLite stores UTC without an offset, as they are written."""
    in_week = and_(calls.c.started_at >= start, calls.c.started_at < end, not_a_rehearsal(calls.c.call_sid))
    with engine.connect() as connection:
        # Local hours are counted by the caller of this function: the two databases convert time
        # zones differently, and only the week's start times are read (one small column).
        started = [started_at for (started_at,) in connection.execute(select(calls.c.started_at).where(in_week))]
        outcomes = dict(connection.execute(
            select(calls.c.outcome, func.count()).where(in_week).group_by(calls.c.outcome)).all())
        waits = [seconds for (seconds,) in connection.execute(
            select(calls.c.waited_seconds)
            .where(in_week, calls.c.outcome == "talked", calls.c.waited_seconds.is_not(None))
            .order_by(calls.c.waited_seconds))]
        # A step counts in the week its answer was given in, whenever its call began.
        choices = [(step, answer, int(count)) for step, answer, count in connection.execute(
            select(call_steps.c.step, call_steps.c.answer, func.count())
            .where(call_steps.c.at >= start, call_steps.c.at < end, call_steps.c.answer != "")
            .group_by(call_steps.c.step, call_steps.c.answer))]
        paths = _information_paths(connection, in_week) if with_paths and outcomes.get("information") else {}
    return WeekRows(started, outcomes, waits, choices, paths)


def _information_paths(connection, in_week) -> dict[str, list[tuple[str, str]]]:
    """The steps (step, answer) of each call of the week recorded as 'information', in order."""
    unattended = select(calls.c.call_sid).where(in_week, calls.c.outcome == "information")
    paths: dict = {sid: [] for (sid,) in connection.execute(unattended)}
    for sid, step, answer in connection.execute(
            select(call_steps.c.call_sid, call_steps.c.step, call_steps.c.answer)
            .where(call_steps.c.call_sid.in_(unattended)).order_by(call_steps.c.at, call_steps.c.id)):
        paths.setdefault(sid, []).append((step, answer))
    return paths
