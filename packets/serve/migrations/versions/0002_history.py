"""History: every save of an organization file through the server (packets/serve/history.py).

Revision ID: 0002_history
Revises: 0001_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_history"
down_revision = "0001_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("author", sa.String(254), nullable=False),
        sa.Column("before", sa.Text, nullable=False),
        sa.Column("after", sa.Text, nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("review_change", sa.Text, nullable=False, server_default=""),
        sa.Column("restored_from", sa.Integer, nullable=True),
        sa.Column("created", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_versions_org", "versions", ["org"])


def downgrade() -> None:
    op.drop_index("ix_versions_org", "versions")
    op.drop_table("versions")
