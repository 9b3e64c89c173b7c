"""How often one caller may do one thing: every named limit, its amount and its window, in one place.

Operations call `RateLimiter.hit` (or `check`, where only failures count) at their start; the storage
adapter (`storage/rate_limits.py`, the `limits` library on Redis or in memory) does the counting.
Settings may tune a limit by name (`RATE_LIMITS`), never add one: the names and defaults live here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity.actor import Actor


@dataclass(frozen=True)
class RateLimit:
    name: str
    amount: int
    window_seconds: int


# OWASP ASVS 2.2.1 allows at most 100 failed attempts an hour on one account; 10 per 15 minutes is at
# most 40, and a person who mistyped ten times waits minutes, not hours. Keyed by the normalized email
# whether or not an account has it, so the limit tells nobody which emails are registered.
LOG_IN_FAILURES_PER_ACCOUNT = RateLimit("log-in-failures-per-account", 10, 15 * 60)
# One address guessing across many accounts; generous for offices and carriers behind one NAT.
LOG_IN_FAILURES_PER_IP = RateLimit("log-in-failures-per-ip", 100, 60 * 60)
SIGN_UP_PER_IP = RateLimit("sign-up-per-ip", 20, 60 * 60)
CREATE_UPLOAD_PER_ACTOR = RateLimit("create-upload-per-actor", 120, 60 * 60)
# Apps send events in batches (at most 500 each) every few seconds.
TRACK_EVENTS_PER_ACTOR = RateLimit("track-events-per-actor", 120, 60)
# A device id costs nothing to change: anonymous devices are also counted by address, so rotating
# X-Device-Id does not buy more calls than 600 a minute from one place (a busy carrier NAT included).
ANONYMOUS_TRACK_EVENTS_PER_IP = RateLimit("anonymous-track-events-per-ip", 600, 60)
REPORT_POST_PER_ACTOR = RateLimit("report-post-per-actor", 30, 60 * 60)
HIDE_FROM_FEED_PER_ACTOR = RateLimit("hide-from-feed-per-actor", 120, 60 * 60)
# Reset mail: a few a day per address (whether or not it has an account, so the limit tells nothing)
# and per caller address, so nobody fills someone's inbox or our sending reputation.
PASSWORD_RESET_PER_EMAIL = RateLimit("password-reset-per-email", 5, 24 * 60 * 60)
PASSWORD_RESET_PER_IP = RateLimit("password-reset-per-ip", 30, 60 * 60)
# An export reads every row of a person: a few a day is plenty.
DATA_EXPORT_PER_USER = RateLimit("data-export-per-user", 5, 24 * 60 * 60)
# Visual search photos: a shopper scanning things in a shop takes a few a minute, not hundreds.
VISUAL_SEARCH_UPLOADS_PER_ACTOR = RateLimit("visual-search-uploads-per-actor", 60, 60 * 60)
ANONYMOUS_VISUAL_SEARCH_UPLOADS_PER_IP = RateLimit("anonymous-visual-search-uploads-per-ip", 300, 60 * 60)

LIMITS: dict[str, RateLimit] = {
    limit.name: limit
    for limit in (
        LOG_IN_FAILURES_PER_ACCOUNT,
        LOG_IN_FAILURES_PER_IP,
        SIGN_UP_PER_IP,
        CREATE_UPLOAD_PER_ACTOR,
        TRACK_EVENTS_PER_ACTOR,
        ANONYMOUS_TRACK_EVENTS_PER_IP,
        REPORT_POST_PER_ACTOR,
        HIDE_FROM_FEED_PER_ACTOR,
        PASSWORD_RESET_PER_EMAIL,
        PASSWORD_RESET_PER_IP,
        DATA_EXPORT_PER_USER,
        VISUAL_SEARCH_UPLOADS_PER_ACTOR,
        ANONYMOUS_VISUAL_SEARCH_UPLOADS_PER_IP,
    )
}

_RATE_RE = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9})\s*$")


class RateLimited(DomainError):
    """The caller used up a limit; `retry_after_seconds` says when the next attempt can succeed."""

    def __init__(self, limit: RateLimit, retry_after_seconds: float) -> None:
        self.limit = limit
        self.retry_after_seconds = max(1, math.ceil(retry_after_seconds))
        super().__init__(
            FieldError(
                (),
                ErrorCode.RATE_LIMITED,
                f"Too many attempts; try again in {self.retry_after_seconds} seconds.",
            )
        )


class RateLimiter(Protocol):
    async def hit(self, limit: RateLimit, key: str) -> None:
        """Count one attempt under `key`; raise `RateLimited` when it does not fit in the limit."""
        ...

    async def check(self, limit: RateLimit, key: str) -> None:
        """Raise `RateLimited` when the limit is used up under `key`, without counting anything."""
        ...


def ip_key(actor: Actor) -> str:
    return f"ip:{actor.ip or 'unknown'}"


def actor_key(actor: Actor) -> str:
    """The signed-in user, else the device, else the address."""
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    if actor.api_key_id is not None:
        return f"api-key:{actor.api_key_id}"
    if actor.device_id:
        return f"device:{actor.device_id}"
    return ip_key(actor)


def tuned(overrides: Mapping[str, str]) -> dict[str, RateLimit]:
    """The limits with the settings' overrides (`{"sign-up-per-ip": "20/3600"}`: amount/seconds).

    Raises ValueError for an unknown name or a malformed rate, so that a typo fails at start-up.
    """
    limits = dict(LIMITS)
    for name, rate in overrides.items():
        if name not in LIMITS:
            raise ValueError(f"Unknown rate limit {name!r}; known: {', '.join(sorted(LIMITS))}.")
        match = _RATE_RE.match(rate)
        if not match or int(match[1]) < 1 or int(match[2]) < 1:
            raise ValueError(f"Rate limit {name!r} must read AMOUNT/SECONDS, like 10/900; got {rate!r}.")
        limits[name] = replace(LIMITS[name], amount=int(match[1]), window_seconds=int(match[2]))
    return limits


class Unlimited:
    """For the operator's own work (demo data, benchmarks): nobody to hold back."""

    async def hit(self, limit: RateLimit, key: str) -> None:
        return None

    async def check(self, limit: RateLimit, key: str) -> None:
        return None


UNLIMITED = Unlimited()
