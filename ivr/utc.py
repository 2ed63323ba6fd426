"""Moments in UTC, as the database keeps them: SQLite keeps no offset, so every moment is written
in UTC and read back as UTC."""
from __future__ import annotations

import datetime


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def utc(moment: datetime.datetime) -> datetime.datetime:
    """As stored: a New York 'now' written without an offset would read back five hours off."""
    return moment.astimezone(datetime.timezone.utc) if moment.tzinfo else moment


def aware(moment: datetime.datetime | None) -> datetime.datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment
