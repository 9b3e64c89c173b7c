"""Building one feed page: resolve the session, gather candidates, filter, score, mix, remember.

A feed session remembers every item it served, at its position. A page after position p replays
what was already served there (a retried request gets the same items) and extends the session with
new items otherwise, never repeating one: so walking pages has no duplicates and no gaps, whatever
is posted, liked or sold out in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shoppable.domain.feed import reasons
from shoppable.domain.feed.mixing import DEFAULT_PATTERN, DIVERSITY_WINDOW, mix
from shoppable.domain.feed.model import (
    Candidate,
    FeedMode,
    FeedPage,
    FeedSession,
    FeedSource,
    ItemKind,
    Reason,
    ServedItem,
)
from shoppable.domain.feed.ports import (
    CandidatePlans,
    FeedReader,
    FeedSessions,
    PostInfo,
    ProductInfo,
    Ranker,
    SessionConflict,
)
from shoppable.domain.feed.ranking import decay, normalize
from shoppable.domain.identity.actor import Actor
from shoppable.domain.ports import Transaction


@dataclass(frozen=True)
class FeedConfig:
    pattern: str = DEFAULT_PATTERN
    session_ttl_seconds: int = 24 * 3600
    purchase_window_days: int = 90
    history_days: int = 60
    ranker_candidates: int = 200


@dataclass(frozen=True)
class FeedRequest:
    actor: Actor
    mode: FeedMode
    first: int
    session_id: str | None = None
    position: int = 0


def actor_key(actor: Actor) -> str:
    if actor.user_id is not None:
        return f"u:{actor.user_id}"
    if actor.device_id:
        return f"d:{actor.device_id}"
    return "anonymous"


def personalized(actor: Actor, mode: FeedMode) -> bool:
    """FOR_YOU is personal only for a signed-in viewer who turned personalization on."""
    return mode is FeedMode.FOR_YOU and actor.user_id is not None and actor.personalization_consent


async def build_page(
    tx: Transaction,
    reader: FeedReader,
    sessions: FeedSessions,
    ranker: Ranker | None,
    request: FeedRequest,
    config: FeedConfig,
    now: datetime,
    plans: CandidatePlans | None = None,
) -> FeedPage:
    """`plans` (optional) keeps each session's ranked candidates, so later pages skip re-ranking."""
    try:
        return await _build_page(tx, reader, sessions, ranker, request, config, now, plans)
    except SessionConflict:
        # A concurrent request (a retry, a second tab) extended the session first: replay what it stored.
        await tx.rollback()
        return await _build_page(tx, reader, sessions, ranker, request, config, now, plans)


async def _build_page(
    tx: Transaction,
    reader: FeedReader,
    sessions: FeedSessions,
    ranker: Ranker | None,
    request: FeedRequest,
    config: FeedConfig,
    now: datetime,
    plans: CandidatePlans | None,
) -> FeedPage:
    key = actor_key(request.actor)
    personal = personalized(request.actor, request.mode)
    session = await sessions.get(request.session_id) if request.session_id else None
    restarted = request.session_id is not None and (
        session is None
        or session.expires_at <= now
        or session.actor_key != key
        or session.mode is not request.mode
    )
    is_new = session is None or restarted
    if is_new:
        # An unknown, expired or foreign session starts a fresh one, from the top.
        session = FeedSession(
            id=uuid.uuid4().hex,
            actor_key=key,
            mode=request.mode,
            personalized=personal,
            served=0,
            expires_at=now + timedelta(seconds=config.session_ttl_seconds),
        )
    assert session is not None
    position = 0 if is_new else min(request.position, session.served)
    replayed = [] if is_new else await sessions.served_from(session.id, position, request.first + 1)
    if len(replayed) > request.first:
        return FeedPage(session, replayed[: request.first], has_next=True, restarted=restarted)
    start = position + len(replayed)
    need = request.first - len(replayed)
    gathered = await _candidates(
        reader, sessions, plans, ranker, request, session, is_new, personal, config, now
    )
    recent = [] if is_new else await sessions.tail(session.id, DIVERSITY_WINDOW - 1)
    if request.mode is FeedMode.FOLLOWING:
        chosen = gathered[0][: need + 1]  # strictly newest first: the viewer chose these creators
    else:
        chosen = mix(*gathered, count=need + 1, start_position=start, recent=recent, pattern=config.pattern)
    new_items = [
        ServedItem(start + i, c.kind, c.item_id, c.author_id, c.source, c.reasons)
        for i, c in enumerate(chosen[:need])
    ]
    if new_items or is_new:
        await tx.begin_write()
        await sessions.append(session, new_items)
        await tx.commit()
        session = replace(session, served=start + len(new_items))
    return FeedPage(session, replayed + new_items, has_next=len(chosen) > need, restarted=restarted)


