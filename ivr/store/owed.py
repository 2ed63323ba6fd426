"""What the helpline owes its callers: voicemails someone must hear and callbacks someone must make.
Each stays owed until a member of staff marks it handled; every change is one conditional UPDATE,
so two people (or two instances) pressing at once cannot both claim, close or notify one."""
from __future__ import annotations

import datetime

from sqlalchemy import select, update

from ..utc import utc
from .rehearsals import not_a_rehearsal
from .schema import callbacks, voicemails

TABLES = {"voicemail": voicemails, "callback": callbacks}
#: Handled voicemails stay listed this long, so a colleague sees who took care of one.
HANDLED_SHOWN_DAYS = 7


def _for_languages(query, table, languages):
    return query if languages is None else query.where(table.c.language.in_(sorted(languages)))


class OwedStore:
    def __init__(self, engine):
        self.engine = engine

    # -- voicemails --------------------------------------------------------------------------------
    def voicemails(self, languages: frozenset | None, now: datetime.datetime) -> list:
        """Not handled (oldest first), then those handled in the last days; of `languages` (None: all)."""
        shown_since = utc(now) - datetime.timedelta(days=HANDLED_SHOWN_DAYS)
        query = select(voicemails).where(voicemails.c.handled_at.is_(None) | (voicemails.c.handled_at >= shown_since))
        query = _for_languages(query, voicemails, languages).order_by(
            voicemails.c.handled_at.is_not(None), voicemails.c.left_at)
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    def voicemail(self, voicemail_id: int):
        with self.engine.connect() as connection:
            return connection.execute(select(voicemails).where(voicemails.c.id == voicemail_id)).first()

    def voicemail_handled(self, voicemail_id: int, login: str, now: datetime.datetime) -> bool:
        with self.engine.begin() as connection:
            return bool(connection.execute(update(voicemails).where(
                (voicemails.c.id == voicemail_id) & voicemails.c.handled_at.is_(None)).values(
                handled_at=utc(now), handled_by=login)).rowcount)

    def recording_deleted(self, voicemail_id: int, now: datetime.datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(voicemails).where(voicemails.c.id == voicemail_id).values(
                recording_deleted_at=utc(now)))

    def recordings_to_delete(self) -> list:
        """Handled voicemails whose recording is still at Twilio (a delete that failed is tried again)."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(voicemails).where(
                voicemails.c.handled_at.is_not(None) & voicemails.c.recording_deleted_at.is_(None))))

    # -- callbacks ---------------------------------------------------------------------------------
    def callbacks(self, languages: frozenset | None) -> list:
        query = _for_languages(select(callbacks).where(callbacks.c.status == "pending"), callbacks, languages)
        with self.engine.connect() as connection:
            return list(connection.execute(query.order_by(callbacks.c.requested_at)))

    def callback(self, callback_id: int):
        with self.engine.connect() as connection:
            return connection.execute(select(callbacks).where(callbacks.c.id == callback_id)).first()

    def claim_callback(self, callback_id: int, login: str) -> bool:
        """`login` will call this caller back: True if nobody else had said so first."""
        with self.engine.begin() as connection:
            return bool(connection.execute(update(callbacks).where(
                (callbacks.c.id == callback_id) & (callbacks.c.status == "pending")
                & (callbacks.c.claimed_by.is_(None) | (callbacks.c.claimed_by == login))).values(
                claimed_by=login)).rowcount)

    def callback_handled(self, callback_id: int, login: str) -> bool:
        """Done: the number is erased; who closed it is kept."""
        with self.engine.begin() as connection:
            return bool(connection.execute(update(callbacks).where(
                (callbacks.c.id == callback_id) & (callbacks.c.status == "pending")).values(
                status="done", number="", handled_by=login)).rowcount)

    # -- notices -----------------------------------------------------------------------------------
    def not_notified(self, kind: str) -> list:
        table = TABLES[kind]
        owed = table.c.handled_at.is_(None) if kind == "voicemail" else table.c.status == "pending"
        with self.engine.connect() as connection:
            return list(connection.execute(select(table).where(owed & table.c.notified_at.is_(None)
                                                               & not_a_rehearsal(table.c.call_sid))))

    def notified(self, kind: str, item_id: int, now: datetime.datetime) -> bool:
        """Claim the right to send the notice of `item_id`: True once, whichever instance asks."""
        table = TABLES[kind]
        with self.engine.begin() as connection:
            return bool(connection.execute(update(table).where(
                (table.c.id == item_id) & table.c.notified_at.is_(None)).values(notified_at=utc(now))).rowcount)

    def not_notified_after_all(self, kind: str, item_id: int) -> None:
        """No text could be sent: the next sweep tries again."""
        table = TABLES[kind]
        with self.engine.begin() as connection:
            connection.execute(update(table).where(table.c.id == item_id).values(notified_at=None))

    def overdue(self, kind: str, waited: datetime.timedelta, now: datetime.datetime) -> list:
        """Owed for longer than `waited` and not escalated yet."""
        table = TABLES[kind]
        since = utc(now) - waited
        if kind == "voicemail":
            owed = table.c.handled_at.is_(None) & (table.c.left_at <= since)
        else:
            owed = (table.c.status == "pending") & (table.c.requested_at <= since)
        with self.engine.connect() as connection:
            return list(connection.execute(select(table).where(owed & table.c.escalated_at.is_(None)
                                                               & not_a_rehearsal(table.c.call_sid))))

    def escalated(self, kind: str, item_id: int, now: datetime.datetime) -> bool:
        table = TABLES[kind]
        with self.engine.begin() as connection:
            return bool(connection.execute(update(table).where(
                (table.c.id == item_id) & table.c.escalated_at.is_(None)).values(escalated_at=utc(now))).rowcount)
