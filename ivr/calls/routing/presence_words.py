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


def describe(professional, status: dict, now: datetime.datetime) -> str:
    """'Ana Rivera: AVAILABLE, on shift now.' — what a professional is told about themselves."""
    on_shift = bool(ShiftIndex((professional,)).on_shift(now))
    state = "AWAY" if status.get("away") else ("ON A CALL" if status.get("on_a_call") else "AVAILABLE")
    shift = "on shift now" if on_shift else "not on shift now (calls come only during your shifts)"
    return f"{professional.name}: {state}, {shift}."
