"""Catalog import jobs, their row errors, and idempotency records of fast updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.domain.catalog.formats.records import ERROR_EXTERNAL_ID_MAX, ERROR_FIELD_MAX
from shoppable.storage.types import BigId, UTCDateTime, utcnow


class CatalogImportRow(SQLModel, table=True):
    __tablename__ = "catalog_imports"
    __table_args__ = (
        Index("ix_catalog_imports_merchant_id", "merchant_id", "id"),
        Index("ix_catalog_imports_status", "status"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    format: str = Field(sa_column=Column(String(16), nullable=False))
    mode: str = Field(sa_column=Column(String(8), nullable=False))
    force: bool = False
    status: str = Field(default="queued", sa_column=Column(String(24), nullable=False))
    file_path: str = Field(sa_column=Column(String(1024), nullable=False))
    file_size: int = Field(default=0, sa_column=Column(BigId, nullable=False))
    bytes_read: int = Field(default=0, sa_column=Column(BigId, nullable=False))
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    failed: int = 0
    error_count: int = 0
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    heartbeat_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    cancel_requested_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class CatalogImportErrorRow(SQLModel, table=True):
    __tablename__ = "catalog_import_errors"
    __table_args__ = (Index("ix_catalog_import_errors_import", "import_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    import_id: int = Field(sa_column=Column(BigId, ForeignKey("catalog_imports.id"), nullable=False))
    row: int = Field(sa_column=Column(Integer, nullable=False))
    external_id: str | None = Field(
        default=None, sa_column=Column(String(ERROR_EXTERNAL_ID_MAX), nullable=True)
    )
    field: str = Field(sa_column=Column(String(ERROR_FIELD_MAX), nullable=False))
    code: str = Field(sa_column=Column(String(32), nullable=False))
    message: str = Field(sa_column=Column(Text, nullable=False))


class IdempotencyRecordRow(SQLModel, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("merchant_id", "endpoint", "key", name="uq_idempotency_key"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    endpoint: str = Field(sa_column=Column(String(64), nullable=False))
    key: str = Field(sa_column=Column(String(255), nullable=False))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    status_code: int = Field(sa_column=Column(Integer, nullable=False))
    response: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
