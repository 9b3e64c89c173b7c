"""What the feed reads to fill a page: candidates, the viewer's history and hides, and the raw counts
the trending snapshot is scored from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    BindParameter,
    CompoundSelect,
    Integer,
    Select,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from shoppable.domain.feed.model import ItemKind
from shoppable.domain.feed.ports import EngagementCount, HistoryEvent, PostInfo, ProductInfo, ViewerSignals
from shoppable.domain.feed.ranking import EVENT_WEIGHTS
from shoppable.domain.feed.visibility import PUBLISHED
from shoppable.storage.commerce import SqlCommerceRepository, purchased_products
from shoppable.storage.feed.queries import (
    RepositoryPart,
    creators,
    events,
    follows,
    hides,
    likes,
    post_info,
    post_query,
    posts,
    product_info,
    products,
    saves,
    sellable_product_query,
    served,
    tags,
    utc_day,
)
from shoppable.storage.types import UTCDateTime

_BOUGHT = "bought"
"""Marks purchases among hides in `exclusions` (hides name a type: Post, Creator, Product, Merchant)."""


class SqlCandidateReads(RepositoryPart):
    async def followed_creator_ids(self, user_id: int) -> list[int]:
        query = select(follows.c.creator_id).where(follows.c.user_id == user_id)
        return [row.creator_id for row in await self.tx.execute(query)]

    async def recent_followed_posts(self, user_id: int, limit: int) -> list[PostInfo]:
        return [post_info(r) for r in await self.tx.execute(_followed_query(user_id, limit))]

    async def recent_posts_of(self, creator_ids: Sequence[int], limit: int) -> list[PostInfo]:
        rows = await self.tx.execute(
            post_query()
            .where(posts.c.creator_id.in_(list(creator_ids)))
            .order_by(posts.c.published_at.desc(), posts.c.id.desc())
            .limit(limit)
        )
        return [post_info(r) for r in rows]

    async def engaged_posts(
        self, user_id: int, limit: int, since: datetime | None = None
    ) -> list[tuple[PostInfo, str]]:
        rows = await self.tx.execute(_engaged_query(user_id, limit, since))
        return [(post_info(r), r.how) for r in rows]

    async def viewer_signals(
        self,
        user_id: int,
        *,
        followed_limit: int,
        engaged_limit: int,
        engaged_since: datetime | None,
        history_since: datetime,
        history_limit: int,
        bought_since: datetime | None = None,
    ) -> ViewerSignals:
        # Parts of one UNION ALL, told apart by `part`; each keeps its own order and limit.
        followed = _followed_query(user_id, followed_limit).subquery()
        engaged = _engaged_query(user_id, engaged_limit, engaged_since).subquery()
        history = _history_query(user_id, history_since, history_limit).subquery()
        none_of_post = [cast(null(), c.type).label(c.name) for c in post_query().selected_columns]
        parts = [
            select(
                literal("F").label("part"),
                *[followed.c[c.name] for c in none_of_post],
                cast(null(), String).label("how"),
                cast(null(), UTCDateTime).label("at"),
                cast(null(), BigInteger).label("product_id"),
                cast(null(), Integer).label("tag_position"),
            ),
            # An engaged post once per tagged product (or once, untagged).
            select(
                literal("E"),
                *[engaged.c[c.name] for c in none_of_post],
                engaged.c.how,
                engaged.c.created_at,
                tags.c.product_id,
                tags.c.position,
            ).select_from(engaged.outerjoin(tags, tags.c.post_id == engaged.c.id)),
            select(
                literal("H"),
                *none_of_post,
                history.c.type,
                history.c.occurred_at,
                history.c.subject_id,
                cast(null(), Integer),
            ),
        ]
        if bought_since is not None:
            # The user's hides and purchases, kind in `how` and pk in `product_id`.
            excluded = exclusions_query(user_id, None, bought_since).subquery()
            parts.append(
                select(
                    literal("X"),
                    *none_of_post,
                    excluded.c.kind,
                    cast(null(), UTCDateTime),
                    excluded.c.pk,
                    cast(null(), Integer),
                )
            )
        query = union_all(*parts)
        followed_posts: list[PostInfo] = []
        engaged_rows: dict[tuple[int, str], Any] = {}
        tagged: dict[int, list[tuple[int, int]]] = {}
        history_events: list[HistoryEvent] = []
        excluded_rows: list[tuple[str, int]] = []
        for row in await self.tx.execute(query):
            if row.part == "X":
                excluded_rows.append((row.how, row.product_id))
            elif row.part == "F":
                followed_posts.append(post_info(row))
            elif row.part == "E":
                engaged_rows.setdefault((row.id, row.how), row)
                if row.product_id is not None:
                    tagged.setdefault(row.id, []).append((row.tag_position, row.product_id))
            else:
                history_events.append(HistoryEvent(row.product_id, EVENT_WEIGHTS[row.how], row.at, row.how))
        hidden, purchased = exclusions_of(Exclusion(kind, pk) for kind, pk in excluded_rows)
        # A UNION ALL keeps no order: each part is put back in its own.
        followed_posts.sort(key=lambda p: (p.published_at, p.id), reverse=True)
        engaged_in_order = sorted(engaged_rows.values(), key=lambda r: r.at, reverse=True)
        history_events.sort(key=lambda h: h.occurred_at, reverse=True)
        return ViewerSignals(
            followed_posts=followed_posts,
            engaged=[(post_info(r), r.how) for r in engaged_in_order],
            tagged={
                post: list(dict.fromkeys(product for _, product in sorted(found)))
                for post, found in tagged.items()
            },
            history=history_events,
            hidden=hidden,
            purchased=purchased,
        )

    async def tagged_products(self, post_ids: Sequence[int]) -> dict[int, list[int]]:
        if not post_ids:
            return {}
        found: dict[int, list[int]] = {}
        for row in await self.tx.execute(
            select(tags.c.post_id, tags.c.product_id)
            .where(tags.c.post_id.in_(list(post_ids)))
            .order_by(tags.c.post_id, tags.c.position)
        ):
            if row.product_id not in found.setdefault(row.post_id, []):
                found[row.post_id].append(row.product_id)
        return found

    async def product_history(self, user_id: int, since: datetime, limit: int) -> list[HistoryEvent]:
        rows = await self.tx.execute(_history_query(user_id, since, limit))
        return [HistoryEvent(r.subject_id, EVENT_WEIGHTS[r.type], r.occurred_at, r.type) for r in rows]

    async def purchased_product_ids(self, user_id: int, since: datetime) -> set[int]:
        return await SqlCommerceRepository(self.tx).purchased_product_ids(user_id, since)

    async def hidden(self, user_id: int | None, device_id: str | None = None) -> set[tuple[str, int]]:
        if user_id is None and device_id is None:
            return set()
        owner = hides.c.user_id == user_id if user_id is not None else hides.c.device_id == device_id
        rows = await self.tx.execute(select(hides.c.subject_type, hides.c.subject_id).where(owner))
        return {(row.subject_type, row.subject_id) for row in rows}

    async def exclusions(
        self, user_id: int | None, device_id: str | None, bought_since: datetime
    ) -> tuple[set[tuple[str, int]], set[int]]:
        if user_id is None and device_id is None:
            return set(), set()
        return exclusions_of(await self.tx.execute(exclusions_query(user_id, device_id, bought_since)))

    async def sellable_products(self, product_ids: Iterable[int]) -> dict[int, ProductInfo]:
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        rows = await self.tx.execute(sellable_product_query().where(products.c.id.in_(ids)))
        return {row.id: product_info(row) for row in rows}

    async def unserved_posts(self, session_id: str, user_id: int | None, limit: int) -> list[PostInfo]:
        query = post_query().where(~_served_in(session_id, ItemKind.POST, posts.c.id))
        if user_id is not None:
            query = query.where(
                ~_hidden_by(user_id, "Post", posts.c.id), ~_hidden_by(user_id, "Creator", posts.c.creator_id)
            )
        rows = await self.tx.execute(
            query.order_by(posts.c.published_at.desc(), posts.c.id.desc()).limit(limit)
        )
        return [post_info(row) for row in rows]

    async def unserved_products(self, session_id: str, user_id: int | None, limit: int) -> list[ProductInfo]:
        tagger = aliased(posts)
        tagged_by = (
            select(creators.c.handle)
            .select_from(tags)
            .join(tagger, tagger.c.id == tags.c.post_id)
            .join(creators, creators.c.id == tagger.c.creator_id)
            .where(
                tags.c.product_id == products.c.id,
                tagger.c.status == PUBLISHED,
                tagger.c.deleted_at.is_(None),
            )
            .order_by(tagger.c.published_at.desc(), tagger.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            sellable_product_query()
            .add_columns(tagged_by.label("tagged_by"))
            .where(~_served_in(session_id, ItemKind.PRODUCT, products.c.id))
        )
        if user_id is not None:
            query = query.where(
                ~_hidden_by(user_id, "Product", products.c.id),
                ~_hidden_by(user_id, "Merchant", products.c.merchant_id),
            )
        rows = await self.tx.execute(query.order_by(products.c.id.desc()).limit(limit))
        return [replace(product_info(row), tagged_by=row.tagged_by) for row in rows]


def _followed_query(user_id: int, limit: int) -> Select[Any]:
    """Published posts of the creators the user follows, newest first."""
    followed = select(follows.c.creator_id).where(follows.c.user_id == user_id)
    return (
        post_query()
        .where(posts.c.creator_id.in_(followed))
        .order_by(posts.c.published_at.desc(), posts.c.id.desc())
        .limit(limit)
    )


def _engaged_query(user_id: int, limit: int, since: datetime | None) -> Select[Any]:
    """Posts the user liked or saved (since `since`), most recent first, with `how` and `created_at`."""
    liked = select(likes.c.post_id, likes.c.created_at, literal("LIKE").label("how")).where(
        likes.c.user_id == user_id
    )
    saved = select(saves.c.post_id, saves.c.created_at, literal("SAVE").label("how")).where(
        saves.c.user_id == user_id
    )
    if since is not None:
        liked = liked.where(likes.c.created_at >= since)
        saved = saved.where(saves.c.created_at >= since)
    engaged = liked.union_all(saved).subquery()
    return (
        post_query()
        .add_columns(engaged.c.how, engaged.c.created_at)
        .join(engaged, engaged.c.post_id == posts.c.id)
        .order_by(engaged.c.created_at.desc())
        .limit(limit)
    )


def _history_query(user_id: int, since: datetime, limit: int) -> Select[Any]:
    return (
        select(events.c.subject_id, events.c.type, events.c.occurred_at)
        .where(
            events.c.user_id == user_id,
            events.c.subject_type == "Product",
            events.c.occurred_at >= since,
            events.c.type.in_([t for t, w in EVENT_WEIGHTS.items() if w > 0]),
        )
        .order_by(events.c.occurred_at.desc())
        .limit(limit)
    )


def exclusions_query(
    user_id: int | BindParameter[Any] | None,
    device_id: str | BindParameter[Any] | None,
    bought_since: datetime | BindParameter[Any],
) -> Select[Any] | CompoundSelect[Any]:
    """Rows (kind, pk): what the user (or, with `user_id` None, the device) hid, and for a user the
    products bought since `bought_since` (kind `bought`). Read by `exclusions_of`."""
    owner = hides.c.user_id == user_id if user_id is not None else hides.c.device_id == device_id
    hidden_rows = select(hides.c.subject_type.label("kind"), hides.c.subject_id.label("pk")).where(owner)
    if user_id is None:
        return hidden_rows
    bought = purchased_products(user_id, bought_since).subquery()
    return hidden_rows.union_all(select(literal(_BOUGHT).label("kind"), bought.c.product_id))


class Exclusion(NamedTuple):
    """A row of `exclusions_query`."""

    kind: str
    pk: int


def exclusions_of(rows: Iterable[Any]) -> tuple[set[tuple[str, int]], set[int]]:
    hidden: set[tuple[str, int]] = set()
    purchased: set[int] = set()
    for row in rows:
        if row.kind == _BOUGHT:
            purchased.add(row.pk)
        else:
            hidden.add((row.kind, row.pk))
    return hidden, purchased


def _served_in(session_id: str, kind: ItemKind, item_id: Any) -> Any:
    return exists().where(
        served.c.session_id == session_id, served.c.kind == kind.value, served.c.item_id == item_id
    )


def _hidden_by(user_id: int, subject_type: str, subject_id: Any) -> Any:
    return exists().where(
        hides.c.user_id == user_id, hides.c.subject_type == subject_type, hides.c.subject_id == subject_id
    )


class SqlTrendingReads(RepositoryPart):
    async def latest_posts(self, limit: int) -> list[PostInfo]:
        query = post_query().order_by(posts.c.published_at.desc(), posts.c.id.desc()).limit(limit)
        return [post_info(row) for row in await self.tx.execute(query)]

    async def posts(self, post_ids: Sequence[int]) -> list[PostInfo]:
        rows = await self.tx.execute(post_query().where(posts.c.id.in_(list(post_ids))))
        return [post_info(row) for row in rows]

    async def like_counts_since(self, since: datetime, limit: int) -> dict[int, int]:
        rows = await self.tx.execute(
            select(likes.c.post_id, func.count().label("likes"))
            .where(likes.c.created_at >= since)
            .group_by(likes.c.post_id)
            .order_by(func.count().desc())
            .limit(limit)
        )
        return {row.post_id: row.likes for row in rows}

    async def engagement_since(self, since: datetime) -> list[EngagementCount]:
        # One row per (subject, type, sender, UTC day) first: a sender repeating an event counts once a day.
        per_sender_day = (
            select(
                events.c.subject_type,
                events.c.subject_id,
                events.c.type,
                func.max(case((events.c.user_id.is_not(None), 1), else_=0)).label("signed_in"),
                func.max(events.c.occurred_at).label("latest_at"),
            )
            .where(events.c.occurred_at >= since, events.c.subject_type.in_(["Post", "Product"]))
            .group_by(
                events.c.subject_type,
                events.c.subject_id,
                events.c.type,
                events.c.actor_key,
                utc_day(self.tx.dialect, events.c.occurred_at),
            )
            .subquery()
        )
        rows = await self.tx.execute(
            select(
                per_sender_day.c.subject_type,
                per_sender_day.c.subject_id,
                per_sender_day.c.type,
                per_sender_day.c.signed_in,
                func.max(per_sender_day.c.latest_at).label("latest_at"),
                func.count().label("total"),
            ).group_by(
                per_sender_day.c.subject_type,
                per_sender_day.c.subject_id,
                per_sender_day.c.type,
                per_sender_day.c.signed_in,
            )
        )
        return [
            EngagementCount(
                row.subject_type,
                row.subject_id,
                row.type,
                # SQLite hands back an aggregate of a timestamp without its time zone (always UTC here).
                row.latest_at if row.latest_at.tzinfo is not None else row.latest_at.replace(tzinfo=UTC),
                row.total,
                signed_in=bool(row.signed_in),
            )
            for row in rows
        ]

    async def newest_sellable_products(self, limit: int) -> list[ProductInfo]:
        query = sellable_product_query().order_by(products.c.id.desc()).limit(limit)
        return [product_info(row) for row in await self.tx.execute(query)]
