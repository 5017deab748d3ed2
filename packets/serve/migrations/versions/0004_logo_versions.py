"""Logo uploads as versions: which logo file, and its bytes, so a restore brings the old logo back.

Revision ID: 0004_logo_versions
Revises: 0003_merged_refusals
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_logo_versions"
down_revision = "0003_merged_refusals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("versions") as table:
        table.add_column(sa.Column("logo", sa.String(120), nullable=False, server_default=""))
        table.add_column(sa.Column("logo_data", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("versions") as table:
        table.drop_column("logo_data")
        table.drop_column("logo")
