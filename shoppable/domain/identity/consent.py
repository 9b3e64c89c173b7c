"""Consent a user has given: everything is off until they turn it on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CURRENT_POLICY_VERSION = "2026-11"


@dataclass(frozen=True)
class Consent:
    personalization: bool = False
    analytics: bool = False
    marketing: bool = False
    policy_version: str = ""
    updated_at: datetime | None = None
