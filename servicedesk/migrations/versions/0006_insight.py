"""What the front office learns from: questions and decisions, FAQ votes (issue: insight).

Also the weekly summary card's bookkeeping: one row per ISO week sent (a unique key, so
that two processes never send the same week twice).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("product_id", sa.String(128)),
        sa.Column("faq_id", sa.String(128)),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("text", sa.Text),
    )
    op.create_table(
        "faq_votes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("product_id", sa.String(128), nullable=False),
        sa.Column("faq_id", sa.String(128), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("text", sa.Text),
    )
    op.create_table(
        "insight_reports",
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("insight_reports")
    op.drop_table("faq_votes")
    op.drop_table("questions")
