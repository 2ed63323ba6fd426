"""Twilio's word on each text the helpline sent (its StatusCallback), and what the short call said
instead of an undelivered notice says.

A text blocked on its way — from a toll-free number not verified (30032), say — is reported as
failed or undelivered, never as a refused request
(https://www.twilio.com/docs/messaging/guides/track-outbound-message-status): it is recorded for
the leads (Now, /readyz) and the notices sweep calls the person instead.
"""
from __future__ import annotations

import logging

from ..twilio.errors import meaning
from ..twilio.statuses import TEXT_NOT_DELIVERED
from . import engine
from .notices import CALL_MESSAGES

log = logging.getLogger(__name__)
WHAT = {"voicemail": "a voicemail notice", "callback": "a callback notice",
        "text": "a text (a reply to ON/OFF, or a notice Twilio reported before it was recorded)"}


class TextDelivery:
    """`texts`: store.notice_texts; `problems`: store.twilio_problems; `notices`: calls.notices.Notices."""

    def __init__(self, texts, problems, notices, clock):
        self.texts, self.problems, self.notices, self.clock = texts, problems, notices, clock

    def reported(self, message_sid: str, status: str, error_code, base_url: str) -> None:
        """MessageStatus (and ErrorCode) of one text, in any order, possibly twice: kept only
        forward. Raises SQLAlchemyError when it cannot be kept (Twilio is asked to send it again)."""
        if not message_sid:
            return
        now = self.clock()
        moved = self.texts.reported(message_sid, status, error_code, now)
        if not moved or status not in TEXT_NOT_DELIVERED:
            return
        row = self.texts.text(message_sid)
        what = WHAT.get(row.kind if row is not None else "text", "a text")
        log.error("%s was not delivered (%s): %s", what, status, meaning(error_code))
        self.problems.record("text-not-delivered", error_code, f"{what}, reported {status}", now)
        self.notices.soon(base_url)         # the sweep calls them instead, off this request


def notice_call_words(flows, kind: str, language: str) -> tuple:
    """What the person hears when their notice could not be texted: one sentence, said twice
    (nothing without flows, or for a kind there is no message for)."""
    name = CALL_MESSAGES.get(kind)
    if flows is None or name is None:
        return ()
    said = engine.message(flows, name, flows.language(language).code)
    return said, said
