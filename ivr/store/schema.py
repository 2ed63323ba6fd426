"""The tables, in one place. SQLite by default; the same definitions serve PostgreSQL."""
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table

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
