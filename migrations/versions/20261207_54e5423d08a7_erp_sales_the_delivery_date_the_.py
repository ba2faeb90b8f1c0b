"""erp sales: the delivery date the customer asked for

Revision ID: 54e5423d08a7
Revises: 3ba8787ae0db
Create Date: 2026-12-07 19:00:10.773760
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "54e5423d08a7"
down_revision: str | None = "3ba8787ae0db"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("erp_sales_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wanted_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("erp_sales_documents", schema=None) as batch_op:
        batch_op.drop_column("wanted_on")
