"""Keys pressed on hold, kept until the call leaves the queue (possibly on another instance)."""
from __future__ import annotations

import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .schema import queue_choices


class QueueChoices:
    def __init__(self, engine: Engine):
        self.engine = engine

    def choose(self, call_sid: str, key: str, now: datetime.datetime) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(queue_choices).where(queue_choices.c.call_sid == call_sid))
                connection.execute(queue_choices.insert(), [{"call_sid": call_sid, "key": key,
                                                             "chosen_at": now.astimezone(datetime.timezone.utc)}])
        except IntegrityError:
            pass                     # the same press twice

    def take(self, call_sid: str) -> str | None:
        """The key pressed on hold, removed as it is read."""
        with self.engine.begin() as connection:
            key = connection.execute(select(queue_choices.c.key).where(
                queue_choices.c.call_sid == call_sid)).scalar()
            if key is not None:
                connection.execute(delete(queue_choices).where(queue_choices.c.call_sid == call_sid))
            return key
