"""The feed's tunable settings, read from the app's settings once per page."""

from __future__ import annotations

from dataclasses import dataclass

from shoppable.domain.feed.mixing import DEFAULT_PATTERN
from shoppable.domain.feed.ports import FeedSettings


@dataclass(frozen=True)
class FeedConfig:
    pattern: str = DEFAULT_PATTERN
    session_ttl_seconds: int = 24 * 3600
    purchase_window_days: int = 90
    history_days: int = 60
    ranker_candidates: int = 200
    plan_ttl_seconds: int = 300
    """How long a session's ranked candidates are reused before ranking again (as `CandidatePlanCache`)."""

    @classmethod
    def from_settings(cls, settings: FeedSettings) -> FeedConfig:
        return cls(
            pattern=settings.feed_slot_pattern,
            session_ttl_seconds=settings.feed_session_ttl_seconds,
            purchase_window_days=settings.feed_purchase_window_days,
        )
