"""Demo orders bought from the demo creators' posts, so earnings and merchants' orders show something.

Each is placed by a demo shopper through the real operations (cart, checkout with the `test`
gateway, then the merchant's fulfilment, refund or cancellation), some of them back in time, so the
commissions show every state honestly: LOCKED (its return window closed), PENDING, one half
REVERSED by a partial refund, and one REVERSED by a cancellation. Every order has its own
idempotency key: seeding again finds it placed and does nothing; each follow-up step runs only when
the order is not already in that state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.catalog.records import Sku
from shoppable.domain.commerce import cart, checkout, commissions, orders
from shoppable.domain.commerce.records import (
    AttemptStatus,
    FulfillmentStatus,
    Order,
    OrderStatus,
    Owner,
    order_number,
)
from shoppable.domain.content.posts import PUBLIC_STATUSES
from shoppable.domain.identity.actor import OPERATOR, Actor
from shoppable.domain.pagination import PageRequest

if TYPE_CHECKING:
    from shoppable.services import Services


@dataclass(frozen=True)
class DemoOrder:
    key: str  # the checkout's idempotency key
    shopper: str  # a demo shopper's email
    creator: str  # whose post the item is bought from
    post_index: int  # which of their posts (newest first)
    quantity: int
    days_ago: float
    fulfil: bool = False
    refund_units: int = 0
    cancel: bool = False


DEMO_ORDERS = (
    # Bought long enough ago that the return window (30 days) has closed: the commission is LOCKED.
    DemoOrder("demo-order-locked", "shopper@shoppable.dev", "mila.outdoors", 0, 1, 45, fulfil=True),
    DemoOrder("demo-order-pending", "demo-shopper-1@shoppable.dev", "mila.outdoors", 1, 1, 2, fulfil=True),
    # Two units shipped, one sent back: half the commission REVERSED, half still PENDING.
    DemoOrder(
        "demo-order-refunded",
        "demo-shopper-2@shoppable.dev",
        "sana.style",
        0,
        2,
        6,
        fulfil=True,
        refund_units=1,
    ),
    DemoOrder("demo-order-open", "demo-shopper-3@shoppable.dev", "jonas.home", 0, 1, 1),
    DemoOrder("demo-order-cancelled", "demo-shopper-4@shoppable.dev", "leo.trail", 0, 1, 3, cancel=True),
)


async def seed_orders(services: Services) -> list[str]:
    """Place the demo orders (once) and bring each to its state; one line per order for the report."""
    if services.payment_gateway("test") is None:
        return ["demo orders: skipped (the `test` payment gateway is not enabled: PAYMENT_GATEWAYS)"]
    report = []
    real_clock = services.clock
    try:
        for demo in DEMO_ORDERS:
            when = real_clock() - timedelta(days=demo.days_ago)
            services.clock = _stopped_at(when)  # the order happens back then
            order = await _place(services, demo, when)
            if order is None:
                report.append(f"{demo.key}: skipped (no demo shopper, post or product in stock)")
                continue
            services.clock = real_clock
            order = await _follow_up(services, demo, order, when)
            report.append(
                f"{demo.key}: order {order.id} {order_number(order.number)} {order.status.value} "
                f"{order.financial_status.value} {order.fulfillment_status.value}"
            )
    finally:
        services.clock = real_clock
    async with services.database.unit_of_work(write=True) as uow:
        await commissions.lock_due(uow, real_clock())
    return report


def _stopped_at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def _place(services: Services, demo: DemoOrder, when: datetime) -> Order | None:
    async with services.database.unit_of_work() as uow:
        found = await uow.identity.get_user_with_password(demo.shopper)
        if found is None:
            return None
        shopper = Actor(user_id=found[0].id)
        attempt = await uow.commerce.find_attempt(Owner(shopper.user_id, None).key, demo.key)
        if attempt is not None and attempt.status is AttemptStatus.COMPLETED:
            placed = await uow.commerce.get_orders(list(attempt.order_ids))
            return placed[0] if placed else None
        pick = await _item(services, demo)
    if pick is None:
        return None
    sku, post_id = pick
    async with services.database.unit_of_work(write=True) as uow:
        view = await cart.add_lines(uow, shopper, [cart.LineInput(sku.id, demo.quantity, post_id)], when)
    request = checkout.CompleteInput(
        idempotency_key=demo.key,
        payment=checkout.PaymentInput(gateway="test", token="tok_visa"),
        cart_id=view.cart.id,
    )
    async with services.database.unit_of_work(write=True) as uow:
        placed = await checkout.complete_checkout(uow, shopper, request, services)
    return placed[0]


async def _item(services: Services, demo: DemoOrder) -> tuple[Sku, int] | None:
    """The creator's post and the first SKU it tags that can be bought in that quantity."""
    async with services.database.unit_of_work() as uow:
        creators = await uow.content.creators_by_handles([demo.creator])
        if not creators:
            return None
        page = await uow.content.list_creator_posts(creators[0].id, PUBLIC_STATUSES, PageRequest(first=20))
        if len(page.items) <= demo.post_index:
            return None
        post = page.items[demo.post_index]
        tags = await uow.content.tags_of_posts([post.id])
        skus = await uow.catalog.skus_of_products([tag.product_id for tag in tags])
        states = await uow.commerce.sku_states([s.id for s in skus], services.clock())
    for sku in skus:
        state = states.get(sku.id)
        if state and state.sold and (state.free is None or state.free >= demo.quantity + 2):
            return sku, post.id
    return None


async def _follow_up(services: Services, demo: DemoOrder, order: Order, when: datetime) -> Order:
    """The merchant's side, a day or two after the purchase."""
    if demo.fulfil and order.fulfillment_status is FulfillmentStatus.UNFULFILLED:
        async with services.database.unit_of_work(write=True) as uow:
            order = await orders.fulfill(uow, OPERATOR, order.id, None, when + timedelta(days=1))
    if demo.refund_units and order.refunded_minor == 0:
        async with services.database.unit_of_work(write=True) as uow:
            lines = await uow.commerce.lines_of_orders([order.id])
            wanted = [orders.RefundLine(lines[0].id, demo.refund_units)]
            order = await orders.refund(uow, OPERATOR, order.id, wanted, services, when + timedelta(days=3))
    if demo.cancel and order.status is not OrderStatus.CANCELLED:
        async with services.database.unit_of_work(write=True) as uow:
            order = await orders.cancel(
                uow,
                OPERATOR,
                order.id,
                "Demo: the shopper changed their mind.",
                services,
                when + timedelta(hours=2),
            )
    return order
