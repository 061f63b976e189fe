"""Feedback from employees: ratings after a fix and pulse answers (surveys), feedback about a department.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), nullable=True),
        sa.Column("department_id", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.String(32), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("sampled", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.String(16), nullable=True),
        sa.Column("asked_at", UTCDateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("request_id", "kind", name="uq_surveys_request_kind"),
    )
    op.create_index("ix_surveys_department_answered", "surveys", ["department_id", "answered_at"])
    op.create_index("ix_surveys_user_asked", "surveys", ["user_id", "asked_at"])
    op.create_table(
        "department_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("department_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_department_feedback_department_id", "department_feedback", ["department_id"])


def downgrade() -> None:
    op.drop_index("ix_department_feedback_department_id", table_name="department_feedback")
    op.drop_table("department_feedback")
    op.drop_index("ix_surveys_user_asked", table_name="surveys")
    op.drop_index("ix_surveys_department_answered", table_name="surveys")
    op.drop_table("surveys")
