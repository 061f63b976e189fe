"""Urgent requests (the request form) and who has opened the App Home (whose Home is kept up to date).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "home_viewers",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("home_viewers")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("urgent")
