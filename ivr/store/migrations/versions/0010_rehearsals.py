"""rehearsals: `ivr twilio rehearse`'s calls, and every webhook request of them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rehearsals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("helpline_number", sa.String(32), nullable=False),
        sa.Column("stand_in", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller_sid", sa.String(64)),
        sa.Column("call_sid", sa.String(64), unique=True),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("seen", sa.Text),
    )
    op.create_table(
        "rehearsal_callbacks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rehearsal_id", sa.String(32), nullable=False),
        sa.Column("route", sa.String(100), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("signature", sa.String(20), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rehearsal_callbacks_rehearsal_id", "rehearsal_callbacks", ["rehearsal_id"])


def downgrade() -> None:
    op.drop_index("ix_rehearsal_callbacks_rehearsal_id", table_name="rehearsal_callbacks")
    op.drop_table("rehearsal_callbacks")
    op.drop_table("rehearsals")
