"""product search index: product_search (+ FTS5 / tsvector), search_words (+ trigram), post_hashtags

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 22:00:00.000000

Replaces the LIKE over `products.search_text`: products keep their feed attributes (`extra`, searched as
tags), merchants get a catalog language (stemming), and the index is filled from the existing catalog
here, with the same Python analysis the application uses.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from shoppable.storage.types import BigId

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from shoppable.storage.tables.search import SEARCH_DDL

    dialect = op.get_bind().dialect.name
    # Plain ALTER TABLE on both databases (SQLite >= 3.35): a batch copy of `products` would have to
    # drop a table that SKUs, images and tags reference.
    op.execute("ALTER TABLE products ADD COLUMN extra JSON NOT NULL DEFAULT '[]'")
    op.execute("ALTER TABLE products DROP COLUMN search_text")
    op.execute("ALTER TABLE merchants ADD COLUMN language VARCHAR(8) NOT NULL DEFAULT 'en'")
    op.create_table(
        "product_search",
        sa.Column("product_id", BigId, sa.ForeignKey("products.id"), nullable=False),
        sa.Column("merchant_id", BigId, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("brand_terms", sa.Text(), nullable=False),
        sa.Column("category_terms", sa.Text(), nullable=False),
        sa.Column("option_terms", sa.Text(), nullable=False),
        sa.Column("tag_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("brand_key", sa.String(length=120), nullable=True),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("category_key", sa.String(length=255), nullable=True),
        sa.Column("price_minor", BigId, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("price_ref", sa.Float(), nullable=True),
        sa.Column("popularity", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("product_id"),
    )
    op.create_index(
        "ix_product_search_browse", "product_search", ["status", "available", "popularity", "product_id"]
    )
    op.create_index("ix_product_search_merchant", "product_search", ["merchant_id", "status", "product_id"])
    op.create_index("ix_product_search_price", "product_search", ["status", "price_ref", "product_id"])
    op.create_index("ix_product_search_category", "product_search", ["category_key", "status"])
    op.create_index("ix_product_search_brand", "product_search", ["brand_key", "status"])
    op.create_table(
        "search_words",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("word", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("word"),
    )
    op.create_table(
        "post_hashtags",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("post_id", BigId, sa.ForeignKey("posts.id"), nullable=False),
        sa.Column("hashtag", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id", "hashtag", name="uq_post_hashtags_post_hashtag"),
    )
    op.create_index("ix_post_hashtags_hashtag_post", "post_hashtags", ["hashtag", "post_id"])
    for statements in SEARCH_DDL[dialect].values():
        for statement in statements:
            op.execute(statement)
    _backfill()


def _backfill() -> None:
    """Index the catalog as it is, and the hashtags of existing posts."""
    from shoppable.storage.search import IndexSource, index_row

    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT p.id, p.merchant_id, p.status, p.availability, p.title, p.description, p.brand, "
                "p.category, m.language FROM products p JOIN merchants m ON m.id = p.merchant_id "
                "WHERE p.id > :after ORDER BY p.id LIMIT 1000"
            ),
            {"after": after},
        ).all()
        if not rows:
            break
        ids = [r.id for r in rows]
        skus: dict[int, list[tuple[int, str, Any]]] = {}
        for s in bind.execute(
            sa.text(
                "SELECT product_id, price_minor, currency, options FROM skus WHERE product_id >= :lo AND product_id <= :hi"
            ),
            {"lo": ids[0], "hi": ids[-1]},
        ):
            skus.setdefault(s.product_id, []).append((s.price_minor, s.currency, s.options))
        index_rows = []
        words: set[str] = set()
        for r in rows:
            own = skus.get(r.id, [])
            options = [json.loads(o) if isinstance(o, str) else (o or []) for _, _, o in own]
            row, found = index_row(
                IndexSource(
                    product_id=r.id,
                    merchant_id=r.merchant_id,
                    status=r.status,
                    availability=r.availability,
                    title=r.title,
                    description=r.description,
                    brand=r.brand,
                    category=r.category,
                    option_values=[value for pairs in options for _, value in pairs],
                    tags=[],
                    prices=[(p, c) for p, c, _ in own],
                    language=r.language,
                )
            )
            index_rows.append(row | {"popularity": 0.0})
            words |= found
        columns = list(index_rows[0])
        bind.execute(
            sa.text(
                f"INSERT INTO product_search ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
            ),
            index_rows,
        )
        existing = {w for (w,) in bind.execute(sa.text("SELECT word FROM search_words"))} if words else set()
        fresh = sorted(words - existing)
        if fresh:
            bind.execute(
                sa.text("INSERT INTO search_words (word) VALUES (:word)"), [{"word": w} for w in fresh]
            )
        after = ids[-1]
    for post in bind.execute(sa.text("SELECT id, hashtags FROM posts")).all():
        tags = json.loads(post.hashtags) if isinstance(post.hashtags, str) else (post.hashtags or [])
        if tags:
            bind.execute(
                sa.text("INSERT INTO post_hashtags (post_id, hashtag) VALUES (:post_id, :hashtag)"),
                [{"post_id": post.id, "hashtag": t} for t in dict.fromkeys(tags)],
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS product_fts")
        op.execute("DROP TABLE IF EXISTS search_words_trigram")
    op.drop_index("ix_post_hashtags_hashtag_post", table_name="post_hashtags")
    op.drop_table("post_hashtags")
    op.drop_table("search_words")
    op.drop_table("product_search")
    op.execute("ALTER TABLE merchants DROP COLUMN language")
    op.execute("ALTER TABLE products ADD COLUMN search_text TEXT NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE products DROP COLUMN extra")
