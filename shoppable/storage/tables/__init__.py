"""Every table, imported so that `SQLModel.metadata` knows them all (Alembic reads it)."""

from sqlmodel import SQLModel

from shoppable.storage.tables.catalog import ProductImageRow, ProductRow, SkuRow
from shoppable.storage.tables.identity import ApiKeyRow, MerchantMemberRow, MerchantRow, UserRow
from shoppable.storage.tables.imports import CatalogImportErrorRow, CatalogImportRow, IdempotencyRecordRow

metadata = SQLModel.metadata

__all__ = [
    "ApiKeyRow",
    "CatalogImportErrorRow",
    "CatalogImportRow",
    "IdempotencyRecordRow",
    "MerchantMemberRow",
    "MerchantRow",
    "ProductImageRow",
    "ProductRow",
    "SkuRow",
    "UserRow",
    "metadata",
]
