"""Every table, imported so that `SQLModel.metadata` knows them all (Alembic reads it)."""

from sqlmodel import SQLModel

from shoppable.storage.tables.catalog import ProductImageRow, ProductRow, SkuRow
from shoppable.storage.tables.content import (
    CreatorRow,
    FollowRow,
    LikeRow,
    MediaRenditionRow,
    MediaRow,
    ModerationDecisionRow,
    PostMediaRow,
    PostReportRow,
    PostRow,
    ProductTagRow,
    SaveRow,
    UploadRow,
)
from shoppable.storage.tables.feed import EventRow, FeedHideRow, FeedServedRow, FeedSessionRow
from shoppable.storage.tables.identity import ApiKeyRow, MerchantMemberRow, MerchantRow, UserRow
from shoppable.storage.tables.imports import CatalogImportErrorRow, CatalogImportRow, IdempotencyRecordRow
from shoppable.storage.tables.trust import (
    AuditLogRow,
    AuthSessionRow,
    ConsentChangeRow,
    DataExportRow,
    OutboxEmailRow,
    PasswordResetRow,
    RefreshTokenRow,
)

metadata = SQLModel.metadata

__all__ = [
    "ApiKeyRow",
    "AuditLogRow",
    "AuthSessionRow",
    "CatalogImportErrorRow",
    "CatalogImportRow",
    "ConsentChangeRow",
    "CreatorRow",
    "DataExportRow",
    "EventRow",
    "FeedHideRow",
    "FeedServedRow",
    "FeedSessionRow",
    "FollowRow",
    "IdempotencyRecordRow",
    "LikeRow",
    "MediaRenditionRow",
    "MediaRow",
    "MerchantMemberRow",
    "MerchantRow",
    "ModerationDecisionRow",
    "OutboxEmailRow",
    "PasswordResetRow",
    "PostMediaRow",
    "PostReportRow",
    "PostRow",
    "ProductImageRow",
    "ProductRow",
    "ProductTagRow",
    "RefreshTokenRow",
    "SaveRow",
    "SkuRow",
    "UploadRow",
    "UserRow",
    "metadata",
]
