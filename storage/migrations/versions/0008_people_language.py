"""The people directory (users.info cache) and each request's language.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("locale", sa.String(16), nullable=True),
        sa.Column("tz", sa.String(64), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("language")
    op.drop_table("people")
