"""Where a poll of a merchant's orders resumes: the settle window, without a database.

A fake repository keeps orders in memory and answers `list_orders` the way storage does (polling:
`updatedAt >= since`, after the `(updatedAt, id)` key, oldest first), so each test can commit a
change "late" (stamped before changes already delivered) and check the next poll still delivers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.order_feed import POLL_SETTLE, FeedPosition, order_feed
from shoppable.domain.commerce.records import FinancialStatus, FulfillmentStatus, Order, OrderStatus
from shoppable.domain.errors import DomainError
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.domain.uow import UnitOfWork

MERCHANT = 7
KEY = Actor(api_key_id=1, merchant_ids=frozenset({MERCHANT}))
T0 = datetime(2026, 11, 30, 12, tzinfo=UTC)


def micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@dataclass
class FakeCommerce:
    orders: dict[int, Order] = field(default_factory=dict)

    def change(self, order_id: int, at: datetime, status: OrderStatus = OrderStatus.OPEN) -> None:
        self.orders[order_id] = Order(
            order_id, MERCHANT, order_id, 1, 1, None, None, status, FinancialStatus.PAID,
            FulfillmentStatus.UNFULFILLED, Money(100, "EUR"), 0, None, T0, at,
        )  # fmt: skip

    async def list_orders(
        self,
        page: PageRequest,
        *,
        merchant_id: int | None = None,
        status: OrderStatus | None = None,
        updated_since: datetime | None = None,
        **_: Any,
    ) -> Page[Order]:
        assert updated_since is not None
        rows = sorted(
            (
                o
                for o in self.orders.values()
                if o.merchant_id == merchant_id and o.updated_at >= updated_since
            ),
            key=lambda o: (o.updated_at, o.id),
        )
        rows = [o for o in rows if status is None or o.status is status]
        if page.after is not None:
            rows = [o for o in rows if (micros(o.updated_at), o.id) > tuple(page.after)]
        return page_from_rows(rows[: page.first + 1], page, lambda o: (micros(o.updated_at), o.id))


@dataclass
class FakeUnitOfWork:
    commerce: FakeCommerce


async def poll(
    commerce: FakeCommerce, after: FeedPosition | None, now: datetime, *, first: int = 2, since: datetime = T0
) -> tuple[list[int], FeedPosition]:
    """Read pages until caught up; the ids delivered and the position to resume from."""
    uow = cast(UnitOfWork, FakeUnitOfWork(commerce))
    seen: list[int] = []
    while True:
        page = await order_feed(
            uow, KEY, MERCHANT, first, status=None, since=None if after else since, after=after, now=now
        )
        seen += [o.id for o in page.orders]
        assert page.next is not None
        after = page.next
        if not page.has_next:
            return seen, after


async def test_a_late_commit_is_delivered_by_the_next_poll() -> None:
    commerce = FakeCommerce()
    for n in range(1, 6):
        commerce.change(n, T0 + timedelta(seconds=n))
    seen, position = await poll(commerce, None, T0 + timedelta(seconds=10))
    assert seen == [1, 2, 3, 4, 5] and position.caught_up
    # Order 6 was stamped at +3 s but committed only now: behind the position already handed out.
    commerce.change(6, T0 + timedelta(seconds=3))
    seen, position = await poll(commerce, position, T0 + timedelta(seconds=20))
    assert 6 in seen and set(seen) <= {1, 2, 3, 4, 5, 6}


async def test_a_poll_long_after_the_last_one_sends_only_what_changed() -> None:
    commerce = FakeCommerce()
    for n in range(1, 4):
        commerce.change(n, T0 + timedelta(seconds=n))
    _, position = await poll(commerce, None, T0 + timedelta(seconds=5))
    later = T0 + POLL_SETTLE * 3
    _, position = await poll(commerce, position, later)  # re-sends the window once
    commerce.change(2, later + timedelta(seconds=1), OrderStatus.CANCELLED)
    seen, position = await poll(commerce, position, later + POLL_SETTLE * 3)
    assert seen == [2]
    seen, _ = await poll(commerce, position, later + POLL_SETTLE * 6)
    assert seen == []


async def test_the_look_back_never_reaches_before_updated_since() -> None:
    commerce = FakeCommerce()
    commerce.change(1, T0 - timedelta(seconds=30))  # changed before the poll's start: never sent
    commerce.change(2, T0 + timedelta(seconds=1))
    seen, position = await poll(commerce, None, T0 + timedelta(seconds=2))
    assert seen == [2]
    seen, _ = await poll(commerce, position, T0 + timedelta(seconds=3))
    assert seen == [2]


async def test_a_cursor_resumes_only_its_own_query() -> None:
    commerce = FakeCommerce()
    commerce.change(1, T0 + timedelta(seconds=1))
    _, position = await poll(commerce, None, T0 + timedelta(seconds=2))
    uow = cast(UnitOfWork, FakeUnitOfWork(commerce))
    now = T0 + timedelta(seconds=3)
    cases: list[tuple[OrderStatus | None, datetime | None, str]] = [
        (OrderStatus.OPEN, None, "status"),
        (None, T0 + timedelta(seconds=1), "updatedSince"),
    ]
    for status, since, field_name in cases:
        with pytest.raises(DomainError) as raised:
            await order_feed(uow, KEY, MERCHANT, 2, status=status, since=since, after=position, now=now)
        assert raised.value.errors[0].field == (field_name,)
    other = Actor(api_key_id=2, merchant_ids=frozenset({8}))
    with pytest.raises(DomainError) as raised:
        await order_feed(uow, other, 8, 2, status=None, since=None, after=position, now=now)
    assert raised.value.errors[0].field == ("after",)
    same = await order_feed(uow, KEY, MERCHANT, 2, status=None, since=T0, after=position, now=now)
    assert [o.id for o in same.orders] == [1]
