"""The everyone-feed's scores: engagement faded by age, posts ranked with ties broken by newest id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoppable.domain.feed.ports import EngagementCount
from shoppable.domain.feed.ranking import EVENT_WEIGHTS
from shoppable.domain.feed.trending import (
    DEVICE_CORROBORATION,
    DEVICE_SHARE,
    compute_snapshot,
    engagement_scores,
    rank_posts,
    top_products,
)
from tests.domain.feed.fakes import NOW, FakeFeedRepository


def test_engagement_weighs_each_event_type_and_fades_with_the_latest_events_age() -> None:
    fresh = EngagementCount("Post", 1, "VIEW", NOW, 4)
    old_save = EngagementCount("Post", 1, "SAVE", NOW - timedelta(hours=72), 1)
    impressions = EngagementCount("Product", 2, "IMPRESSION", NOW, 100)
    scores = engagement_scores([fresh, old_save, impressions], NOW)
    assert scores[("Post", 1)] == pytest.approx(4 * EVENT_WEIGHTS["VIEW"] + 0.5 * EVENT_WEIGHTS["SAVE"])
    assert scores[("Product", 2)] == 0.0


def test_anonymous_devices_move_nothing_on_their_own_and_at_most_double_a_corroborated_item() -> None:
    bots = EngagementCount("Product", 1, "PURCHASE", NOW, 3_000, signed_in=False)
    assert engagement_scores([bots], NOW)[("Product", 1)] == 0.0
    one_view = EngagementCount("Product", 2, "VIEW", NOW, 1)
    crowd = EngagementCount("Product", 2, "VIEW", NOW, 3_000, signed_in=False)
    assert engagement_scores([one_view, crowd], NOW)[("Product", 2)] == pytest.approx(
        (1 + DEVICE_CORROBORATION) * EVENT_WEIGHTS["VIEW"]
    )
    views = EngagementCount("Product", 3, "VIEW", NOW, 10)
    few = EngagementCount("Product", 3, "VIEW", NOW, 5, signed_in=False)
    assert engagement_scores([views, few], NOW)[("Product", 3)] == pytest.approx(
        (10 + 5 * DEVICE_SHARE) * EVENT_WEIGHTS["VIEW"]
    )


def test_a_client_sent_purchase_weighs_no_more_than_an_add_to_cart() -> None:
    assert EVENT_WEIGHTS["PURCHASE"] <= EVENT_WEIGHTS["ADD_TO_CART"]


async def test_senders_count_once_per_item_and_day_and_devices_only_with_signed_in_users() -> None:
    feed = FakeFeedRepository()
    spammed, bought_by_bots, liked = feed.add_product(5), feed.add_product(5), feed.add_product(6)
    for _ in range(50):  # one signed-in user repeating themselves
        feed.record(1, "ADD_TO_CART", ("Product", spammed), at=NOW - timedelta(hours=1))
    for n in range(500):  # many devices, no signed-in user
        feed.record(
            None, "PURCHASE", ("Product", bought_by_bots), at=NOW - timedelta(hours=1), device=f"b{n}"
        )
    for user in (2, 3):  # two users, and one of them again the next day
        feed.record(user, "VIEW", ("Product", liked), at=NOW - timedelta(hours=1))
    feed.record(2, "VIEW", ("Product", liked), at=NOW - timedelta(days=1, hours=1))
    counts = {
        (c.subject_id, c.signed_in): c.count for c in await feed.engagement_since(NOW - timedelta(days=7))
    }
    assert counts == {(spammed, True): 1, (bought_by_bots, False): 500, (liked, True): 3}
    snapshot = await compute_snapshot(feed, NOW)
    assert [t.product.id for t in snapshot.trending_products] == [spammed, liked]


def test_new_posts_with_some_love_beat_old_hits_and_ties_go_to_the_newest_id() -> None:
    feed = FakeFeedRepository()
    old_hit = feed.add_post(1, age_hours=24 * 6, likes=30)
    new = feed.add_post(2, age_hours=2)
    twin_a, twin_b = feed.add_post(3, age_hours=5), feed.add_post(4, age_hours=5)
    posts = [feed.posts_by_id[pk] for pk in (old_hit, new, twin_a, twin_b)]
    ranked = rank_posts(posts, {old_hit: 30, new: 3}, {}, NOW)
    assert [t.post.id for t in ranked] == [new, twin_b, twin_a, old_hit]
    assert ranked[0].likes_this_week == 3


def test_top_products_are_products_with_positive_scores_best_first() -> None:
    scores = {("Product", 1): 2.0, ("Product", 2): 0.0, ("Post", 3): 9.0, ("Product", 4): 5.0}
    assert top_products(scores, 10) == [(4, 5.0), (1, 2.0)]
    assert top_products(scores, 1) == [(4, 5.0)]


async def test_snapshot_adds_liked_older_posts_and_keeps_only_sellable_products() -> None:
    feed = FakeFeedRepository()
    posts = [feed.add_post(1, age_hours=n) for n in range(3)]
    liked_old = feed.add_post(2, age_hours=24 * 5)
    feed.like(9, liked_old, at=NOW - timedelta(days=1))
    feed.like(9, posts[0], at=NOW - timedelta(days=8))  # before this week: not counted
    selling, gone = feed.add_product(5), feed.add_product(5)
    feed.sold_out.add(gone)
    for product in (selling, gone):
        feed.record(9, "ADD_TO_CART", ("Product", product), at=NOW - timedelta(hours=1))
    snapshot = await compute_snapshot(feed, NOW)
    assert {t.post.id for t in snapshot.trending_posts} == {*posts, liked_old}
    assert {t.post.id: t.likes_this_week for t in snapshot.trending_posts}[liked_old] == 1
    assert [t.product.id for t in snapshot.trending_products] == [selling]
    assert [p.id for p in snapshot.new_products] == [selling]
    assert snapshot.computed_at == NOW
