"""Candidate sources: what could fill a page, each with a score and the reasons it would be shown for.

Scores of different sources are put on one scale here, so the mixer can take the best of each kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from shoppable.domain.feed import reasons
from shoppable.domain.feed.config import FeedConfig
from shoppable.domain.feed.model import Candidate, FeedSource, ItemKind, Reason
from shoppable.domain.feed.ports import (
    CandidateReads,
    HistoryEvent,
    PostInfo,
    ProductInfo,
    Ranker,
    Snapshot,
    TrendingPost,
    TrendingProduct,
    ViewerSignals,
)
from shoppable.domain.feed.ranking import decay, normalize
from shoppable.domain.feed.trending import WINDOW as TRENDING_WINDOW

NEW_ARRIVAL_AGE = timedelta(days=30)
"""A product is a new arrival for this long after it was created."""
TAIL_SCORE = 1e-3
"""Widened candidates score below every ranked one (the first of them this much, the next less)."""


def _disclosed(post: PostInfo) -> tuple[Reason, ...]:
    reason = reasons.disclosure(post.disclosure_kind, post.partner_name)
    return (reason,) if reason else ()


def following_candidate(post: PostInfo) -> Candidate:
    return Candidate(
        ItemKind.POST,
        post.id,
        post.creator_id,
        post.published_at.timestamp(),
        FeedSource.FOLLOWING,
        (reasons.follows(post.creator_handle), *_disclosed(post)),
    )


def _merge(candidates: Sequence[Candidate]) -> list[Candidate]:
    """One candidate per item: the best score, the reasons of every source that proposed it (most
    specific first)."""
    best: dict[tuple[ItemKind, int], Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: -c.score):
        key = (candidate.kind, candidate.item_id)
        if key not in best:
            best[key] = candidate
            continue
        kept = best[key]
        best[key] = Candidate(
            kept.kind,
            kept.item_id,
            kept.author_id,
            kept.score,
            kept.source,
            reasons.ordered(kept.reasons + candidate.reasons),
        )
    return sorted(best.values(), key=lambda c: -c.score)


def _trending(t: TrendingPost, now: datetime) -> Reason:
    recent = now - t.post.published_at < TRENDING_WINDOW
    return reasons.trending(t.likes_this_week, t.post.creator_handle, recent=recent)


_last_public: tuple[Snapshot, tuple[list[Candidate], list[Candidate]]] | None = None


def public_plan(snapshot: Snapshot) -> tuple[list[Candidate], list[Candidate]]:
    """`public_candidates` as of the snapshot's own time, built once per snapshot and shared by every
    non-personal session of the process (the lists are never changed by their users)."""
    global _last_public
    if _last_public is None or _last_public[0] is not snapshot:
        _last_public = snapshot, public_candidates(snapshot, snapshot.computed_at)
    return _last_public[1]


_last_personal_products: tuple[Snapshot, list[Candidate]] | None = None


def _public_products_of_personal_plans(snapshot: Snapshot) -> list[Candidate]:
    """The trending and new products a personal plan adds, as of the snapshot's own time: built once
    per snapshot as `public_plan` is, since each personal first page otherwise scored every new product
    of the catalog again (a fifth of its planning). Never changed by its users."""
    global _last_personal_products
    if _last_personal_products is None or _last_personal_products[0] is not snapshot:
        built = _public_products(
            snapshot.trending_products, snapshot.new_products, snapshot.computed_at, FeedSource.PERSONALIZED
        )
        _last_personal_products = snapshot, built
    return _last_personal_products[1]


def public_candidates(snapshot: Snapshot, now: datetime) -> tuple[list[Candidate], list[Candidate]]:
    """Trending and new items: the same for everyone, using nothing about the viewer."""
    post_scores = normalize({t.post.id: t.score for t in snapshot.trending_posts})
    posts = [
        Candidate(
            ItemKind.POST,
            t.post.id,
            t.post.creator_id,
            post_scores[t.post.id],
            FeedSource.NON_PERSONALIZED,
            (_trending(t, now), *_disclosed(t.post)),
        )
        for t in snapshot.trending_posts
    ]
    return posts, _public_products(
        snapshot.trending_products, snapshot.new_products, now, FeedSource.NON_PERSONALIZED
    )


def _public_products(
    trending: Sequence[TrendingProduct], new: Sequence[ProductInfo], now: datetime, source: FeedSource
) -> list[Candidate]:
    scores = normalize({t.product.id: t.score for t in trending})
    found = [
        Candidate(
            ItemKind.PRODUCT,
            t.product.id,
            t.product.merchant_id,
            0.5 + 0.5 * scores[t.product.id],
            source,
            (reasons.popular_in(t.product.category),),
        )
        for t in trending
    ]
    found += [
        Candidate(
            ItemKind.PRODUCT,
            p.id,
            p.merchant_id,
            0.5 * decay((now - p.created_at).total_seconds() / 3600, half_life_hours=7 * 24),
            source,
            (
                reasons.new_from(p.merchant_name)
                if now - p.created_at < NEW_ARRIVAL_AGE
                else reasons.from_catalog(p.merchant_name),
            ),
        )
        for p in new
    ]
    return _merge(found)


async def viewer_signals(
    reader: CandidateReads,
    user_id: int,
    config: FeedConfig,
    now: datetime,
    forget_before: datetime | None,
    bought_since: datetime | None = None,
) -> ViewerSignals:
    """What a personal plan starts from (and, with `bought_since`, the user's exclusions), in one read."""
    since = now - timedelta(days=config.history_days)
    if forget_before is not None:
        since = max(since, forget_before)
    return await reader.viewer_signals(
        user_id,
        followed_limit=100,
        engaged_limit=50,
        engaged_since=forget_before,
        history_since=since,
        history_limit=200,
        bought_since=bought_since,
    )


async def personal_candidates(
    reader: CandidateReads,
    snapshot: Snapshot,
    ranker: Ranker | None,
    user_id: int,
    config: FeedConfig,
    now: datetime,
    forget_before: datetime | None = None,
    signals: ViewerSignals | None = None,
) -> tuple[list[Candidate], list[Candidate]]:
    """Followed creators' posts, trending posts by liked creators, products tagged in liked or saved
    posts, the ranker's picks from the viewer's history, then the public products.

    `forget_before`: the viewer reset their recommendation profile then; likes, saves and events
    before it are not used, nor the ranker's picture of them until it is trained again after.
    `signals`: what `viewer_signals` read for this user already (else read here)."""
    if signals is None:
        signals = await viewer_signals(reader, user_id, config, now, forget_before)
    engaged, tagged, history = signals.engaged, signals.tagged, signals.history
    affinity: dict[int, int] = {}
    actions: dict[int, set[str]] = {}  # per creator: what the viewer did to their posts
    engaged_posts: dict[int, set[int]] = {}
    for post, how in engaged:
        affinity[post.creator_id] = affinity.get(post.creator_id, 0) + 1
        actions.setdefault(post.creator_id, set()).add(how)
        engaged_posts.setdefault(post.creator_id, set()).add(post.id)
    top_affinity = max(affinity.values(), default=1)

    posts: list[Candidate] = []
    for post in signals.followed_posts:
        age = (now - post.published_at).total_seconds() / 3600
        posts.append(
            Candidate(
                ItemKind.POST,
                post.id,
                post.creator_id,
                1.0 + decay(age, 48.0),
                FeedSource.FOLLOWING,
                (reasons.follows(post.creator_handle), *_disclosed(post)),
            )
        )
    trend = normalize({t.post.id: t.score for t in snapshot.trending_posts})
    for t in snapshot.trending_posts:
        liked_creator = affinity.get(t.post.creator_id, 0) / top_affinity
        why = [_trending(t, now)]
        if liked_creator:
            creator = t.post.creator_id
            why.insert(
                0, reasons.engaged_with(t.post.creator_handle, actions[creator], len(engaged_posts[creator]))
            )
        posts.append(
            Candidate(
                ItemKind.POST,
                t.post.id,
                t.post.creator_id,
                0.6 * trend[t.post.id] + 0.6 * liked_creator,
                FeedSource.PERSONALIZED,
                (*why, *_disclosed(t.post)),
            )
        )

    products: list[Candidate] = []
    for post, how in engaged:
        for product_id in tagged.get(post.id, []):
            products.append(
                Candidate(
                    ItemKind.PRODUCT, product_id, 0, 0.9, FeedSource.PERSONALIZED, (reasons.tagged_in(how),)
                )
            )
    if ranker is not None:
        picked = reasons.picked_for_you([h.type for h in history] + [how for _, how in engaged])
        knows_only_kept = forget_before is None or ranker.trained_at >= forget_before.timestamp()
        ranked = ranker.recommend(
            str(user_id) if knows_only_kept else None,
            config.ranker_candidates,
            recent_item_ids=[str(h.product_id) for h in history],
            recent_weights=[h.weight for h in history],
            exclude_item_ids=[str(h.product_id) for h in history],
        )
        for rank, item_id in enumerate(ranked):
            products.append(
                Candidate(
                    ItemKind.PRODUCT,
                    int(item_id),
                    0,
                    1.0 - rank / (2 * max(len(ranked), 1)),
                    FeedSource.PERSONALIZED,
                    (picked,),
                )
            )
    products += _public_products_of_personal_plans(snapshot)
    products = await _with_anchors(reader, _merge(products), history)
    return _merge(posts), products


async def _with_anchors(
    reader: CandidateReads, products: list[Candidate], history: Sequence[HistoryEvent]
) -> list[Candidate]:
    """Fill in each product's merchant, and name a viewed product of the same category as the reason."""
    infos = await reader.sellable_products([c.item_id for c in products] + [h.product_id for h in history])
    anchors: dict[str, Reason] = {}
    for event in history:  # newest first: the most recent activity in a category names it
        info = infos.get(event.product_id)
        if info is not None and info.category and info.category not in anchors:
            anchors[info.category] = reasons.similar_to(info.title, event.type)
    enriched = []
    for candidate in products:
        info = infos.get(candidate.item_id)
        if info is None:
            continue  # not sellable right now
        why = candidate.reasons
        anchor = anchors.get(info.category or "")
        if anchor and any(r.code is reasons.ReasonCode.PICKED_FOR_YOU for r in why):
            # The ranker picked it and the viewer acted on a product of its category: name that one.
            why = reasons.ordered(anchor if r.code is reasons.ReasonCode.PICKED_FOR_YOU else r for r in why)
        enriched.append(
            Candidate(
                candidate.kind, candidate.item_id, info.merchant_id, candidate.score, candidate.source, why
            )
        )
    return enriched


def widened_posts(found: Sequence[PostInfo], now: datetime, source: FeedSource) -> list[Candidate]:
    """Posts from beyond the ranked candidates (newest first): older ones as the archive, recent
    ones with little activity as something to explore. They score below every ranked candidate."""
    return [
        Candidate(
            ItemKind.POST,
            post.id,
            post.creator_id,
            TAIL_SCORE / (1 + rank),
            source,
            (
                reasons.explore_post(post.creator_handle)
                if now - post.published_at < TRENDING_WINDOW
                else reasons.from_archive(post.creator_handle),
                *_disclosed(post),
            ),
        )
        for rank, post in enumerate(found)
    ]


def widened_products(found: Sequence[ProductInfo], now: datetime, source: FeedSource) -> list[Candidate]:
    """The long tail of the catalog (newest first): tagged in a post, new, or from the catalog."""
    widened = []
    for rank, product in enumerate(found):
        if product.tagged_by:
            why = reasons.seen_in_post(product.tagged_by)
        elif now - product.created_at < NEW_ARRIVAL_AGE:
            why = reasons.explore_product(product.merchant_name)
        else:
            why = reasons.from_catalog(product.merchant_name)
        widened.append(
            Candidate(
                ItemKind.PRODUCT, product.id, product.merchant_id, TAIL_SCORE / (1 + rank), source, (why,)
            )
        )
    return widened
