"""Persistence the identity operations need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shoppable.domain.identity.consent import Consent, ConsentChange, ConsentSource
from shoppable.domain.identity.credentials import TokenConfig
from shoppable.domain.identity.records import (
    ApiKey,
    AuditEntry,
    AuthSession,
    DataExport,
    Merchant,
    OutboxEmail,
    PasswordReset,
    RefreshToken,
    User,
)
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.rate_limits import RateLimiter


class IdentityServices(Protocol):
    """What sign-up and log-in need besides the database; `shoppable.services.Services` is one."""

    @property
    def tokens(self) -> TokenConfig: ...

    @property
    def rate_limits(self) -> RateLimiter: ...


class IdentityRepository(Protocol):
    async def get_user(self, user_id: int) -> User | None: ...

    async def get_user_with_password(self, email: str) -> tuple[User, str] | None: ...

    async def add_user(
        self, email: str, password_hash: str, display_name: str, *, is_admin: bool
    ) -> User: ...

    async def set_admin(self, user_id: int, password_hash: str | None) -> None: ...

    async def set_consent(self, user_id: int, consent: Consent) -> None: ...

    async def merchant_ids_of(self, user_id: int) -> frozenset[int]: ...

    async def user_with_merchant_ids(self, user_id: int) -> tuple[User, frozenset[int]] | None:
        """`get_user` and `merchant_ids_of` in one read (a token minted without a session)."""
        ...

    async def get_merchant(self, merchant_id: int) -> Merchant | None: ...

    async def get_merchants(self, merchant_ids: Sequence[int]) -> list[Merchant]: ...

    async def get_merchant_by_handle(self, handle: str) -> Merchant | None: ...

    async def add_merchant(
        self, handle: str, name: str, currency: str, low_stock: int, owner_id: int
    ) -> Merchant | None:
        """The new merchant, or None when its handle is taken (checked by the insert itself)."""
        ...

    async def add_api_key(
        self, merchant_id: int, name: str, prefix: str, key_hash: str, by: int
    ) -> ApiKey: ...

    async def get_api_key(self, api_key_id: int) -> ApiKey | None: ...

    async def list_api_keys(self, merchant_id: int) -> list[ApiKey]:
        """Newest first."""
        ...

    async def find_active_api_key(self, key_hash: str) -> ApiKey | None: ...

    async def revoke_api_key(self, api_key_id: int, at: datetime) -> None: ...


@dataclass(frozen=True)
class ProfileSignals:
    """What the ranker reads about one user, counted for `viewer.recommendationProfile`."""

    event_count: int
    categories: list[tuple[str, int]]  # most frequent first
    creator_ids: list[int]  # creators of liked and saved posts, most engaged first, then followed
    prices: list[tuple[int, str]]  # (minor units, currency) of the products viewed, carted, bought


@dataclass(frozen=True)
class HiddenItem:
    id: int
    subject_type: str
    subject_id: int
    hidden_at: datetime


@dataclass(frozen=True)
class ErasedFiles:
    """Objects in the media store that named the person (their media and its renditions)."""

    keys: list[str]


class TrustRepository(Protocol):
    """Sessions, consent history, password resets, the mail outbox, exports, the audit log, and the
    per-table export, erasure and device-merge rules (`storage/privacy.py`)."""

    # -- accounts --
    async def password_hash_of(self, user_id: int) -> str | None: ...

    async def set_password(self, user_id: int, password_hash: str) -> None:
        """Also moves the token version on: every access token issued before is dead."""
        ...

    async def bump_token_version(self, user_id: int) -> None: ...

    async def set_recommendations_reset(self, user_id: int, at: datetime) -> None: ...

    # -- sessions --
    async def add_session(
        self, user_id: int, channel: str, device_label: str, now: datetime, expires_at: datetime
    ) -> AuthSession: ...

    async def get_session(self, session_id: int) -> AuthSession | None: ...

    async def session_with_user(self, session_id: int) -> tuple[AuthSession, User, frozenset[int]] | None:
        """A session, its account and the merchants the account belongs to, in one read (every
        authenticated request makes it)."""
        ...

    async def active_sessions(self, user_id: int, now: datetime) -> list[AuthSession]:
        """Newest first."""
        ...

    async def touch_session(self, session_id: int, now: datetime) -> None: ...

    async def revoke_sessions(
        self, user_id: int, reason: str, now: datetime, *, only: int | None = None, keep: int | None = None
    ) -> int:
        """End the user's active sessions (just `only`, or all but `keep`); returns how many."""
        ...

    async def add_refresh_token(self, session_id: int, token_hash: str, expires_at: datetime) -> None: ...

    async def find_refresh_token(self, token_hash: str) -> RefreshToken | None: ...

    async def spend_refresh_token(self, token_id: int, now: datetime) -> bool:
        """Mark it spent; False when it already was (a concurrent use)."""
        ...

    # -- consent --
    async def add_consent_change(
        self, user_id: int, consent: Consent, channel: str, source: ConsentSource
    ) -> None: ...

    async def consent_history(self, user_id: int, page: PageRequest) -> Page[ConsentChange]:
        """Newest first."""
        ...

    # -- password resets and mail --
    async def add_password_reset(self, user_id: int, token_hash: str, expires_at: datetime) -> None: ...

    async def find_password_reset(self, token_hash: str) -> PasswordReset | None: ...

    async def use_password_resets(self, user_id: int, now: datetime) -> None:
        """Every open reset link of the user is spent (one was used, or the password changed)."""
        ...

    async def add_email(self, user_id: int | None, to_address: str, subject: str, body: str) -> int: ...

    async def pending_emails(self, limit: int, max_attempts: int) -> list[OutboxEmail]: ...

    async def mark_email_sent(self, email_id: int, now: datetime) -> None: ...

    async def mark_email_failed(self, email_id: int, error: str) -> None: ...

    # -- exports --
    async def add_export(self, user_id: int, download_hash: str, expires_at: datetime) -> DataExport: ...

    async def get_export(self, export_id: int) -> DataExport | None: ...

    async def find_export_by_download(self, download_hash: str) -> DataExport | None: ...

    async def finish_export(
        self, export_id: int, status: str, object_key: str | None, byte_size: int | None, now: datetime
    ) -> None: ...

    async def exports_of(self, user_id: int) -> list[DataExport]:
        """Newest first."""
        ...

    async def expired_exports(self, now: datetime, limit: int) -> list[DataExport]: ...

    async def delete_exports(self, export_ids: Sequence[int]) -> None: ...

    # -- audit log --
    async def add_audit(
        self,
        actor_user_id: int | None,
        actor_api_key_id: int | None,
        action: str,
        subject_type: str,
        subject_id: int | None,
        details: dict[str, Any],
    ) -> None: ...

    async def audit_page(self, page: PageRequest, action: str | None) -> Page[AuditEntry]:
        """Newest first."""
        ...

    # -- privacy: per-table rules --
    async def export_rows(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row that names the user, by table (see `storage/privacy.py`)."""
        ...

    async def erase_user(self, user_id: int, now: datetime) -> ErasedFiles:
        """Delete or anonymize every row that names the user; returns the files to delete."""
        ...

    async def delete_user_events(self, user_id: int) -> int: ...

    async def hidden_items(self, user_id: int, page: PageRequest) -> Page[HiddenItem]:
        """What the user hid from their feed, most recently hidden first."""
        ...

    async def profile_signals(self, user_id: int, since: datetime) -> ProfileSignals: ...

    # -- one customer across channels: an anonymous device's activity joins the account --
    async def claim_device_events(self, device_id: str, user_id: int, *, keep: bool) -> int:
        """The device's anonymous events become the user's (`keep`), each once: an event id the user
        already stored is dropped, not counted twice; without `keep` they are deleted."""
        ...

    async def claim_device_hides(self, device_id: str, user_id: int) -> int: ...

    async def claim_device_feed_sessions(self, device_id: str, user_id: int) -> int: ...

    async def prune(self, now: datetime) -> dict[str, int]:
        """Delete what has outlived its purpose: ended sessions, spent reset links, sent mail."""
        ...
