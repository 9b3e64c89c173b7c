"""Orders: placed one per merchant by checkout, run by their merchant, seen by their buyer.

Every order keeps the price and currency of the moment, the attribution and commission rate in force,
and its own financial and fulfilment status. Merchant operations lock the order row, so a
fulfilment, a cancellation and a refund arriving together are applied one after the other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce import commissions
from shoppable.domain.commerce.attribution import Touches, credit_for
from shoppable.domain.commerce.limits import CANCEL_REASON_MAX, MAX_LINES_PER_CALL
from shoppable.domain.commerce.payments import PaymentError, PaymentGateway
from shoppable.domain.commerce.records import (
    Checkout,
    FinancialStatus,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Owner,
    SkuState,
    order_number,
)
from shoppable.domain.commerce.stock import lock_stock, refresh_availability
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.ids import global_id
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.webhooks.catalog_events import record_low_stock
from shoppable.domain.webhooks.events import OrderLineSnapshot, OrderSnapshot, WebhookEvent, money_json
from shoppable.domain.webhooks.order_events import record_order_event

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


class GatewayServices(Protocol):
    def payment_gateway(self, name: str) -> PaymentGateway | None: ...


@dataclass(frozen=True)
class NewOrderLine:
    sku_id: int
    product_id: int
    sku_code: str
    title: str
    quantity: int
    price: Money
    attributed_creator_id: int | None
    attributed_post_id: int | None
    attributed_at: datetime | None
    commission_rate_bps: int | None


@dataclass(frozen=True)
class RefundLine:
    line_id: int
    quantity: int


async def place_orders(
    uow: UnitOfWork,
    owner: Owner,
    checkout: Checkout,
    gateway: str,
    reference: str,
    states: dict[int, SkuState],
    touches: Touches,
    now: datetime,
    *,
    record_events: bool,
) -> list[Order]:
    """Write the checkout's orders (one per merchant) and everything that follows from them.

    `record_events`: the buyer lets us keep behavioural data (analytics or personalization consent),
    so each line is also an `ORDERED` event for ranking; the order itself is kept either way."""
    payment_id = await uow.commerce.add_payment(checkout.id, gateway, reference, checkout.total)
    by_merchant: dict[int, list] = defaultdict(list)
    for line in checkout.lines:
        by_merchant[line.merchant_id].append(line)
    merchants = {m.id: m for m in await uow.identity.get_merchants(sorted(by_merchant))}
    orders: list[Order] = []
    counted = sorted({line.sku_id for line in checkout.lines if states[line.sku_id].counted})
    stock_before = {sku.id: sku for sku in await uow.catalog.get_skus(counted)}
    for merchant_id in sorted(by_merchant):
        merchant = merchants[merchant_id]
        window = timedelta(days=merchant.attribution_window_days)
        new_lines = []
        for line in by_merchant[merchant_id]:
            state = states[line.sku_id]
            credit = credit_for(line, touches, owner.user_id, window, now)
            new_lines.append(
                NewOrderLine(
                    sku_id=line.sku_id,
                    product_id=line.product_id,
                    sku_code=state.sku_code,
                    title=state.title,
                    quantity=line.quantity,
                    price=line.price,
                    attributed_creator_id=credit.creator_id if credit else None,
                    attributed_post_id=credit.post_id if credit else None,
                    attributed_at=credit.at if credit else None,
                    commission_rate_bps=merchant.commission_rate_bps if credit else None,
                )
            )
            if state.counted:
                await uow.commerce.take_stock(line.sku_id, line.quantity)
        total = Money(sum(nl.price.amount_minor * nl.quantity for nl in new_lines), checkout.total.currency)
        number = await uow.commerce.next_order_number(merchant_id)
        order = await uow.commerce.add_order(merchant_id, number, checkout, payment_id, total, new_lines, now)
        lines = await uow.commerce.lines_of_orders([order.id])
        earned = [
            c
            for c in (commissions.earn(line, order.id, merchant.return_window_days, now) for line in lines)
            if c
        ]
        await uow.commerce.add_commissions(earned)
        if owner.user_id is not None and record_events:
            # The server's record of a purchase, for ranking and insights (a client's PURCHASE event
            # is only a claim). Orders themselves are what "never recommend what you bought" reads.
            await uow.commerce.record_purchases(
                owner.user_id, [(line.id, line.product_id) for line in lines], now
            )
        await emit(uow, WebhookEvent.ORDER_CREATED, order)
        sold: dict[int, int] = defaultdict(int)
        for line in by_merchant[merchant_id]:
            sold[line.sku_id] += line.quantity
        await record_low_stock(
            uow,
            merchant,
            [
                (sku, (sku.quantity or 0) - sold[sku_id])
                for sku_id, sku in stock_before.items()
                if sku_id in sold and sku.quantity is not None
            ],
        )
        orders.append(order)
    await uow.commerce.checkout_done(checkout, now)
    return orders


async def emit(
    uow: UnitOfWork, event: WebhookEvent, order: Order, extra: dict[str, Any] | None = None
) -> None:
    """The order's webhook event, in the transaction that changes the order (the outbox)."""
    lines = await uow.commerce.lines_of_orders([order.id])
    snapshot = OrderSnapshot(
        id=order.id,
        number=order_number(order.number),
        status=order.status.value,
        financial_status=order.financial_status.value,
        fulfillment_status=order.fulfillment_status.value,
        currency=order.total.currency,
        total=order.total.amount,
        created_at=order.created_at,
        lines=[
            OrderLineSnapshot(
                line.id,
                line.sku_id,
                line.sku_code,
                line.title,
                line.quantity,
                line.price.amount,
                refunded_quantity=line.refunded_quantity,
                fulfilled_quantity=line.fulfilled_quantity,
            )
            for line in lines
        ],
        refunded_total=Money(order.refunded_minor, order.total.currency).amount
        if order.refunded_minor
        else None,
        cancel_reason=order.cancel_reason or None,
        extra=extra or {},
    )
    await record_order_event(uow, event, order.merchant_id, snapshot)


