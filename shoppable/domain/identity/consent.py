"""Consent a user has given: everything is off until they turn it on, and every change is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

CURRENT_POLICY_VERSION = "2026-11"


class ConsentSource(StrEnum):
    """Why a consent change was recorded."""

    SIGN_UP = "SIGN_UP"  # the choices made on the sign-up form (all off unless chosen)
    USER = "USER"  # updateConsent
    GPC = "GPC"  # a request carried `Sec-GPC: 1`: marketing and sharing off
    ACCOUNT_DELETED = "ACCOUNT_DELETED"  # everything off; the one change kept after erasure


@dataclass(frozen=True)
class Consent:
    personalization: bool = False
    analytics: bool = False
    marketing: bool = False
    policy_version: str = ""
    updated_at: datetime | None = None
    global_privacy_control: bool = False
    """A Global Privacy Control signal is in force: marketing stays off and nothing is shared or sold."""


@dataclass(frozen=True)
class ConsentChange:
    id: int
    user_id: int
    changed_at: datetime
    channel: str
    policy_version: str
    source: ConsentSource
    personalization: bool
    analytics: bool
    marketing: bool
    global_privacy_control: bool
