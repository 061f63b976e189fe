"""The conversation through the request: relayed messages, held messages, anonymous requesters, notes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("first_human_reply_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_staff_message_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("awaiting_reply_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("self_help_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_channel", sa.String(32), nullable=False),
        sa.Column("source_ts", sa.String(32), nullable=False),
        sa.Column("copy_channel", sa.String(32), nullable=True),
        sa.Column("copy_ts", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("source_channel", "source_ts", name="uq_messages_source"),
    )
    op.create_index("ix_messages_request", "messages", ["request_id", "id"])
    op.create_table(
        "held_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("channel_id", "ts", name="uq_held_source"),
    )
    op.create_table(
        "anonymous_requesters",
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("requests.id"), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("anonymous_requesters")
    op.drop_table("held_messages")
    op.drop_index("ix_messages_request", table_name="messages")
    op.drop_table("messages")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("message_id")
    with op.batch_alter_table("requests") as batch:
        for column in ("anonymous", "self_help_note", "resolution_note", "awaiting_reply_until",
                       "last_staff_message_at", "first_human_reply_at"):
            batch.drop_column(column)
