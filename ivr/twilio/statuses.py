"""Twilio's CallStatus values in the order a call goes through them: the one list the store, the
web layer, the REST adapter and the simulator share.

A call moves queued → initiated → ringing → in-progress → one final status, and never back: the
Call resource's status values are queued, ringing, in-progress and the five final ones, and its
StatusCallbackEvent names the initiated, ringing, answered and completed moments
(https://www.twilio.com/docs/voice/api/call-resource). Its status callbacks "are made as separate
HTTP requests, and there is no guarantee they will arrive in the same order" (same page,
StatusCallback), and a retried one comes twice: whoever applies them compares ranks, so a repeat
or a late event changes nothing. A value not in this list is never applied.
"""
from __future__ import annotations

#: A call is over once it reaches any of these; which one says how it ended.
FINAL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
#: The statuses before the end, in order.
PROGRESS_STATUSES = ("queued", "initiated", "ringing", "in-progress")
#: Every final status shares the last rank: once one is applied, no other status is.
FINAL_RANK = len(PROGRESS_STATUSES)
RANKS = {**{status: rank for rank, status in enumerate(PROGRESS_STATUSES)},
         **{status: FINAL_RANK for status in FINAL_STATUSES}}


#: A text's MessageStatus values that say it never reached the phone
#: (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status).
TEXT_NOT_DELIVERED = ("failed", "undelivered")


def rank(status: str) -> int | None:
    """Where `status` comes in a call's life; None for a value Twilio does not send."""
    return RANKS.get(status)


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES
