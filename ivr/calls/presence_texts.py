"""A professional texts the helpline number ON, OFF or STATUS to set themselves available or away.
Only numbers on the roster get an answer: anyone else gets none, and nothing about the roster is
revealed."""
from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from ..numbers import e164
from ..privacy import mask_number
from .routing.presence_words import HELP, command_of, describe

log = logging.getLogger(__name__)
#: The answer when their choice could not be kept (a professional reads it, not a caller).
NOT_KEPT = "Sorry, the helpline could not record that just now. Please try again in a minute."


class PresenceTexts:
    """`roster`: a live roster; `presence`: store.presence; `control`: calls.control.CallControl
    (becoming available may be exactly who a waiting caller needs)."""

    def __init__(self, roster, presence, control, clock):
        self.roster, self.presence, self.control, self.clock = roster, presence, control, clock

    def received(self, sender: str, body: str, links) -> str | None:
        """The reply to a text (None: no reply at all)."""
        roster = self.roster.current()
        number = e164(sender) or ""
        professional = roster.by_phone(number) if roster else None
        if professional is None:
            log.info("text from %s, not on the roster: no answer", mask_number(number))
            return None
        command = command_of(body)
        if command is None:
            return HELP
        try:
            if command in ("on", "off"):
                self.control.presence_changed(professional.id, command == "off", links)
                log.info("%s set themselves %s by text", professional.id,
                         "away" if command == "off" else "available")
            return describe(professional, self.presence.status(professional.id), self.clock())
        except SQLAlchemyError as error:
            log.error("presence unavailable for a text from %s: %s", professional.id, error.__class__.__name__)
            return NOT_KEPT
