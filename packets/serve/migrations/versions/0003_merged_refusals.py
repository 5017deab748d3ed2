"""The sign-in log counts refused attempts in one line a minute instead of a line each.

Revision ID: 0003_merged_refusals
Revises: 0002_history
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_merged_refusals"
down_revision = "0002_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sign_ins") as table:
        table.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="1"))
        table.add_column(sa.Column("last_at", sa.DateTime, nullable=True))
        table.add_column(sa.Column("other_emails", sa.Boolean, nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("other_addresses", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sign_ins") as table:
        for column in ("other_addresses", "other_emails", "last_at", "attempts"):
            table.drop_column(column)
