"""product image url hash: product images join catalog_images (our renditions) by the URL's sha256

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 04:10:00.000000
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("url_hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The same digest as `domain/vision/ingest.url_hash`: sha256 of the UTF-8 URL, in hex.
        op.execute("UPDATE product_images SET url_hash = encode(sha256(convert_to(url, 'UTF8')), 'hex')")
        return
    images = sa.table(
        "product_images",
        sa.column("id", sa.Integer),
        sa.column("url", sa.String),
        sa.column("url_hash", sa.String),
    )
    after = 0
    while rows := bind.execute(
        sa.select(images.c.id, images.c.url).where(images.c.id > after).order_by(images.c.id).limit(_BATCH)
    ).all():
        bind.execute(
            images.update()
            .where(images.c.id == sa.bindparam("b_id"))
            .values(url_hash=sa.bindparam("b_hash")),
            [{"b_id": r.id, "b_hash": hashlib.sha256(r.url.encode("utf-8")).hexdigest()} for r in rows],
        )
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.drop_column("url_hash")
