"""The everyone-feed: trending posts and products and new arrivals, scored from this week's activity.

Storage hands over raw rows and counts; the scores are decided here. The result is the same for every
viewer and uses nothing about any one of them, so it is computed once and shared (`SnapshotCache`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from shoppable.domain.feed.ports import (
    EngagementCount,
    PostInfo,
    Snapshot,
    TrendingPost,
    TrendingProduct,
    TrendingReads,
)
from shoppable.domain.feed.ranking import EVENT_WEIGHTS, decay, post_trend_score

WINDOW = timedelta(days=7)
LATEST_POSTS = 300  # recent posts considered even without likes: new posts get their chance
MOST_LIKED = 300
TRENDING_PRODUCTS = 300
NEW_PRODUCTS = 100

DEVICE_SHARE = 0.2
"""An anonymous device counts a fifth of a signed-in user: a device id is whatever the client sends."""
DEVICE_CORROBORATION = 1.0
"""Anonymous devices add to an item at most this multiple of what signed-in users gave it.

Devices cost nothing to make up (3,000 random `X-Device-Id`s are a loop), so on their own they must
move nothing: an item nobody signed in engaged with gets nothing from devices, however many; an item
signed-in users engage with can gain from its anonymous audience, by at most doubling its score.
"""


def _hours(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def engagement_scores(counts: Iterable[EngagementCount], now: datetime) -> dict[tuple[str, int], float]:
    """Per (subject type, id): each event type's weight times its distinct senders (each once a day),
    faded by the age of its latest; anonymous devices weigh DEVICE_SHARE of a signed-in user and add
    at most DEVICE_CORROBORATION times what signed-in users gave (nothing on their own)."""
    signed_in: dict[tuple[str, int], float] = {}
    devices: dict[tuple[str, int], float] = {}
    for row in counts:
        weight = EVENT_WEIGHTS.get(row.event_type, 0.0) * row.count * decay(_hours(now, row.latest_at))
        key = (row.subject_type, row.subject_id)
        if row.signed_in:
            signed_in[key] = signed_in.get(key, 0.0) + weight
        else:
            devices[key] = devices.get(key, 0.0) + DEVICE_SHARE * weight
    return {
        key: signed_in.get(key, 0.0)
        + min(devices.get(key, 0.0), DEVICE_CORROBORATION * signed_in.get(key, 0.0))
        for key in signed_in.keys() | devices.keys()
    }


def rank_posts(
    posts: Iterable[PostInfo],
    likes: Mapping[int, int],
    engagement: Mapping[tuple[str, int], float],
    now: datetime,
) -> list[TrendingPost]:
    """Best first (newest id first among equals)."""
    return sorted(
        (
            TrendingPost(
                post,
                post_trend_score(
                    likes.get(post.id, 0),
                    post.save_count,
                    engagement.get(("Post", post.id), 0.0),
                    _hours(now, post.published_at),
                ),
                likes.get(post.id, 0),
            )
            for post in posts
        ),
        key=lambda t: (-t.score, -t.post.id),
    )


def top_products(engagement: Mapping[tuple[str, int], float], limit: int) -> list[tuple[int, float]]:
    """(product id, score) of the products with any positive engagement, best first."""
    scored = ((pk, score) for (kind, pk), score in engagement.items() if kind == "Product" and score > 0)
    return sorted(scored, key=lambda item: -item[1])[:limit]


async def compute_snapshot(reads: TrendingReads, now: datetime) -> Snapshot:
    """Trending posts (likes and views this week, faded by age), trending and new products."""
    since = now - WINDOW
    candidates = {post.id: post for post in await reads.latest_posts(LATEST_POSTS)}
    likes = await reads.like_counts_since(since, MOST_LIKED)
    missing = [post_id for post_id in likes if post_id not in candidates]
    if missing:
        candidates.update((post.id, post) for post in await reads.posts(missing))
    engagement = engagement_scores(await reads.engagement_since(since), now)
    trending_posts = rank_posts(candidates.values(), likes, engagement, now)
    product_scores = top_products(engagement, TRENDING_PRODUCTS)
    infos = await reads.sellable_products(pk for pk, _ in product_scores) if product_scores else {}
    trending_products = [TrendingProduct(infos[pk], score) for pk, score in product_scores if pk in infos]
    new_products = await reads.newest_sellable_products(NEW_PRODUCTS)
    return Snapshot(trending_posts, trending_products, new_products, now)
