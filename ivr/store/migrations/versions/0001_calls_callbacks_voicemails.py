"""calls, callbacks, voicemails: the tables as metadata.create_all made them before migrations.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No server defaults, as create_all made them: schema.py's defaults are filled in on insert.
    # A database that already has all three is stamped by ensure_schema and never gets here; one
    # made by the very first version has only `calls`, and gets the other two.
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "calls" not in existing:
        op.create_table(
            "calls",
            sa.Column("call_sid", sa.String(64), primary_key=True),
            sa.Column("caller_key", sa.String(40), nullable=False),
            sa.Column("started_at", sa.DateTime(timezone=True)),
            sa.Column("ended_at", sa.DateTime(timezone=True)),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("duration_seconds", sa.Integer),
        )
        op.create_index("ix_calls_caller_key", "calls", ["caller_key"])
    if "callbacks" not in existing:
        op.create_table(
            "callbacks",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("call_sid", sa.String(64), nullable=False, unique=True),
            sa.Column("caller_key", sa.String(40), nullable=False),
            sa.Column("number", sa.String(32), nullable=False),
            sa.Column("language", sa.String(10), nullable=False),
            sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
        )
    if "voicemails" not in existing:
        op.create_table(
            "voicemails",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("call_sid", sa.String(64), nullable=False, unique=True),
            sa.Column("caller_key", sa.String(40), nullable=False),
            sa.Column("recording_url", sa.Text, nullable=False),
            sa.Column("duration_seconds", sa.Integer),
            sa.Column("language", sa.String(10), nullable=False),
            sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("voicemails")
    op.drop_table("callbacks")
    op.drop_index("ix_calls_caller_key", table_name="calls")
    op.drop_table("calls")
