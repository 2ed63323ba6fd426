"""What a professional texts to set themselves available or away, and what they are told back.

Shared by the SMS webhook and `ivr presence`, so both say the same thing in the same words.
"""
from __future__ import annotations

import datetime

from .shifts import ShiftIndex

COMMANDS = {"on": "on", "available": "on", "in": "on", "si": "on", "sí": "on",
            "off": "off", "away": "off", "out": "off", "no": "off",
            "status": "status", "estado": "status", "?": "status"}
HELP = "Text ON to take helpline calls, OFF to stop, STATUS to check."


def command_of(text: str) -> str | None:
    words = text.strip().lower().split()
    return COMMANDS.get(words[0]) if words else None


def describe(professional, row, now: datetime.datetime, busy_expires_minutes: int = 180) -> str:
    """'Ana Rivera: AVAILABLE, on shift now.' — what a professional is told about themselves."""
    on_shift = bool(ShiftIndex((professional,)).on_shift(now))
    away = bool(row and row.away)
    busy = bool(row and row.busy_leg_sid and row.busy_since and
                (now - _aware(row.busy_since)).total_seconds() < busy_expires_minutes * 60)
    state = "AWAY" if away else ("ON A CALL" if busy else "AVAILABLE")
    shift = "on shift now" if on_shift else "not on shift now (calls come only during your shifts)"
    return f"{professional.name}: {state}, {shift}."


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