async def _candidates(
    reader: FeedReader,
    sessions: FeedSessions,
    plans: CandidatePlans | None,
    ranker: Ranker | None,
    request: FeedRequest,
    session: FeedSession,
    is_new: bool,
    personal: bool,
    config: FeedConfig,
    now: datetime,
) -> tuple[list[Candidate], list[Candidate]]:
    """Posts and product cards, best first, with everything the viewer must not see removed."""
    user_id = request.actor.user_id
    served = set() if is_new else await sessions.served_keys(session.id)
    hidden: set[tuple[str, int]] = set()
    purchased: set[int] = set()
    if user_id is not None:
        hidden = await reader.hidden(user_id)
        purchased = await reader.purchased_product_ids(
            user_id, now - timedelta(days=config.purchase_window_days)
        )

    def post_ok(post: PostInfo) -> bool:
        return (
            (ItemKind.POST, post.id) not in served
            and ("Post", post.id) not in hidden
            and ("Creator", post.creator_id) not in hidden
        )

    if request.mode is FeedMode.FOLLOWING:
        followed = await reader.followed_creator_ids(user_id) if user_id is not None else []
        posts = await reader.recent_posts_of(followed, len(served) + request.first + 100) if followed else []
        return [_following_candidate(p) for p in posts if post_ok(p)], []
    # Keyed by consent too: personalization switched off mid-session must never reuse a personal plan.
    plan_key = f"{session.id}:{'personal' if personal else 'public'}"
    planned = plans.get(plan_key) if plans is not None and not is_new else None
    if planned is None:
        posts, products = (
            await _personal_candidates(reader, ranker, user_id, config, now)
            if personal and user_id is not None
            else await _public_candidates(reader, now)
        )
        if plans is not None:
            plans.put(plan_key, posts, products)
    else:
        posts, products = planned
    posts = [c for c in posts if (c.kind, c.item_id) not in served and _post_visible(c, hidden)]
    products = [
        c
        for c in products
        if (c.kind, c.item_id) not in served
        and ("Product", c.item_id) not in hidden
        and ("Merchant", c.author_id) not in hidden
        and c.item_id not in purchased
    ]
    if planned is not None or not personal or user_id is None:
        # Stock and status are checked now, not when the candidates were planned (fresh personal
        # candidates were checked a moment ago, in _with_anchors). A page needs few product cards,
        # so only the best few candidates are checked.
        head = products[: 3 * (request.first + 1) + 20]
        sellable = await reader.sellable_products(c.item_id for c in head)
        products = [c for c in head if c.item_id in sellable]
    return posts, products


def _post_visible(candidate: Candidate, hidden: set[tuple[str, int]]) -> bool:
    return ("Post", candidate.item_id) not in hidden and ("Creator", candidate.author_id) not in hidden


def _disclosed(post: PostInfo) -> tuple[Reason, ...]:
    reason = reasons.disclosure(post.disclosure_kind, post.partner_name)
    return (reason,) if reason else ()


def _following_candidate(post: PostInfo) -> Candidate:
    return Candidate(
        ItemKind.POST,
        post.id,
        post.creator_id,
        post.published_at.timestamp(),
        FeedSource.FOLLOWING,
        (reasons.follows(post.creator_handle), *_disclosed(post)),
    )


