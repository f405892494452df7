"""The notification send budget, shared by every process (issue 15: scale out), and the
origin of a ticket (the intake that asked for it), unique: two confirms of one intake
arriving at once on two processes make one ticket.

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
        sa.Column("tat", sa.Double, nullable=False),
        sa.Column("lead", sa.Double, nullable=False),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("origin", sa.String(600)))
    op.create_index("ux_tickets_origin", "tickets", ["origin"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_tickets_origin", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("origin")
    op.drop_table("send_budget")
