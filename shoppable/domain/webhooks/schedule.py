"""When to try a delivery again, and what an answer means.

The schedule is Standard Webhooks' example: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
14 h, 20 h and 24 h after each failure (about 3 days in all), each delay spread by +-20 % of jitter so
that endpoints coming back from an outage are not hit by every retry at the same second.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(hours=24)
"""A receiver's Retry-After is honoured up to this; beyond it the schedule's own delay applies."""

TIMEOUT_SECONDS = 15.0
LEASE_SECONDS = 60.0
"""A claimed delivery not answered for within this (the worker died mid-request) is due again."""


def retry_delay(
    attempts_made: int, rng: Callable[[], float] = random.random, retry_after: timedelta | None = None
) -> timedelta | None:
    """Delay before the next attempt after `attempts_made` failed ones; None when the schedule is spent.

    A `Retry-After` longer than the jittered delay wins (up to MAX_RETRY_AFTER); a shorter one does not
    bring the retry forward."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts_made - 1]
    delay = base * (1 + JITTER * (2 * rng() - 1))
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, MAX_RETRY_AFTER)
    return delay


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=min(int(text), int(MAX_RETRY_AFTER.total_seconds())))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - now)


@dataclass(frozen=True)
class Answer:
    """What one attempt got back: a status code, or an error before any answer."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    retry_after: str | None = None
    body_excerpt: str | None = None

    @property
    def delivered(self) -> bool:
        """Only 2xx counts: a redirect is not followed, and is a failure."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """410 Gone: the receiver says the endpoint no longer exists; it is disabled."""
        return self.status_code == 410

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status_code}"
