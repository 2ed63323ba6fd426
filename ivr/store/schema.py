"""The tables, in one place. SQLite by default; the same definitions serve PostgreSQL."""
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

calls = Table(
    "calls", metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("caller_key", String(40), nullable=False, default="", index=True),   # keyed hash, never the number
    Column("started_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False, default="in-progress"),
    Column("duration_seconds", Integer),
    # talked | callback | voicemail | overflow | abandoned | information (heard information, hung up)
    Column("outcome", String(20)),
    Column("waiting_since", DateTime(timezone=True)),   # when they first asked for a person
    Column("waited_seconds", Integer),                  # until a person answered or they gave up
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

presence = Table(
    "presence", metadata,
    Column("professional_id", String(64), primary_key=True),     # the roster's id
    Column("away", Boolean, nullable=False, default=False),
    Column("busy_leg_sid", String(64)),        # the call leg they accepted; None when free
    Column("busy_since", DateTime(timezone=True)),
    Column("idle_since", DateTime(timezone=True)),   # end of their last helpline call
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

legs = Table(
    # One row per professional's call leg, so a late or repeated callback cannot undo a later one.
    "legs", metadata,
    Column("leg_sid", String(64), primary_key=True),
    Column("professional_id", String(64), nullable=False),
    Column("call_sid", String(64), nullable=False),
    Column("state", String(20), nullable=False),       # accepted | ended
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

queue_choices = Table(
    # A key a caller pressed while on hold (a callback, a voicemail): read by whichever instance
    # takes their call off hold.
    "queue_choices", metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("key", String(2), nullable=False),
    Column("chosen_at", DateTime(timezone=True), nullable=False),
)

call_steps = Table(
    # The path of a call: each step it waited at and what the caller did there (a key, 'speech' —
    # never what was said —, 'silence'), written in batches off the request path.
    "call_steps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("step", String(210), nullable=False),
    Column("answer", String(20), nullable=False, default=""),
)
