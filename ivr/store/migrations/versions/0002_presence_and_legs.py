"""presence and legs: who is away or on a call, and each professional's call leg.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("professional_id", sa.String(64), primary_key=True),
        sa.Column("away", sa.Boolean, nullable=False),
        sa.Column("busy_leg_sid", sa.String(64)),
        sa.Column("busy_since", sa.DateTime(timezone=True)),
        sa.Column("idle_since", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "legs",
        sa.Column("leg_sid", sa.String(64), primary_key=True),
        sa.Column("professional_id", sa.String(64), nullable=False),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("legs")
    op.drop_table("presence")
