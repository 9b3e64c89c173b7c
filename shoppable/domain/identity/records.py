"""Identity entities as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoppable.domain.identity.consent import Consent


@dataclass(frozen=True)
class User:
    id: int
    email: str
    display_name: str
    is_admin: bool
    token_version: int
    consent: Consent
    created_at: datetime
    recommendations_reset_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Merchant:
    id: int
    handle: str
    name: str
    currency: str
    low_stock_threshold: int
    created_at: datetime
    commission_rate_bps: int = 1000
    """Creators' commission on attributed sales, in basis points of the price paid (1000 = 10%)."""
    return_window_days: int = 30
    attribution_window_days: int = 7
    language: str = "en"
    """The catalog's language (ISO 639-1): search stems its words with this language's stemmer."""


@dataclass(frozen=True)
class ApiKey:
    id: int
    merchant_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class SessionChannel(StrEnum):
    APP = "APP"
    WEB = "WEB"
    WATCH = "WATCH"
    OTHER = "OTHER"


class RevokedReason(StrEnum):
    LOGGED_OUT = "LOGGED_OUT"
    REVOKED = "REVOKED"  # ended from another session (revokeSession)
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    PASSWORD_RESET = "PASSWORD_RESET"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    ACCOUNT_DELETED = "ACCOUNT_DELETED"


@dataclass(frozen=True)
class AuthSession:
    """One signed-in device: its refresh tokens rotate; it ends as a whole."""

    id: int
    user_id: int
    channel: SessionChannel
    device_label: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True)
class RefreshToken:
    id: int
    session_id: int
    expires_at: datetime
    spent_at: datetime | None


@dataclass(frozen=True)
class PasswordReset:
    id: int
    user_id: int
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class OutboxEmail:
    id: int
    to_address: str
    subject: str
    body: str
    attempts: int


class ExportStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class DataExport:
    id: int
    user_id: int
    status: ExportStatus
    object_key: str | None
    byte_size: int | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor_user_id: int | None
    actor_api_key_id: int | None
    action: str
    subject_type: str
    subject_id: int | None
    details: dict[str, Any]
    created_at: datetime
