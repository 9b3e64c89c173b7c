"""Building one feed page: resolve the session, gather candidates, filter, score, mix, remember.

A feed session remembers every item it served, at its position. A page after position p replays
what was already served there (a retried request gets the same items) and extends the session with
new items otherwise, never repeating one: so walking pages has no duplicates and no gaps, whatever
is posted, liked or sold out in between.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shoppable.domain.feed import filters
from shoppable.domain.feed.candidates import (
    following_candidate,
    personal_candidates,
    public_plan,
    viewer_signals,
    widened_posts,
    widened_products,
)
from shoppable.domain.feed.config import FeedConfig, FeedVariant
from shoppable.domain.feed.mixing import DIVERSITY_WINDOW, mix
from shoppable.domain.feed.model import (
    Candidate,
    FeedMode,
    FeedPage,
    FeedSession,
    FeedSource,
    ServedItem,
    actor_key,
)
from shoppable.domain.feed.ports import (
    FeedServices,
    FeedUnitOfWork,
    Plan,
    ProductInfo,
    Ranker,
    SessionConflict,
    Snapshot,
    ViewerSignals,
)
from shoppable.domain.feed.trending import compute_snapshot
from shoppable.domain.identity.actor import Actor

__all__ = ["FeedConfig", "FeedRequest", "build_page", "delete_expired_sessions", "personalized"]


@dataclass(frozen=True)
class FeedRequest:
    mode: FeedMode
    first: int
    session_id: str | None = None
    position: int = 0
    variant: FeedVariant | None = None
    """Set when the viewer is in a running experiment on the feed (see `domain/experiments/serving.py`)."""


def personalized(actor: Actor, mode: FeedMode) -> bool:
    """FOR_YOU is personal only for a signed-in viewer who turned personalization on."""
    return mode is FeedMode.FOR_YOU and actor.user_id is not None and actor.personalization_consent


@dataclass(frozen=True)
class _Page:
    """One page being built: who asks, for what, and what it may use."""

    uow: FeedUnitOfWork
    actor: Actor
    request: FeedRequest
    services: FeedServices
    config: FeedConfig
    ranker: Ranker | None
    now: datetime

    async def snapshot(self) -> Snapshot:
        return await self.services.snapshots.get(lambda: compute_snapshot(self.uow.feed, self.now))


async def build_page(
    uow: FeedUnitOfWork, actor: Actor, request: FeedRequest, services: FeedServices
) -> FeedPage:
    """The next page of the viewer's feed session (or of a new one), replayed when already served.

    `services.plans` keeps each session's ranked candidates, so later pages skip re-ranking.
    """
    config = FeedConfig.from_settings(services.settings)
    variant = request.variant
    if variant is not None:
        config = variant.apply(config)
        if not variant.personalized:
            actor = replace(actor, personalization_consent=False)
    ranker = (
        variant.ranker if variant is not None and variant.replaces_ranker else await services.models.current()
    )
    page = _Page(uow, actor, request, services, config, ranker, services.clock())
    try:
        return await _build_page(page)
    except SessionConflict:
        # A concurrent request (a retry, a second tab) extended the session first: replay what it stored.
        await uow.rollback()
        return await _build_page(page)


async def delete_expired_sessions(uow: FeedUnitOfWork, now: datetime) -> int:
    """Forget sessions (and what they served) once they expire; returns how many."""
    await uow.begin_write()
    removed = await uow.feed.delete_expired_sessions(now)
    await uow.commit()
    return removed


async def _build_page(page: _Page) -> FeedPage:
    request, feed = page.request, page.uow.feed
    key = actor_key(page.actor)
    owner = _owner(page.actor)
    bought_since = page.now - timedelta(days=page.config.purchase_window_days)
    found, exclusions, checked = None, None, None
    if request.session_id:
        # The viewer's hides and purchases, and the stock of the products this page will most likely
        # consider, come with the session: one statement for the three.
        head = await _likely_head(page, request.session_id)
        state = await feed.session_state(request.session_id, request.position, *owner, bought_since, head)
        found, exclusions, checked = state.found, (state.hidden, state.purchased), (set(head), state.sellable)
    session, history = found if found is not None else (None, [])
    restarted = request.session_id is not None and (
        session is None
        or session.expires_at <= page.now
        or session.actor_key != key
        or session.mode is not request.mode
    )
    if session is None or restarted:
        # An unknown, expired or foreign session starts a fresh one, from the top.
        session = FeedSession(
            id=uuid.uuid4().hex,
            actor_key=key,
            mode=request.mode,
            personalized=personalized(page.actor, request.mode),
            served=0,
            expires_at=page.now + timedelta(seconds=page.config.session_ttl_seconds),
        )
        is_new = True
    else:
        is_new = False
    position = 0 if is_new else min(request.position, session.served)
    if is_new:
        history = []
    replayed = [item for item in history if item.position >= position][: request.first + 1]
    if len(replayed) > request.first:
        return FeedPage(session, replayed[: request.first], has_next=True, restarted=restarted)
    start = position + len(replayed)
    need = request.first - len(replayed)
    signals = None
    user_id = page.actor.user_id
    if exclusions is None and is_new and personalized(page.actor, request.mode) and user_id is not None:
        # A personal session is planned now: the user's exclusions come with what it is planned from.
        signals = await viewer_signals(
            feed, user_id, page.config, page.now, page.actor.recommendations_reset_at, bought_since
        )
        exclusions = signals.hidden, signals.purchased
    if exclusions is None:
        exclusions = await feed.exclusions(*owner, bought_since) if owner != (None, None) else (set(), set())
    posts, products, excluded, new_plan = await _candidates(
        page, session, is_new, history, exclusions, checked, signals
    )
    if request.mode is FeedMode.FOLLOWING:
        chosen = posts[: need + 1]  # strictly newest first: the viewer chose these creators
    else:
        posts, products = await _widened(page, session, excluded, posts, products, need + 1)
        chosen = mix(
            posts,
            products,
            count=need + 1,
            start_position=start,
            recent=history[-(max(page.config.diversity_window, DIVERSITY_WINDOW) - 1) :],
            served=Counter((item.kind, item.author_id) for item in history),
            pattern=page.config.pattern,
            window=page.config.diversity_window,
        )
    new_items = [
        ServedItem(start + i, c.kind, c.item_id, c.author_id, c.source, c.reasons, c.team)
        for i, c in enumerate(chosen[:need])
    ]
    if new_items or is_new:
        await page.uow.begin_write()
        await feed.append(session, new_items, new_plan)
        await page.uow.commit()
        session = replace(session, served=start + len(new_items))
    return FeedPage(session, replayed + new_items, has_next=len(chosen) > need, restarted=restarted)


async def _widened(
    page: _Page,
    session: FeedSession,
    excluded: filters.Excluded,
    posts: list[Candidate],
    products: list[Candidate],
    wanted: int,
) -> tuple[list[Candidate], list[Candidate]]:
    """Top up a kind whose ranked candidates cannot fill `wanted` items with what the session has not
    served yet (the archive, the long tail of the catalog), so the feed ends only when nothing eligible
    is left. Enough are read that, after dropping those already queued and those bought, `wanted`
    remain whenever that many exist."""
    feed, user_id = page.uow.feed, page.actor.user_id
    # Widened items use nothing about the viewer but hides; the source follows the consent of now.
    personal = personalized(page.actor, page.request.mode)
    source = FeedSource.PERSONALIZED if personal else FeedSource.NON_PERSONALIZED
    if len(posts) < wanted:
        found = await feed.unserved_posts(session.id, user_id, wanted + len(posts))
        queued = {c.item_id for c in posts}
        extra = widened_posts([p for p in found if p.id not in queued], page.now, source)
        posts = posts + [c for c in extra if excluded.allows_post(c)]
    if len(products) < wanted:
        limit = wanted + len(products) + len(excluded.purchased)
        found_products = await feed.unserved_products(session.id, user_id, limit)
        queued = {c.item_id for c in products}
        extra = widened_products([p for p in found_products if p.id not in queued], page.now, source)
        products = products + [c for c in extra if excluded.allows_product(c)]
    return posts, products


def _plan_kind(personal: bool, request: FeedRequest) -> str:
    # Keyed by consent too: personalization switched off mid-session must never reuse a personal plan.
    kind = "personal" if personal else "public"
    if request.variant is not None:
        kind = f"{kind}@{request.variant.tag}"  # an experiment's plan never outlives its variant
    return kind


def _head_size(request: FeedRequest) -> int:
    """How many of the best product candidates have their stock checked: a page needs few cards."""
    return 3 * (request.first + 1) + 20


async def _likely_head(page: _Page, session_id: str) -> list[int]:
    """Before the session is read: the products whose stock the page will check, when its plan is
    known here (this process ranked the session, or it is the shared public plan). The session's
    served items and the viewer's exclusions are not known yet, so as many more are taken as the
    session can have served; when that still falls short, `_candidates` reads the stock itself."""
    request = page.request
    if request.mode is FeedMode.FOLLOWING:
        return []
    personal = personalized(page.actor, request.mode)
    planned = page.services.plans.get(f"{session_id}:{_plan_kind(personal, request)}")
    if planned is None and personal:
        return []  # ranked elsewhere or expired: planned again after the session is read
    products = planned[1] if planned is not None else public_plan(await page.snapshot())[1]
    return [c.item_id for c in products[: _head_size(request) + request.position]]


def _owner(actor: Actor) -> tuple[int | None, str | None]:
    """Whose hides (and purchases) apply: the user's when signed in, else the device's, else nobody's."""
    if actor.user_id is not None:
        return actor.user_id, None
    return None, actor.device_id or None


