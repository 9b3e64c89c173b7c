"""Identity entities as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
