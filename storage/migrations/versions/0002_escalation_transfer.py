"""Escalation chain level, transfer count and the escalation status line of a request.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("transfer_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("escalation_ts", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("escalation_ts")
        batch.drop_column("transfer_count")
        batch.drop_column("escalation_level")