def _merge(candidates: Sequence[Candidate]) -> list[Candidate]:
    """One candidate per item: the best score, the reasons of every source that proposed it (best first)."""
    best: dict[tuple[ItemKind, int], Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: -c.score):
        key = (candidate.kind, candidate.item_id)
        if key not in best:
            best[key] = candidate
            continue
        kept = best[key]
        extra = tuple(r for r in candidate.reasons if r not in kept.reasons)
        best[key] = Candidate(
            kept.kind, kept.item_id, kept.author_id, kept.score, kept.source, kept.reasons + extra
        )
    return sorted(best.values(), key=lambda c: -c.score)


async def _public_candidates(reader: FeedReader, now: datetime) -> tuple[list[Candidate], list[Candidate]]:
    """Trending and new items: the same for everyone, using nothing about the viewer."""
    snapshot = await reader.snapshot()
    post_scores = normalize({t.post.id: t.score for t in snapshot.trending_posts})
    posts = [
        Candidate(
            ItemKind.POST,
            t.post.id,
            t.post.creator_id,
            post_scores[t.post.id],
            FeedSource.NON_PERSONALIZED,
            (reasons.trending(t.likes_this_week, t.post.creator_handle), *_disclosed(t.post)),
        )
        for t in snapshot.trending_posts
    ]
    return posts, _public_products(
        snapshot.trending_products, snapshot.new_products, now, FeedSource.NON_PERSONALIZED
    )


def _public_products(
    trending: Sequence, new: Sequence[ProductInfo], now: datetime, source: FeedSource
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
            (reasons.new_from(p.merchant_name),),
        )
        for p in new
    ]
    return _merge(found)


async def _personal_candidates(
    reader: FeedReader, ranker: Ranker | None, user_id: int, config: FeedConfig, now: datetime
) -> tuple[list[Candidate], list[Candidate]]:
    snapshot = await reader.snapshot()
    followed = set(await reader.followed_creator_ids(user_id))
    engaged = await reader.engaged_posts(user_id, 50)
    affinity: dict[int, int] = {}
    handles: dict[int, str] = {}
    for post, _how in engaged:
        affinity[post.creator_id] = affinity.get(post.creator_id, 0) + 1
        handles[post.creator_id] = post.creator_handle
    top_affinity = max(affinity.values(), default=1)

    posts: list[Candidate] = []
    for post in await reader.recent_posts_of(sorted(followed), 100) if followed else []:
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
        why = [reasons.trending(t.likes_this_week, t.post.creator_handle)]
        if liked_creator:
            why.insert(0, reasons.engaged_with(t.post.creator_handle))
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
    tagged = await reader.tagged_products([post.id for post, _ in engaged])
    for post, how in engaged:
        for product_id in tagged.get(post.id, []):
            products.append(
                Candidate(
                    ItemKind.PRODUCT, product_id, 0, 0.9, FeedSource.PERSONALIZED, (reasons.tagged_in(how),)
                )
            )
    history = await reader.product_history(user_id, now - timedelta(days=config.history_days), 200)
    if ranker is not None:
        ranked = ranker.recommend(
            str(user_id),
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
                    (reasons.picked_for_you(),),
                )
            )
    products += _public_products(
        snapshot.trending_products, snapshot.new_products, now, FeedSource.PERSONALIZED
    )
    products = await _with_anchors(reader, _merge(products), history)
    return _merge(posts), products


async def _with_anchors(reader: FeedReader, products: list[Candidate], history: Sequence) -> list[Candidate]:
    """Fill in each product's merchant, and name a viewed product of the same category as the reason."""
    infos = await reader.sellable_products([c.item_id for c in products] + [h.product_id for h in history])
    anchors: dict[str, str] = {}
    for event in history:  # newest first: the most recent view of a category names it
        info = infos.get(event.product_id)
        if info is not None and info.category and info.category not in anchors:
            anchors[info.category] = info.title
    enriched = []
    for candidate in products:
        info = infos.get(candidate.item_id)
        if info is None:
            continue  # not sellable right now
        why = candidate.reasons
        anchor = anchors.get(info.category or "")
        if anchor and why and why[0].code is reasons.ReasonCode.PICKED_FOR_YOU:
            why = (reasons.similar_to(anchor), *why[1:])
        enriched.append(
            Candidate(
                candidate.kind, candidate.item_id, info.merchant_id, candidate.score, candidate.source, why
            )
        )
    return enriched
