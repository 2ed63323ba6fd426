"""The tables, in one place. SQLite by default; the same definitions serve PostgreSQL."""
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

calls = Table(
    "calls", metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("caller_key", String(40), nullable=False, default="", index=True),   # keyed hash, never the number
    Column("started_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False, default="in-progress"),
    Column("duration_seconds", Integer),
)

callbacks = Table(
    "callbacks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), nullable=False, unique=True),
    Column("caller_key", String(40), nullable=False, default=""),
    # The one place a number is kept in clear: a person has to dial it. Deleted once done.
    Column("number", String(32), nullable=False),
    Column("language", String(10), nullable=False, default="en"),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False, default="pending"),
)

voicemails = Table(
    "voicemails", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), nullable=False, unique=True),
    Column("caller_key", String(40), nullable=False, default=""),
    Column("recording_url", Text, nullable=False),
    Column("duration_seconds", Integer),
    Column("language", String(10), nullable=False, default="en"),
    Column("left_at", DateTime(timezone=True), nullable=False),
)
