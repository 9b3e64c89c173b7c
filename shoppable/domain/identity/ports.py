"""Persistence the identity operations need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shoppable.domain.identity.consent import Consent
from shoppable.domain.identity.credentials import TokenConfig
from shoppable.domain.identity.records import ApiKey, Merchant, User
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
