"""Visual search: catalog images fetched and embedded, which products show them, shoppers' search photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.domain.catalog.limits import URL_MAX
from shoppable.storage.types import BigId, UTCDateTime, utcnow


class CatalogImageRow(SQLModel, table=True):
    """One image URL of any catalog, fetched once: its renditions and its embedding."""

    __tablename__ = "catalog_images"
    __table_args__ = (
        UniqueConstraint("url_hash", name="uq_catalog_images_url_hash"),
        Index("ix_catalog_images_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_catalog_images_embedded_at", "embedded_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    url: str = Field(sa_column=Column(String(URL_MAX), nullable=False))
    url_hash: str = Field(sa_column=Column(String(64), nullable=False))
    status: str = Field(default="PENDING", sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    width: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    height: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    renditions: list[list[object]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    model: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    embedded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CatalogImageLinkRow(SQLModel, table=True):
    """A product (or one of its SKUs) shows a catalog image; rewritten whenever the product is linked."""

    __tablename__ = "catalog_image_links"
    __table_args__ = (
        Index("ix_catalog_image_links_product", "product_id"),
        Index("ix_catalog_image_links_image", "image_id", "product_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    product_id: int = Field(sa_column=Column(BigId, ForeignKey("products.id"), nullable=False))
    image_id: int = Field(sa_column=Column(BigId, ForeignKey("catalog_images.id"), nullable=False))
    sku_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class VisionLinkedProductRow(SQLModel, table=True):
    """When a product's images were last linked: products updated since are linked again."""

    __tablename__ = "vision_linked_products"

    product_id: int = Field(sa_column=Column(BigId, ForeignKey("products.id"), primary_key=True))
    linked_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SearchUploadRow(SQLModel, table=True):
    """A shopper's photo for visual search: its embedding once computed; deleted a day later."""

    __tablename__ = "search_uploads"
    __table_args__ = (
        UniqueConstraint("key", name="uq_search_uploads_key"),
        Index("ix_search_uploads_created", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    owner: str = Field(sa_column=Column(String(200), nullable=False))
    key: str = Field(sa_column=Column(String(255), nullable=False))
    content_type: str = Field(sa_column=Column(String(100), nullable=False))
    byte_size: int = Field(sa_column=Column(Integer, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
