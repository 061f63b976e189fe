"""Timers that belong to no request (the weekly digest of a department): request_id may be empty, `subject` names
what the timer is about, and one subject's timer of a kind is due once at a given time (two replicas planning the
same week insert one row).

Revision ID: 0011
Revises: 0010 (chained to 0009 until 0010 lands)
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("timers") as batch:
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("subject", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_timers_subject_due", ["kind", "subject", "due_at"])


def downgrade() -> None:
    op.execute("DELETE FROM timers WHERE request_id IS NULL")
    with op.batch_alter_table("timers") as batch:
        batch.drop_constraint("uq_timers_subject_due", type_="unique")
        batch.drop_column("subject")
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=False)
