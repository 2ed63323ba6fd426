"""staff accounts: who logs in to the staff pages; voicemails marked handled.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("professional_id", sa.String(64)),
        sa.Column("password_hash", sa.Text),
        sa.Column("setup_token", sa.String(64)),
        sa.Column("setup_expires_at", sa.DateTime(timezone=True)),
        sa.Column("session_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("voicemails") as batch:
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("handled_by", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("voicemails") as batch:
        batch.drop_column("handled_by")
        batch.drop_column("handled_at")
    op.drop_table("staff")
