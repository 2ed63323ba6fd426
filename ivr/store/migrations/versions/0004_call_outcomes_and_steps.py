"""call outcomes and paths: what became of each call, how long it waited, the steps it took.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("outcome", sa.String(20)))
        batch.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("waited_seconds", sa.Integer))
    op.create_table(
        "call_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(210), nullable=False),
        sa.Column("answer", sa.String(20), nullable=False),
    )
    op.create_index("ix_call_steps_call_sid", "call_steps", ["call_sid"])


def downgrade() -> None:
    op.drop_index("ix_call_steps_call_sid", "call_steps")
    op.drop_table("call_steps")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("waited_seconds")
        batch.drop_column("waiting_since")
        batch.drop_column("outcome")
