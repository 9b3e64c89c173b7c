"""experiment teams: which ranker placed each item an interleaving experiment served

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoppable.storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "experiment_teams",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("experiment_id", _ID, nullable=False),
        sa.Column("unit", sa.String(length=140), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=1), nullable=False),
        sa.Column("served_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("experiment_id", "session_id", "kind", "item_id", name="uq_experiment_teams"),
    )
    with op.batch_alter_table("experiment_teams", schema=None) as batch_op:
        batch_op.create_index("ix_experiment_teams_experiment_unit", ["experiment_id", "unit"], unique=False)


def downgrade() -> None:
    op.drop_table("experiment_teams")
