"""notices: who was texted about a voicemail or callback and when, who claims a callback, and the
recordings deleted at Twilio once handled.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voicemails") as batch:
        batch.add_column(sa.Column("helpline_number", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("recording_deleted_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64)))
        batch.add_column(sa.Column("handled_by", sa.String(64)))
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        for name in ("escalated_at", "notified_at", "handled_by", "claimed_by"):
            batch.drop_column(name)
    with op.batch_alter_table("voicemails") as batch:
        for name in ("recording_deleted_at", "escalated_at", "notified_at", "helpline_number"):
            batch.drop_column(name)
