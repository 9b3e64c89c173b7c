"""The product search index: one row per product, kept in step by every catalog write.

The portable columns are declared here; each database adds its own full-text structure on top
(`SEARCH_DDL`), created with the tables (`create_all`) and by migration 0011:
- SQLite: an FTS5 table over the term columns (external content, kept in step by triggers), with
  prefix indexes, and an FTS5 `trigram` table over the vocabulary for typo correction;
- PostgreSQL: a generated, weighted `tsvector` column with a GIN index, and a `pg_trgm` GIN index over
  the vocabulary.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    DDL,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlmodel import Field, SQLModel

from shoppable.domain.catalog.limits import BRAND_MAX, CATEGORY_MAX
from shoppable.domain.content.captions import MAX_HASHTAG_LENGTH
from shoppable.domain.search.analysis import MAX_WORD_CHARS
from shoppable.storage.types import BigId


def table_of(row_type: type[Any]) -> Table:
    table: Table = row_type.__table__
    return table


TERM_COLUMNS = ("title_terms", "brand_terms", "category_terms", "option_terms", "tag_terms", "body_terms")
TRGM_SCHEMA = "public"
"""Where pg_trgm is installed: one fixed schema, so that per-schema deployments (and test schemas)
all find its functions and operator classes."""


class ProductSearchRow(SQLModel, table=True):
    __tablename__ = "product_search"
    __table_args__ = (
        Index("ix_product_search_browse", "status", "available", "popularity", "product_id"),
        Index("ix_product_search_merchant", "merchant_id", "status", "product_id"),
        Index("ix_product_search_price", "status", "price_ref", "product_id"),
        Index("ix_product_search_category", "category_key", "status"),
        Index("ix_product_search_brand", "brand_key", "status"),
    )

    product_id: int = Field(sa_column=Column(BigId, ForeignKey("products.id"), primary_key=True))
    merchant_id: int = Field(sa_column=Column(BigId, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    available: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    language: str = Field(default="en", sa_column=Column(String(8), nullable=False))
    title_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    brand_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    category_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    option_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    tag_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_terms: str = Field(default="", sa_column=Column(Text, nullable=False))
    brand: str | None = Field(default=None, sa_column=Column(String(BRAND_MAX), nullable=True))
    brand_key: str | None = Field(default=None, sa_column=Column(String(BRAND_MAX), nullable=True))
    category: str | None = Field(default=None, sa_column=Column(String(CATEGORY_MAX), nullable=True))
    category_key: str | None = Field(default=None, sa_column=Column(String(CATEGORY_MAX), nullable=True))
    price_minor: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    currency: str | None = Field(default=None, sa_column=Column(String(3), nullable=True))
    price_ref: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    popularity: float = Field(default=0.0, sa_column=Column(Float, nullable=False))


class SearchWordRow(SQLModel, table=True):
    """Every word the index holds (folded, not stemmed): what typos are corrected to."""

    __tablename__ = "search_words"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    word: str = Field(sa_column=Column(String(MAX_WORD_CHARS), nullable=False, unique=True))


class SearchVersionRow(SQLModel, table=True):
    """One row: a number bumped by every transaction that writes the search index, in that transaction.

    Cached search totals and facets are keyed by it, so a commit that changes any product's index row
    makes every cached count of every server process unusable at the moment it becomes visible."""

    __tablename__ = "search_version"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    version: int = Field(default=0, sa_column=Column(BigId, nullable=False))


class PostHashtagRow(SQLModel, table=True):
    """The hashtags of each post, for `posts(hashtag:)` (kept with the post's content)."""

    __tablename__ = "post_hashtags"
    __table_args__ = (
        UniqueConstraint("post_id", "hashtag", name="uq_post_hashtags_post_hashtag"),
        Index("ix_post_hashtags_hashtag_post", "hashtag", "post_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    post_id: int = Field(sa_column=Column(BigId, ForeignKey("posts.id"), nullable=False))
    hashtag: str = Field(sa_column=Column(String(MAX_HASHTAG_LENGTH), nullable=False))


_fts_columns = ", ".join(TERM_COLUMNS)
_new = ", ".join(f"new.{c}" for c in TERM_COLUMNS)
_old = ", ".join(f"old.{c}" for c in TERM_COLUMNS)

SQLITE_PRODUCT_DDL = [
    f"CREATE VIRTUAL TABLE product_fts USING fts5({_fts_columns}, content='product_search', "
    "content_rowid='product_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
    f"CREATE TRIGGER product_search_fts_insert AFTER INSERT ON product_search BEGIN "
    f"INSERT INTO product_fts(rowid, {_fts_columns}) VALUES (new.product_id, {_new}); END",
    f"CREATE TRIGGER product_search_fts_delete AFTER DELETE ON product_search BEGIN "
    f"INSERT INTO product_fts(product_fts, rowid, {_fts_columns}) VALUES ('delete', old.product_id, {_old}); END",
    f"CREATE TRIGGER product_search_fts_update AFTER UPDATE OF {_fts_columns} ON product_search BEGIN "
    f"INSERT INTO product_fts(product_fts, rowid, {_fts_columns}) VALUES ('delete', old.product_id, {_old}); "
    f"INSERT INTO product_fts(rowid, {_fts_columns}) VALUES (new.product_id, {_new}); END",
]
SQLITE_WORD_DDL = [
    # Words are padded as pg_trgm pads them (two spaces before, one after), so that a transposition
    # in a short word ("jakcet") still shares its first and last trigrams with the word meant.
    "CREATE VIRTUAL TABLE search_words_trigram USING fts5(word, content='', tokenize='trigram')",
    "CREATE TRIGGER search_words_trigram_insert AFTER INSERT ON search_words BEGIN "
    "INSERT INTO search_words_trigram(rowid, word) VALUES (new.id, '  ' || new.word || ' '); END",
    "CREATE TRIGGER search_words_trigram_delete AFTER DELETE ON search_words BEGIN "
    "INSERT INTO search_words_trigram(search_words_trigram, rowid, word) "
    "VALUES ('delete', old.id, '  ' || old.word || ' '); END",
]
POSTGRES_PRODUCT_DDL = [
    "ALTER TABLE product_search ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, brand_terms || ' ' || category_terms), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, option_terms || ' ' || tag_terms), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'D')) STORED",
    "CREATE INDEX ix_product_search_document ON product_search USING gin (document)",
]
POSTGRES_WORD_DDL = [
    f"CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA {TRGM_SCHEMA}",
    f"CREATE INDEX ix_search_words_trigram ON search_words USING gin (word {TRGM_SCHEMA}.gin_trgm_ops)",
]

SEARCH_DDL: dict[str, dict[str, list[str]]] = {
    "sqlite": {"product_search": SQLITE_PRODUCT_DDL, "search_words": SQLITE_WORD_DDL},
    "postgresql": {"product_search": POSTGRES_PRODUCT_DDL, "search_words": POSTGRES_WORD_DDL},
}

DIALECT_SPECIFIC = {
    "product_fts",
    "search_words_trigram",
    "document",
    "ix_product_search_document",
    "ix_search_words_trigram",
}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's filter: the full-text structures each database adds are not part of the models."""
    if reflected and compare_to is None and name is not None:
        return not any(name == n or name.startswith(n + "_") for n in DIALECT_SPECIFIC)
    return True


for _table, _name in (
    (table_of(ProductSearchRow), "product_search"),
    (table_of(SearchWordRow), "search_words"),
):
    for _dialect, _ddl in SEARCH_DDL.items():
        for _statement in _ddl[_name]:
            event.listen(_table, "after_create", DDL(_statement).execute_if(dialect=_dialect))
