"""A merchant's orders for their own systems: newest first, or polled oldest change first.

Polling (`updatedSince`) walks orders by `(updatedAt, id)` and hands back a position to resume from.
An order's `updatedAt` is the moment its change was made, not when its transaction committed, and a
change can commit a little after a later one (a checkout holds its transaction while the payment is
captured). A poller that trusted the position alone would step over such a change for ever. So a
position remembers when its walk started, and once a walk has caught up, the next one looks back
over the `POLL_SETTLE` window before that start: every change whose transaction lasted less than
that is delivered, at the price of re-delivering the orders changed within that window. Delivery is
at least once; clients keep each order by id and its latest `updatedAt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.commerce.orders import merchant_orders
from shoppable.domain.commerce.records import Order, OrderStatus
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import Key, PageRequest

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

POLL_SETTLE = timedelta(seconds=60)
"""Longer than a commerce write transaction lasts (SQLite waits at most 30 s for its lock, a
checkout's attempt lease is 30 s), so a change committed late is still ahead of the next walk."""


@dataclass(frozen=True)
class FeedPosition:
    """Where a page of the feed ended: what a cursor carries (signed by the adapter)."""

    merchant_id: int
    status: OrderStatus | None
    since: datetime | None  # None: newest first; else polling changes from this moment
    key: Key | None  # the last order returned, as storage orders them
    walk_started: datetime | None = None  # polling: when the walk this page belongs to began
    last_seen: datetime | None = None  # polling: `updatedAt` of the last order returned so far
    caught_up: bool = False  # polling: the walk reached the newest change


@dataclass(frozen=True)
class FeedPage:
    orders: list[Order]
    has_next: bool
    next: FeedPosition | None
    """Newest first: None at the end. Polling: always set, so the next poll resumes from it."""


def _check_resume(
    after: FeedPosition, merchant_id: int, status: OrderStatus | None, since: datetime | None
) -> None:
    """A cursor resumes the query it came from; naming other filters with it is a mistake."""
    if after.merchant_id != merchant_id:
        raise DomainError.single(("after",), ErrorCode.INVALID, "This cursor belongs to another merchant.")
    if status is not None and status != after.status:
        raise DomainError.single(("status",), ErrorCode.INVALID, "`status` differs from the cursor's.")
    if since is not None and (after.since is None or since != after.since):
        raise DomainError.single(
            ("updatedSince",), ErrorCode.INVALID, "`updatedSince` differs from the cursor's."
        )


async def order_feed(
    uow: UnitOfWork,
    actor: Actor,
    merchant_id: int,
    first: int,
    *,
    status: OrderStatus | None,
    since: datetime | None,
    after: FeedPosition | None,
    now: datetime,
) -> FeedPage:
    """One page of the merchant's orders (their people and keys only; others read not found)."""
    if after is not None:
        _check_resume(after, merchant_id, status, since)
        status, since = after.status, after.since
    if since is None:
        page = await merchant_orders(
            uow, actor, merchant_id, PageRequest(first, after.key if after else None), status=status
        )
        next_position = (
            FeedPosition(merchant_id, status, None, page.keys[-1]) if page.has_next and page.keys else None
        )
        return FeedPage(page.items, page.has_next, next_position)

    start, key, walk_started, last_seen = since, None, now, None
    if after is not None and not after.caught_up:
        key, walk_started, last_seen = after.key, after.walk_started or now, after.last_seen
    elif after is not None:
        # A new walk. Changes before `floor` had committed when the last walk began, so it saw them;
        # only what changed since then may have committed behind its position.
        floor = max(since, (after.walk_started or now) - POLL_SETTLE)
        last_seen = after.last_seen
        if after.key is not None and last_seen is not None and last_seen < floor:
            key = after.key
        else:
            start = floor
    page = await merchant_orders(
        uow, actor, merchant_id, PageRequest(first, key), status=status, updated_since=start
    )
    if page.items:
        key, last_seen = page.keys[-1], max(last_seen or since, page.items[-1].updated_at)
    position = FeedPosition(
        merchant_id, status, since, key, walk_started, last_seen, caught_up=not page.has_next
    )
    return FeedPage(page.items, page.has_next, position)
