"""Conversation references: where the bot may write later.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.String(512), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("bot_id", sa.String(256), nullable=False),
        sa.Column("tenant_id", sa.String(64)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("team_id", sa.String(512)),
        sa.Column("teams_channel_id", sa.String(512)),
        sa.Column("locale", sa.String(16)),
        sa.Column("installed_at", sa.DateTime(timezone=True)),
        sa.Column("removed_at", sa.DateTime(timezone=True)),
        sa.Column("welcomed_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("conversations")
