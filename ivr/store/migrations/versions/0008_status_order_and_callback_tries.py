"""status order and callback tries: the SequenceNumber of a call's last applied status callback,
and one row per call placed back to a caller, keyed on the professional's leg.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("status_sequence", sa.Integer))
    op.create_table(
        "callback_tries",
        sa.Column("leg_sid", sa.String(64), primary_key=True),
        sa.Column("callback_id", sa.Integer, nullable=False),
        sa.Column("dialing_at", sa.DateTime(timezone=True)),
        sa.Column("dial_status", sa.String(20)),
        sa.Column("dial_seconds", sa.Integer),
        sa.Column("professional_said", sa.String(20)),
        sa.Column("leg_status", sa.String(20)),
        sa.Column("outcome", sa.String(20)),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_callback_tries_callback_id", "callback_tries", ["callback_id"])


def downgrade() -> None:
    op.drop_index("ix_callback_tries_callback_id", table_name="callback_tries")
    op.drop_table("callback_tries")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("status_sequence")