# -- reading -------------------------------------------------------------------------------------


def can_see_order(actor: Actor, order: Order) -> bool:
    """Its buyer (account or device), the merchant's people and keys, and admins."""
    if actor.manages(order.merchant_id):
        return True
    if order.user_id is not None:
        return actor.user_id == order.user_id
    return actor.user_id is None and actor.device_id is not None and actor.device_id == order.device_id


async def buyer_orders(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[Order]:
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Sign in to see your orders.")
    return await uow.commerce.list_orders(page, user_id=actor.user_id)


async def merchant_orders(
    uow: UnitOfWork,
    actor: Actor,
    merchant_id: int,
    page: PageRequest,
    *,
    status: OrderStatus | None = None,
    updated_since: datetime | None = None,
) -> Page[Order]:
    if not policy.can_manage_catalog(actor, merchant_id):
        raise policy.refusal(actor, ("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    return await uow.commerce.list_orders(
        page, merchant_id=merchant_id, status=status, updated_since=updated_since
    )


async def merchant_order(uow: UnitOfWork, actor: Actor, order_id: int, *, lock: bool = False) -> Order:
    """An order its merchant may run; someone else's reads as not found."""
    if lock:
        await uow.commerce.lock_order(order_id)
    found = await uow.commerce.get_orders([order_id])
    if not found or not policy.can_run_order(actor, found[0].merchant_id):
        raise policy.refusal(actor, ("orderId",), ErrorCode.NOT_FOUND, "No such order.")
    return found[0]


# -- the merchant's operations ------------------------------------------------------------------


def _status(order: Order, lines: list[OrderLine]) -> tuple[OrderStatus, FulfillmentStatus, FinancialStatus]:
    open_units = [line.quantity - line.refunded_quantity for line in lines]
    fulfilled = sum(line.fulfilled_quantity for line in lines)
    if fulfilled == 0:
        fulfillment = FulfillmentStatus.UNFULFILLED
    elif all(line.fulfilled_quantity >= line.quantity - line.refunded_quantity for line in lines):
        fulfillment = FulfillmentStatus.FULFILLED
    else:
        fulfillment = FulfillmentStatus.PARTIALLY_FULFILLED
    refunded = sum(line.refunded_quantity * line.price.amount_minor for line in lines)
    if refunded == 0:
        financial = FinancialStatus.PAID
    elif refunded >= order.total.amount_minor:
        financial = FinancialStatus.REFUNDED
    else:
        financial = FinancialStatus.PARTIALLY_REFUNDED
    if order.status is OrderStatus.CANCELLED:
        status = OrderStatus.CANCELLED
    elif all(line.fulfilled_quantity >= units for line, units in zip(lines, open_units, strict=True)):
        status = OrderStatus.COMPLETED
    else:
        status = OrderStatus.OPEN
    return status, fulfillment, financial


async def _save(uow: UnitOfWork, order: Order, now: datetime, *, cancel_reason: str | None = None) -> Order:
    lines = await uow.commerce.lines_of_orders([order.id])
    status, fulfillment, financial = _status(order, lines)
    refunded = sum(line.refunded_quantity * line.price.amount_minor for line in lines)
    await uow.commerce.update_order(
        order.id, status, financial, fulfillment, refunded, cancel_reason or order.cancel_reason, now
    )
    return (await uow.commerce.get_orders([order.id]))[0]


async def fulfill(
    uow: UnitOfWork, actor: Actor, order_id: int, line_ids: list[int] | None, now: datetime
) -> Order:
    """Mark lines shipped (all open lines when none are named)."""
    await uow.begin_write()
    order = await merchant_order(uow, actor, order_id, lock=True)
    if order.status is OrderStatus.CANCELLED:
        raise DomainError.single(("orderId",), ErrorCode.CONFLICT, "A cancelled order cannot be fulfilled.")
    lines = {line.id: line for line in await uow.commerce.lines_of_orders([order.id])}
    chosen = line_ids if line_ids else list(lines)
    if len(chosen) > MAX_LINES_PER_CALL:
        raise DomainError.single(("lineIds",), ErrorCode.LIMIT_EXCEEDED, "Too many lines.")
    errors = [
        FieldError(("lineIds", index), ErrorCode.NOT_FOUND, "No such line in this order.")
        for index, line_id in enumerate(chosen)
        if line_id not in lines
    ]
    if errors:
        raise DomainError(*errors)
    changed = False
    for line_id in chosen:
        line = lines[line_id]
        open_units = line.quantity - line.refunded_quantity
        if line.fulfilled_quantity < open_units:
            await uow.commerce.set_line_counts(line.id, fulfilled=open_units, refunded=line.refunded_quantity)
            changed = True
    if not changed:
        raise DomainError.single(("lineIds",), ErrorCode.CONFLICT, "These lines are already fulfilled.")
    saved = await _save(uow, order, now)
    await emit(
        uow,
        WebhookEvent.ORDER_FULFILLED,
        saved,
        {"fulfillment": {"lineIds": [global_id("OrderLine", i) for i in chosen]}},
    )
    await uow.commit()
    return saved


async def cancel(
    uow: UnitOfWork, actor: Actor, order_id: int, reason: str | None, services: GatewayServices, now: datetime
) -> Order:
    """Cancel an order nothing of which has shipped: stock goes back, the rest of the payment is
    refunded, and commissions not yet locked are reversed."""
    if reason is not None and len(reason) > CANCEL_REASON_MAX:
        raise DomainError.single(("reason",), ErrorCode.TOO_LARGE, f"At most {CANCEL_REASON_MAX} characters.")
    await uow.begin_write()
    order = await merchant_order(uow, actor, order_id, lock=True)
    if order.status is OrderStatus.CANCELLED:
        raise DomainError.single(("orderId",), ErrorCode.CONFLICT, "This order is already cancelled.")
    lines = await uow.commerce.lines_of_orders([order.id])
    if any(line.fulfilled_quantity for line in lines):
        raise DomainError.single(
            ("orderId",), ErrorCode.CONFLICT, "Part of this order has shipped: refund its lines instead."
        )
    left = order.total.amount_minor - order.refunded_minor
    await lock_stock(uow, {order.merchant_id}, [line.sku_id for line in lines])
    for line in lines:
        back = line.quantity - line.refunded_quantity
        if back:
            await uow.commerce.return_stock(line.sku_id, back)
            await uow.commerce.set_line_counts(line.id, fulfilled=0, refunded=line.quantity)
    await commissions.reverse_pending(uow, order.id)
    await refresh_availability(uow, {line.product_id for line in lines}, now)
    if left > 0:
        await _refund_payment(
            uow, order, Money(left, order.total.currency), f"order-{order.id}-cancel", services
        )
    saved = await _save(uow, replace(order, status=OrderStatus.CANCELLED), now, cancel_reason=reason or "")
    await emit(uow, WebhookEvent.ORDER_CANCELLED, saved)
    await uow.commit()
    return saved


async def refund(
    uow: UnitOfWork,
    actor: Actor,
    order_id: int,
    wanted: list[RefundLine],
    services: GatewayServices,
    now: datetime,
) -> Order:
    """Refund units of lines through the gateway. Units not yet shipped go back to stock; commissions
    still pending are reversed in proportion."""
    if not wanted:
        raise DomainError.single(("lines",), ErrorCode.REQUIRED, "Name the lines and quantities to refund.")
    if len(wanted) > MAX_LINES_PER_CALL:
        raise DomainError.single(("lines",), ErrorCode.LIMIT_EXCEEDED, "Too many lines.")
    await uow.begin_write()
    order = await merchant_order(uow, actor, order_id, lock=True)
    lines = {line.id: line for line in await uow.commerce.lines_of_orders([order.id])}
    errors: list[FieldError] = []
    asked: dict[int, int] = defaultdict(int)
    for index, item in enumerate(wanted):
        line = lines.get(item.line_id)
        if line is None:
            errors.append(
                FieldError(("lines", index, "lineId"), ErrorCode.NOT_FOUND, "No such line in this order.")
            )
            continue
        asked[line.id] += item.quantity
        refundable = line.quantity - line.refunded_quantity
        if item.quantity < 1 or asked[line.id] > refundable:
            errors.append(
                FieldError(
                    ("lines", index, "quantity"),
                    ErrorCode.INVALID,
                    f"Between 1 and {refundable} units of this line can be refunded.",
                )
            )
    if errors:
        raise DomainError(*errors)
    amount = 0
    touched = set()
    await lock_stock(uow, {order.merchant_id}, [lines[line_id].sku_id for line_id in asked])
    for line_id, quantity in asked.items():
        line = lines[line_id]
        refunded_after = line.refunded_quantity + quantity
        unshipped = max(line.quantity - line.fulfilled_quantity - line.refunded_quantity, 0)
        if back := min(quantity, unshipped):
            await uow.commerce.return_stock(line.sku_id, back)
            touched.add(line.product_id)
        await uow.commerce.set_line_counts(
            line.id, fulfilled=line.fulfilled_quantity, refunded=refunded_after
        )
        await commissions.reverse_for_refund(uow, line, refunded_after)
        amount += quantity * line.price.amount_minor
    await refresh_availability(uow, touched, now)
    # The key names the state refunded from, so a retry after a crash is the same refund to the gateway.
    key = f"order-{order.id}-refund-from-{order.refunded_minor}-{amount}"
    await _refund_payment(uow, order, Money(amount, order.total.currency), key, services)
    saved = await _save(uow, order, now)
    refund_facts = {
        "amount": money_json(Money(amount, order.total.currency).amount, order.total.currency),
        "lines": [
            {"lineId": global_id("OrderLine", line_id), "quantity": quantity}
            for line_id, quantity in asked.items()
        ],
    }
    await emit(uow, WebhookEvent.ORDER_REFUNDED, saved, {"refund": refund_facts})
    await uow.commit()
    return saved


async def _refund_payment(
    uow: UnitOfWork, order: Order, amount: Money, key: str, services: GatewayServices
) -> None:
    payment = await uow.commerce.get_payment(order.payment_id)
    gateway = services.payment_gateway(payment.gateway)
    if gateway is None:
        raise DomainError.single(
            (), ErrorCode.CONFLICT, f"The payment gateway {payment.gateway!r} is not configured."
        )
    try:
        await gateway.refund(payment.reference, amount, idempotency_key=key)
    except PaymentError as exc:
        raise DomainError.single((), ErrorCode.PAYMENT_FAILED, str(exc)) from None
    await uow.commerce.add_refunded(payment.id, order.id, amount)
