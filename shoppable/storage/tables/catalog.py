"""Products, their images and SKUs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.domain.catalog.limits import (
    BRAND_MAX,
    CATEGORY_MAX,
    GTIN_MAX,
    HANDLE_MAX,
    MPN_MAX,
    SKU_CODE_MAX,
    SKU_TITLE_MAX,
    TITLE_MAX,
    URL_MAX,
)
from shoppable.storage.types import BigId, UTCDateTime, utcnow

# Column lengths come from the domain's limits, which every write path checks first.


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("merchant_id", "handle", name="uq_products_merchant_handle"),
        Index("ix_products_status_id", "status", "id"),
        Index("ix_products_merchant_status_id", "merchant_id", "status", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    handle: str = Field(sa_column=Column(String(HANDLE_MAX), nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_MAX), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    brand: str | None = Field(default=None, sa_column=Column(String(BRAND_MAX), nullable=True))
    category: str | None = Field(default=None, sa_column=Column(String(CATEGORY_MAX), nullable=True))
    status: str = Field(default="ACTIVE", sa_column=Column(String(16), nullable=False))
    option_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    extra: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    """The feed's other attributes as (name, value) pairs (tags, material, colour...): searched."""
    availability: str = Field(default="OUT_OF_STOCK", sa_column=Column(String(16), nullable=False))
    content_hash: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ProductImageRow(SQLModel, table=True):
    __tablename__ = "product_images"
    __table_args__ = (Index("ix_product_images_product", "product_id", "position"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    product_id: int = Field(sa_column=Column(BigId, ForeignKey("products.id"), nullable=False))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    url: str = Field(sa_column=Column(String(URL_MAX), nullable=False))
    url_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    """sha256 of `url` (`domain/vision/ingest.url_hash`): joins `catalog_images` for our renditions."""
    alt_text: str | None = Field(default=None, sa_column=Column(String(512), nullable=True))


class SkuRow(SQLModel, table=True):
    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("merchant_id", "sku", name="uq_skus_merchant_sku"),
        Index("ix_skus_product_position", "product_id", "position", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    product_id: int = Field(sa_column=Column(BigId, ForeignKey("products.id"), nullable=False))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    sku: str = Field(sa_column=Column(String(SKU_CODE_MAX), nullable=False))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    title: str | None = Field(default=None, sa_column=Column(String(SKU_TITLE_MAX), nullable=True))
    options: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    price_minor: int = Field(sa_column=Column(BigId, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    compare_at_minor: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    quantity: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    inventory_policy: str = Field(default="DENY", sa_column=Column(String(16), nullable=False))
    availability: str = Field(default="OUT_OF_STOCK", sa_column=Column(String(16), nullable=False))
    gtin: str | None = Field(default=None, sa_column=Column(String(GTIN_MAX), nullable=True))
    mpn: str | None = Field(default=None, sa_column=Column(String(MPN_MAX), nullable=True))
    image_url: str | None = Field(default=None, sa_column=Column(String(URL_MAX), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
