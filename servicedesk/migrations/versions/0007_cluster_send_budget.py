"""The notification send budget, shared by every process (issue 15: scale out).

One row per tenant and per conversation: a token bucket kept as its theoretical arrival
time (``tat``, seconds since the epoch, GCRA) and how far ahead of now a reservation may
reach (``lead``). A row whose ``tat`` has passed is a full bucket and may be deleted.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_budget",
        sa.Column("key", sa.String(600), primary_key=True),
        sa.Column("tat", sa.Double, nullable=False, index=True),
        sa.Column("lead", sa.Double, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("send_budget")
