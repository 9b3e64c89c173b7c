"""The feed's tunable settings, read from the app's settings once per page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from shoppable.domain.feed.mixing import DEFAULT_PATTERN, DIVERSITY_WINDOW
from shoppable.domain.feed.model import Candidate
from shoppable.domain.feed.ports import FeedSettings, Ranker

Merge = Callable[[list[Candidate], list[Candidate], str], list[Candidate]]
"""(ranker A's product candidates, ranker B's, the session id) -> one list, each item with its team."""


@dataclass(frozen=True)
class Interleave:
    """A second ranker whose product candidates are merged with the first's, per session, by `merge`
    (team draft: `domain/experiments/interleaving.py`). The feed only calls it; what a team is and how
    it is credited belong to the experiment."""

    ranker_b: Ranker | None
    merge: Merge


@dataclass(frozen=True)
class FeedConfig:
    pattern: str = DEFAULT_PATTERN
    session_ttl_seconds: int = 24 * 3600
    purchase_window_days: int = 90
    history_days: int = 60
    ranker_candidates: int = 200
    plan_ttl_seconds: int = 300
    diversity_window: int = DIVERSITY_WINDOW
    """How long a session's ranked candidates are reused before ranking again (as `CandidatePlanCache`)."""

    @classmethod
    def from_settings(cls, settings: FeedSettings) -> FeedConfig:
        return cls(
            pattern=settings.feed_slot_pattern,
            session_ttl_seconds=settings.feed_session_ttl_seconds,
            purchase_window_days=settings.feed_purchase_window_days,
        )


@dataclass(frozen=True)
class FeedVariant:
    """What an experiment's variant changes in one page (`shoppable.domain.experiments` builds it).

    `tag` names the variant (experiment key and variant key): a session's ranked candidates are kept per
    tag, so a viewer whose experiment stops gets the default feed on their next page. `personalized`
    False serves the non-personal candidates whatever the consent; True leaves the viewer's consent in
    charge (a variant never turns personalization on). `ranker` replaces the current ranker when
    `replaces_ranker` is set (None: rank without a trained model). `interleave` (an interleaving
    experiment) ranks the personal products with a second ranker too and merges the two lists."""

    tag: str
    pattern: str | None = None
    diversity_window: int | None = None
    personalized: bool = True
    replaces_ranker: bool = False
    ranker: Ranker | None = None
    interleave: Interleave | None = None

    def apply(self, config: FeedConfig) -> FeedConfig:
        changed = config
        if self.pattern is not None:
            changed = replace(changed, pattern=self.pattern)
        if self.diversity_window is not None:
            changed = replace(changed, diversity_window=self.diversity_window)
        return changed
