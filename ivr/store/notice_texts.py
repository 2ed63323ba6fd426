"""Every text the helpline sends and what Twilio's status callbacks said of it: a text blocked on
its way (a toll-free number not verified, a carrier's filter) is reported later as failed or
undelivered, never as a refused request, so a text counts as delivered only when Twilio says so.
Each change is one conditional UPDATE: states only move forward, and the call made instead of a
text that was not delivered is claimed once, whichever instance sees it first."""
from __future__ import annotations

import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..twilio.statuses import TEXT_NOT_DELIVERED
from ..utc import utc
from .schema import notice_texts

#: MessageStatus values by how far along they are. A message made through the REST API starts
#: queued, and Twilio sends a callback for each later change (sending, sent, then delivered,
#: undelivered or failed; read on channels that report it):
#: https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks.
#: The three ends share one rank, so a late 'delivered' never overwrites a 'failed' nor the other way.
RANK = {"accepted": 0, "scheduled": 0, "queued": 0, "sending": 1, "sent": 2,
        "delivered": 3, "undelivered": 3, "failed": 3, "canceled": 3, "read": 4}


class NoticeTexts:
    def __init__(self, engine):
        self.engine = engine

    def sent(self, message_sid: str, kind: str, item_id: int | None, phone: str, from_number: str,
             language: str, status: str, now: datetime.datetime) -> None:
        """Twilio took the text (201): it is `status` (queued) until a callback says more. A
        callback may already have arrived first: its row is kept, only the details are filled in."""
        values = {"message_sid": message_sid, "kind": kind, "item_id": item_id, "phone": phone,
                  "from_number": from_number, "language": language, "status": status,
                  "status_rank": RANK.get(status, 0), "sent_at": utc(now), "updated_at": utc(now)}
        with self.engine.begin() as connection:
            try:
                with connection.begin_nested():
                    connection.execute(notice_texts.insert().values(**values))
                return
            except IntegrityError:
                pass
            connection.execute(update(notice_texts).where(notice_texts.c.message_sid == message_sid).values(
                kind=kind, item_id=item_id, phone=phone, from_number=from_number, language=language))

    def reported(self, message_sid: str, status: str, error_code: int | None, now: datetime.datetime) -> bool:
        """A status callback: True when it moved the text forward (False for a repeat, a late one,
        or an unknown status). A text we have no row for yet gets one of kind 'text': a reply to
        ON/OFF (its sid is never ours to know), or a notice whose callback beat Twilio's answer to
        the send (`sent` then fills in what it was)."""
        rank = RANK.get(status)
        if rank is None:
            return False
        changes = {"status": status, "status_rank": rank, "error_code": error_code, "updated_at": utc(now)}
        with self.engine.begin() as connection:
            moved = connection.execute(update(notice_texts).where(
                (notice_texts.c.message_sid == message_sid) & (notice_texts.c.status_rank < rank)).values(
                **changes)).rowcount
            if moved:
                return True
            if connection.execute(select(notice_texts.c.message_sid).where(
                    notice_texts.c.message_sid == message_sid)).first() is not None:
                return False
            try:
                with connection.begin_nested():
                    connection.execute(notice_texts.insert().values(
                        message_sid=message_sid, kind="text", sent_at=utc(now), **changes))
                return True
            except IntegrityError:          # another instance took the same callback at this moment
                return False

    def text(self, message_sid: str):
        with self.engine.connect() as connection:
            return connection.execute(select(notice_texts).where(notice_texts.c.message_sid == message_sid)).first()

    def to_call_instead(self) -> list:
        """Notices Twilio could not deliver, with nobody called about them yet."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(notice_texts).where(
                notice_texts.c.status.in_(TEXT_NOT_DELIVERED) & notice_texts.c.kind.in_(("voicemail", "callback"))
                & (notice_texts.c.phone != "") & notice_texts.c.call_claimed_at.is_(None)).order_by(
                notice_texts.c.sent_at)))

    def call_claimed(self, message_sid: str, now: datetime.datetime) -> bool:
        """Claim the call made instead of this text: True once, whichever instance asks."""
        with self.engine.begin() as connection:
            return bool(connection.execute(update(notice_texts).where(
                (notice_texts.c.message_sid == message_sid) & notice_texts.c.call_claimed_at.is_(None)).values(
                call_claimed_at=utc(now))).rowcount)

    def call_placed(self, message_sid: str, call_sid: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(notice_texts).where(notice_texts.c.message_sid == message_sid).values(
                call_sid=call_sid))

    def call_not_placed_after_all(self, message_sid: str) -> None:
        """Twilio could not be reached: the next sweep tries the call again."""
        with self.engine.begin() as connection:
            connection.execute(update(notice_texts).where(notice_texts.c.message_sid == message_sid).values(
                call_claimed_at=None))
