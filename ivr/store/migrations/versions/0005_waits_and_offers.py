"""waits and offers (legs and queue_choices go): the helpline owns a caller's wait and places each professional's leg itself.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LIVE = sa.text("state IN ('placing', 'ringing', 'answered', 'accepted')")


def upgrade() -> None:
    op.create_table(
        "waits",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("step", sa.String(210), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("next_step", sa.String(210)),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("step_round", sa.Integer, nullable=False),
        sa.Column("queue_sid", sa.String(64)),
        sa.Column("helpline_number", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "offers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("professional_id", sa.String(64), nullable=False),
        sa.Column("leg_sid", sa.String(64), unique=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_offers_call_sid", "offers", ["call_sid"])
    op.create_index("one_live_offer_per_professional", "offers", ["professional_id"], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)
    # Busy and free now follow the offers; the old per-leg table and busy marks go.
    op.drop_table("legs")
    with op.batch_alter_table("presence") as batch:
        batch.drop_column("busy_leg_sid")
        batch.drop_column("busy_since")
    # A key pressed on hold is now kept as where it leads, on the caller's wait.
    op.drop_table("queue_choices")
    # Callbacks are placed through the helpline: from the number the caller dialled, tries counted.
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("helpline_number", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_outcome", sa.String(20)))
        batch.add_column(sa.Column("last_tried_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        for column in ("last_tried_at", "last_outcome", "attempts", "helpline_number"):
            batch.drop_column(column)
    op.create_table(
        "queue_choices",
        sa.Column("call_sid", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(2), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("presence") as batch:
        batch.add_column(sa.Column("busy_leg_sid", sa.String(64)))
        batch.add_column(sa.Column("busy_since", sa.DateTime(timezone=True)))
    op.create_table(
        "legs",
        sa.Column("leg_sid", sa.String(64), primary_key=True),
        sa.Column("professional_id", sa.String(64), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_index("one_live_offer_per_professional", "offers")
    op.drop_index("ix_offers_call_sid", "offers")
    op.drop_table("offers")
    op.drop_table("waits")