async def _candidates(
    page: _Page,
    session: FeedSession,
    is_new: bool,
    history: list[ServedItem],
    exclusions: tuple[set[tuple[str, int]], set[int]],
    checked: tuple[set[int], dict[int, ProductInfo]] | None,
    signals: ViewerSignals | None,
) -> tuple[list[Candidate], list[Candidate], filters.Excluded, Plan | None]:
    """Posts and product cards, best first, with everything the viewer must not see removed; and the
    personal plan when one was ranked just now (stored with the session for other processes)."""
    feed, request, user_id = page.uow.feed, page.request, page.actor.user_id
    personal = personalized(page.actor, request.mode)
    served = {(item.kind, item.item_id) for item in history}
    hidden, purchased = exclusions
    excluded = filters.Excluded(served, hidden, purchased)
    if request.mode is FeedMode.FOLLOWING:
        limit = len(served) + request.first + 100
        found = await feed.recent_followed_posts(user_id, limit) if user_id is not None else []
        return [c for c in map(following_candidate, found) if excluded.allows_post(c)], [], excluded, None
    kind = _plan_kind(personal, request)
    plan_key = f"{session.id}:{kind}"
    planned = None if is_new else page.services.plans.get(plan_key)
    interleave = request.variant.interleave if request.variant is not None else None
    # A stored plan keeps no teams: an interleaved session is ranked again here (same draw, same seed).
    if planned is None and personal and not is_new and interleave is None:
        # Another server process may have ranked this session: continue from its stored plan.
        stored = await feed.saved_plan(session.id)
        fresh = timedelta(seconds=page.config.plan_ttl_seconds)
        if stored is not None and stored.key == kind and page.now - stored.planned_at < fresh:
            planned = stored.posts, stored.products
            page.services.plans.put(plan_key, *planned)
    new_plan = None
    if planned is None:
        if personal and user_id is not None:
            posts, products = await personal_candidates(
                feed,
                await page.snapshot(),
                page.ranker,
                user_id,
                page.config,
                page.now,
                page.actor.recommendations_reset_at,
                signals,
            )
            if interleave is not None:
                # Posts do not depend on the ranker; the two rankers' product lists are merged.
                _, products_b = await personal_candidates(
                    feed,
                    await page.snapshot(),
                    interleave.ranker_b,
                    user_id,
                    page.config,
                    page.now,
                    page.actor.recommendations_reset_at,
                    signals,
                )
                products = interleave.merge(products, products_b, session.id)
            new_plan = Plan(kind, posts, products, page.now) if interleave is None else None
        else:
            # The public plan is the process's shared snapshot re-read: cheap, so never stored.
            posts, products = public_plan(await page.snapshot())
        page.services.plans.put(plan_key, posts, products)
    else:
        posts, products = planned
    posts = [c for c in posts if excluded.allows_post(c)]
    products = [c for c in products if excluded.allows_product(c)]
    if planned is not None or not personal or user_id is None:
        # Stock and status are checked now, not when the candidates were planned (fresh personal
        # candidates were checked a moment ago, in personal_candidates). A page needs few product
        # cards, so only the best few candidates are checked.
        head = products[: _head_size(request)]
        if checked is not None and all(c.item_id in checked[0] for c in head):
            sellable = checked[1]  # read with the session
        else:
            sellable = await feed.sellable_products(c.item_id for c in head)
        products = [c for c in head if c.item_id in sellable]
    return posts, products, excluded, new_plan
