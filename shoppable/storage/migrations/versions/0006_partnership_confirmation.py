"""posts.disclosure_status: the partner merchant's answer to a disclosed partnership

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:30:00.000000

Existing disclosures get no status, read as PENDING: no merchant has agreed to them yet, so their
labels stop naming the partner until it confirms.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disclosure_status", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("disclosure_status")
