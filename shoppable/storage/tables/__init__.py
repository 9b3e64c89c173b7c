"""Every table, imported so that `SQLModel.metadata` knows them all (Alembic reads it)."""

from sqlmodel import SQLModel

from shoppable.storage.tables.catalog import ProductImageRow, ProductRow, SkuRow
from shoppable.storage.tables.commerce import (
    CartLineRow,
    CartRow,
    CartTouchRow,
    CheckoutAttemptRow,
    CheckoutLineRow,
    CheckoutRow,
    CommissionRow,
    OrderLineRow,
    OrderRow,
    PaymentRow,
    PayoutRow,
    StockHoldRow,
)
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
from shoppable.storage.tables.search import PostHashtagRow, ProductSearchRow, SearchWordRow

metadata = SQLModel.metadata

__all__ = [
    "ApiKeyRow",
    "CartLineRow",
    "CartRow",
    "CartTouchRow",
    "CatalogImportErrorRow",
    "CatalogImportRow",
    "CheckoutAttemptRow",
    "CheckoutLineRow",
    "CheckoutRow",
    "CommissionRow",
    "CreatorRow",
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
    "OrderLineRow",
    "OrderRow",
    "PaymentRow",
    "PayoutRow",
    "PostHashtagRow",
    "PostMediaRow",
    "PostReportRow",
    "PostRow",
    "ProductImageRow",
    "ProductRow",
    "ProductSearchRow",
    "ProductTagRow",
    "SaveRow",
    "SearchWordRow",
    "SkuRow",
    "StockHoldRow",
    "UploadRow",
    "UserRow",
    "metadata",
]
