"""Card intents (issue 15, faults): a channel card is recorded before it is posted.

``card_messages.activity_id`` may now be empty: the row is written with a
client-generated ``intent_key`` just before the Bot Connector call and gets the
activity id after it. A row without an activity id is an intent whose outcome is not
known yet (a post in flight, or a process that died during the call); ``reposts``
counts how often such an intent was posted again after it went stale.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("card_messages") as batch:
        batch.alter_column("activity_id", existing_type=sa.String(256), nullable=True)
        batch.add_column(sa.Column("intent_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("intended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("reposts", sa.Integer, nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    op.execute("DELETE FROM card_messages WHERE activity_id IS NULL")
    with op.batch_alter_table("card_messages") as batch:
        batch.drop_column("reposts")
        batch.drop_column("intended_at")
        batch.drop_column("intent_key")
        batch.alter_column("activity_id", existing_type=sa.String(256), nullable=False)
