"""Who is calling: a user, a merchant's API key, an anonymous device, or nobody."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    is_admin: bool = False
    # Merchants the caller may manage: the user's memberships, or the one merchant of an API key.
    merchant_ids: frozenset[int] = field(default_factory=frozenset)
    api_key_id: int | None = None
    device_id: str | None = None
    personalization_consent: bool = False
    analytics_consent: bool = False  # a signed-in user's behavioural events are kept only with it
    session_id: int | None = None
    """The sign-in session of a user's access token (None for API keys and anonymous callers)."""
    global_privacy_control: bool = False
    """The request carried `Sec-GPC: 1`."""
    recommendations_reset_at: datetime | None = None
    """The user reset their recommendation profile then: the ranker ignores their activity before."""
    channel: str = "OTHER"
    """APP, WEB, WATCH or OTHER, as the client said (`X-Channel`), for consent records."""
    ip: str | None = None
    """The caller's address as the server sees it (behind a proxy: what the proxy forwarded, when
    the ASGI server trusts it), for rate limits."""

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.api_key_id is not None

    def manages(self, merchant_id: int) -> bool:
        return self.is_admin or merchant_id in self.merchant_ids


ANONYMOUS = Actor()
OPERATOR = Actor(is_admin=True)
"""Whoever runs the `shoppable` command or seeds demo data: may manage any merchant's catalog."""
