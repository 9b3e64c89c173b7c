"""Keeping the search index whole: a full rebuild, and the popularity that relevance is blended with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.feed.trending import engagement_scores
from shoppable.domain.search.products import popularity_boost

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

REINDEX_BATCH = 1000
POPULARITY_WINDOW = timedelta(days=30)


async def reindex(uow: UnitOfWork, on_progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the catalog in one transaction (readers see the old index until the
    commit); returns the number of products indexed. Popularity is recomputed afterwards."""
    await uow.begin_write()
    await uow.search.clear()
    after, indexed = 0, 0
    while (last := await uow.search.reindex_batch(after, REINDEX_BATCH)) is not None:
        indexed += await uow.search.count_between(after, last)
        after = last
        if on_progress is not None:
            on_progress(indexed)
    await uow.search.optimize()
    await uow.commit()
    return indexed


async def refresh_popularity(uow: UnitOfWork, now: datetime) -> int:
    """Each product's popularity from the last 30 days of engagement (the feed's trending weights, with
    its limits on anonymous devices), as a boost between 0 and 1. Returns the products with any."""
    await uow.begin_write()
    engagement = engagement_scores(await uow.feed.engagement_since(now - POPULARITY_WINDOW), now)
    boosts = {
        pk: popularity_boost(score)
        for (kind, pk), score in engagement.items()
        if kind == "Product" and score > 0
    }
    await uow.search.set_popularity(boosts)
    await uow.commit()
    return len(boosts)
