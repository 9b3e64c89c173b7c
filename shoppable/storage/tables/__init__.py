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
from shoppable.storage.tables.experiments import (
    ExperimentExposureRow,
    ExperimentRow,
    ExperimentTeamRow,
    ExperimentUnitRow,
)
from shoppable.storage.tables.feed import EventRow, FeedHideRow, FeedServedRow, FeedSessionRow
from shoppable.storage.tables.identity import ApiKeyRow, MerchantMemberRow, MerchantRow, UserRow
from shoppable.storage.tables.imports import CatalogImportErrorRow, CatalogImportRow, IdempotencyRecordRow
from shoppable.storage.tables.search import PostHashtagRow, ProductSearchRow, SearchVersionRow, SearchWordRow
from shoppable.storage.tables.trust import (
    AuditLogRow,
    AuthSessionRow,
    ConsentChangeRow,
    DataExportRow,
    OutboxEmailRow,
    PasswordResetRow,
    RefreshTokenRow,
)
from shoppable.storage.tables.vision import (
    CatalogImageLinkRow,
    CatalogImageRow,
    SearchUploadRow,
    VisionLinkedProductRow,
)
from shoppable.storage.tables.webhooks import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
    WebhookEventRow,
)

metadata = SQLModel.metadata

__all__ = [
    "ApiKeyRow",
    "AuditLogRow",
    "AuthSessionRow",
    "CartLineRow",
    "CartRow",
    "CartTouchRow",
    "CatalogImageLinkRow",
    "CatalogImageRow",
    "CatalogImportErrorRow",
    "CatalogImportRow",
    "CheckoutAttemptRow",
    "CheckoutLineRow",
    "CheckoutRow",
    "CommissionRow",
    "ConsentChangeRow",
    "CreatorRow",
    "DataExportRow",
    "EventRow",
    "ExperimentExposureRow",
    "ExperimentRow",
    "ExperimentTeamRow",
    "ExperimentUnitRow",
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
    "OutboxEmailRow",
    "PasswordResetRow",
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
    "RefreshTokenRow",
    "SaveRow",
    "SearchUploadRow",
    "SearchVersionRow",
    "SearchWordRow",
    "SkuRow",
    "StockHoldRow",
    "UploadRow",
    "UserRow",
    "VisionLinkedProductRow",
    "WebhookAttemptRow",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
    "WebhookEventRow",
    "metadata",
]
