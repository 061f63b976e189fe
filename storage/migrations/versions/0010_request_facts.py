"""Per-request facts kept with the audit trail (request_facts, request_work), filled from the existing audit rows,
and an index for reports that select requests by department and creation time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from storage.fact_queries import backfill_statements

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_facts",
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), primary_key=True),
        *[sa.Column(name, sa.BigInteger(), nullable=True)
          for name in ("created_s", "escalated_s", "claimed_s", "human_s", "resolved_s", "work_from_s")],
        *[sa.Column(name, sa.Integer(), nullable=False, server_default="0")
          for name in ("resolves", "offers", "rejections", "staff_replies")],
        sa.Column("handling_s", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "request_work",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("started_s", sa.BigInteger(), nullable=False),
        sa.Column("ended_s", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_request_work_request_id", "request_work", ["request_id"])
    op.create_index("ix_requests_department_created", "requests", ["department_id", "created_at"])
    op.create_index("ix_requests_created_at", "requests", ["created_at"])
    for statement in backfill_statements(op.get_bind().dialect.name):
        op.execute(sa.text(statement))


def downgrade() -> None:
    op.drop_index("ix_requests_created_at", table_name="requests")
    op.drop_index("ix_requests_department_created", table_name="requests")
    op.drop_index("ix_request_work_request_id", table_name="request_work")
    op.drop_table("request_work")
    op.drop_table("request_facts")
