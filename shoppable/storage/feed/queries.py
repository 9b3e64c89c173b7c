"""Tables and query shapes the feed's repository parts share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, func, select
from sqlmodel import SQLModel

from shoppable.domain.catalog.availability import SELLABLE
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.content.records import PartnershipStatus
from shoppable.domain.feed.ports import PostInfo, ProductInfo
from shoppable.domain.feed.visibility import PUBLISHED
from shoppable.storage.db import SqlTransaction
from shoppable.storage.tables import MerchantRow, ProductRow, SkuRow
from shoppable.storage.tables.content import CreatorRow, FollowRow, LikeRow, PostRow, ProductTagRow, SaveRow
from shoppable.storage.tables.feed import EventRow, FeedHideRow, FeedServedRow, FeedSessionRow
from shoppable.storage.tables.identity import UserRow


def table(row: type[SQLModel]) -> Table:
    return row.__table__  # type: ignore[attr-defined]  # set on every table class; SQLModel's stubs omit it


events = table(EventRow)
hides = table(FeedHideRow)
sessions = table(FeedSessionRow)
served = table(FeedServedRow)
posts = table(PostRow)
creators = table(CreatorRow)
follows = table(FollowRow)
likes = table(LikeRow)
saves = table(SaveRow)
tags = table(ProductTagRow)
products = table(ProductRow)
merchants = table(MerchantRow)
skus = table(SkuRow)
users = table(UserRow)

SELLABLE_AVAILABILITY = [a.value for a in SELLABLE]


def utc_day(dialect: str, moment: Any) -> Any:
    """The UTC calendar day of a timestamp column, to group by (PostgreSQL's `date()` would use the
    session's time zone; SQLite stores UTC text)."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", moment))
    return func.date(moment)


class RepositoryPart:
    """One part of `SqlFeedRepository`: all parts share the unit of work's transaction."""

    def __init__(self, tx: SqlTransaction) -> None:
        self.tx = tx


def post_query() -> Select[Any]:
    """Published posts with what a candidate needs: creator handle, counts, disclosure and partner
    (its name only once the merchant confirmed the partnership)."""
    return (
        select(
            posts.c.id,
            posts.c.creator_id,
            creators.c.handle,
            posts.c.published_at,
            posts.c.like_count,
            posts.c.save_count,
            posts.c.disclosure_kind,
            merchants.c.name.label("partner_name"),
        )
        .join(creators, creators.c.id == posts.c.creator_id)
        .outerjoin(
            merchants,
            (merchants.c.id == posts.c.disclosure_partner_id)
            & (posts.c.disclosure_status == PartnershipStatus.CONFIRMED.value),
        )
        .where(posts.c.status == PUBLISHED, posts.c.deleted_at.is_(None))
    )


def post_info(row: Any) -> PostInfo:
    return PostInfo(
        id=row.id,
        creator_id=row.creator_id,
        creator_handle=row.handle,
        published_at=row.published_at,
        like_count=row.like_count,
        save_count=row.save_count,
        disclosure_kind=row.disclosure_kind,
        partner_name=row.partner_name,
    )


def sellable_product_query() -> Select[Any]:
    """Active products that can be bought now, with their merchant's name."""
    return (
        select(
            products.c.id,
            products.c.merchant_id,
            merchants.c.name.label("merchant_name"),
            products.c.title,
            products.c.category,
            products.c.created_at,
        )
        .join(merchants, merchants.c.id == products.c.merchant_id)
        .where(
            products.c.status == ProductStatus.ACTIVE.value,
            products.c.availability.in_(SELLABLE_AVAILABILITY),
        )
    )


def product_info(row: Any) -> ProductInfo:
    return ProductInfo(row.id, row.merchant_id, row.merchant_name, row.title, row.category, row.created_at)
