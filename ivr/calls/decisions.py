"""What call control tells the web layer: plain values that say what the caller or professional
hears next, and nothing about HTTP or TwiML."""
from __future__ import annotations

from dataclasses import dataclass

from ..flow import model
from ..flow.model import Ref


@dataclass(frozen=True)
class Stay:
    """Keep the caller on hold: their place in line and the usual wait, for the hold page."""
    ahead: int
    typical_wait: int | None
    remaining: float | None        # seconds until max_wait, on a queue step
    #: On a queue step, why nobody is free for them now (routing.why_nobody); '' when someone is
    #: (being rung for them, or about to be), and at a connect step, where phones are ringing.
    why: str = ""


@dataclass(frozen=True)
class Leave:
    """Take the caller out of the queue: the queue's action will say where they go."""


@dataclass(frozen=True)
class Bridge:
    room: str
    language: str = ""             # the caller's: what the professional hears is said in it


@dataclass(frozen=True)
class GoTo:
    step: Ref


@dataclass(frozen=True)
class Overflow:
    """The queue failed the caller (or they waited it out): on to `step`, or the backup line when
    the step names none."""
    step: Ref | None


#: Where a wait that left for the backup line itself says it went.
BACKUP_LINE = "backup-line"


def overflow_of(step) -> Ref | None:
    """Where a connect or queue step sends a caller nobody could take."""
    if isinstance(step, model.Queue):
        return step.overflow
    if isinstance(step, model.Connect):
        return step.if_nobody_answers
    return None


@dataclass(frozen=True)
class Whisper:
    language: str


@dataclass(frozen=True)
class NotNeeded:
    """The leg is not wanted (a machine, a caller already taken or gone)."""
    reason: str                    # machine | taken | gone
    language: str = ""
