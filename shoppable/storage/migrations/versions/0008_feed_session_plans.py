"""feed_sessions.plan: a session's ranked candidates, so that any worker process can continue it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:30:00.000000

With several server processes, a session's next page may land on a process that did not plan it;
it reads the plan stored with the session instead of ranking everything again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_sessions", schema=None) as batch_op:
        batch_op.drop_column("plan")
