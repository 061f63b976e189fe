"""The report's rollup: per-request facts and per-day cells kept by the worker (report_rows, report_cells,
report_entry_cells, report_days, report_state), and indexes that find what changed since it last ran.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from storage.report_columns import CELL_VALUES, FACT_KEYS, FACT_VALUES, TEXT_COLUMNS

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _column(name: str, primary: bool = False) -> sa.Column:
    kind = sa.String(TEXT_COLUMNS[name]) if name in TEXT_COLUMNS else sa.BigInteger()
    return sa.Column(name, kind, primary_key=primary, nullable=not primary)


def upgrade() -> None:
    op.create_table("report_rows", *(_column(c, True) for c in FACT_KEYS), *(_column(c) for c in FACT_VALUES),
                    sqlite_with_rowid=False)
    for name, key in (("report_cells", "staff"), ("report_entry_cells", "entry")):
        op.create_table(name, *(_column(c, True) for c in ("day", "dept", key)), *(_column(c) for c in CELL_VALUES),
                        sqlite_with_rowid=False)
    op.create_table("report_days", sa.Column("day", sa.BigInteger(), primary_key=True),
                    sa.Column("fingerprint", sa.String(64), nullable=False))
    op.create_table("report_state", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
                    sa.Column("watermark", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_surveys_answered", "surveys", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_surveys_answered", table_name="surveys")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    for name in ("report_state", "report_days", "report_entry_cells", "report_cells", "report_rows"):
        op.drop_table(name)
