"""notice texts and Twilio problems: each text's delivery status (and the call made instead of one
that was not delivered), and what Twilio refused, for the Now page and /readyz.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_texts",
        sa.Column("message_sid", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("item_id", sa.Integer),
        sa.Column("phone", sa.String(32), nullable=False, server_default=""),
        sa.Column("from_number", sa.String(32), nullable=False, server_default=""),
        sa.Column("language", sa.String(10), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="queued"),
        sa.Column("status_rank", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_code", sa.Integer),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_claimed_at", sa.DateTime(timezone=True)),
        sa.Column("call_sid", sa.String(64)),
    )
    op.create_table(
        "twilio_problems",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("code", sa.Integer),
        sa.Column("detail", sa.String(200), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_twilio_problems_at", "twilio_problems", ["at"])


def downgrade() -> None:
    op.drop_index("ix_twilio_problems_at", "twilio_problems")
    op.drop_table("twilio_problems")
    op.drop_table("notice_texts")
