"""Knowledge edits from the desk console (issue 16): who taught the bot what, and when.

One row per edit the lead made to a product file on the console (a phrasing added, a
question added to an FAQ entry, a new FAQ entry). The text and the actor are emptied by
the retention purge like the other texts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_edits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor_id", sa.String(256), nullable=False),
        sa.Column("actor_name", sa.String(256), nullable=False),
        sa.Column("file", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("product", sa.String(128), nullable=False),
        sa.Column("text", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("knowledge_edits")
