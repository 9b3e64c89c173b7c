"""SQL store of carts, checkouts and holds, payments, orders and commissions.

Row locks (`lock_*`) are PostgreSQL `SELECT ... FOR UPDATE`; on SQLite every writer already holds
the database's write lock from its first statement (`BEGIN IMMEDIATE`), so they have nothing to do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import BindParameter, Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql import ColumnElement

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.attribution import Touch
from shoppable.domain.commerce.commissions import NewCommission
from shoppable.domain.commerce.records import (
    Attempt,
    AttemptStatus,
    Cart,
    CartLine,
    Checkout,
    CheckoutLine,
    CheckoutStatus,
    Commission,
    CommissionStatus,
    FinancialStatus,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Owner,
    Payment,
    PostInsights,
    SkuState,
)
from shoppable.domain.commerce.stock import SkuStock
from shoppable.domain.content.records import PostStatus
from shoppable.domain.feed.model import ORDERED, EventType
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import from_micros, insert_if_absent, micros, table_of
from shoppable.storage.tables import (
    CartLineRow,
    CartRow,
    CartTouchRow,
    CheckoutAttemptRow,
    CheckoutLineRow,
    CheckoutRow,
    CommissionRow,
    CreatorRow,
    EventRow,
    MerchantRow,
    OrderLineRow,
    OrderRow,
    PaymentRow,
    PayoutRow,
    PostRow,
    ProductRow,
    ProductTagRow,
    SkuRow,
    StockHoldRow,
)
from shoppable.storage.types import utcnow

if TYPE_CHECKING:
    from shoppable.domain.commerce.orders import NewOrderLine

carts = table_of(CartRow)
cart_lines = table_of(CartLineRow)
touches = table_of(CartTouchRow)
checkouts = table_of(CheckoutRow)
checkout_lines = table_of(CheckoutLineRow)
holds = table_of(StockHoldRow)
attempts = table_of(CheckoutAttemptRow)
payments = table_of(PaymentRow)
orders = table_of(OrderRow)
order_lines = table_of(OrderLineRow)
commissions = table_of(CommissionRow)
payouts = table_of(PayoutRow)
skus = table_of(SkuRow)
products = table_of(ProductRow)
merchants = table_of(MerchantRow)
posts = table_of(PostRow)
creators = table_of(CreatorRow)
tags = table_of(ProductTagRow)
events = table_of(EventRow)


def _post(value: int) -> int | None:
    return value or None


def _cart_line(row: Any) -> CartLine:
    return CartLine(
        row.id,
        row.cart_id,
        row.sku_id,
        _post(row.post_id),
        row.quantity,
        Money(row.price_minor, row.currency),
        row.added_at,
    )


def _order(row: Any) -> Order:
    return Order(
        id=row.id,
        merchant_id=row.merchant_id,
        number=row.number,
        checkout_id=row.checkout_id,
        payment_id=row.payment_id,
        user_id=row.user_id,
        device_id=row.device_id,
        status=OrderStatus(row.status),
        financial_status=FinancialStatus(row.financial_status),
        fulfillment_status=FulfillmentStatus(row.fulfillment_status),
        total=Money(row.total_minor, row.currency),
        refunded_minor=row.refunded_minor,
        cancel_reason=row.cancel_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _order_line(row: Any) -> OrderLine:
    return OrderLine(
        id=row.id,
        order_id=row.order_id,
        sku_id=row.sku_id,
        product_id=row.product_id,
        sku_code=row.sku_code,
        title=row.title,
        quantity=row.quantity,
        price=Money(row.price_minor, row.currency),
        fulfilled_quantity=row.fulfilled_quantity,
        refunded_quantity=row.refunded_quantity,
        attributed_creator_id=row.attributed_creator_id,
        attributed_post_id=row.attributed_post_id,
        attributed_at=row.attributed_at,
        commission_rate_bps=row.commission_rate_bps,
    )


def _commission(row: Any) -> Commission:
    return Commission(
        id=row.id,
        creator_id=row.creator_id,
        order_id=row.order_id,
        order_line_id=row.order_line_id,
        post_id=row.post_id,
        status=CommissionStatus(row.status),
        amount=Money(row.amount_minor, row.currency),
        rate_bps=row.rate_bps,
        locks_at=row.locks_at,
        locked_at=row.locked_at,
        created_at=row.created_at,
    )


def _attempt(row: Any) -> Attempt:
    return Attempt(
        id=row.id,
        owner_key=row.owner_key,
        idempotency_key=row.idempotency_key,
        request_hash=row.request_hash,
        checkout_id=row.checkout_id,
        status=AttemptStatus(row.status),
        attempt_key=row.attempt_key,
        order_ids=tuple(row.order_ids or ()),
        error=row.error,
        lease_until=row.lease_until,
    )


def _newest_first_after(after: tuple[Any, ...]) -> ColumnElement[bool]:
    moment, row_id = from_micros(after[0]), int(after[1])
    return or_(orders.c.created_at < moment, and_(orders.c.created_at == moment, orders.c.id < row_id))


def purchased_products(
    user_id: int | BindParameter[Any], since: datetime | BindParameter[Any]
) -> Select[Any]:
    """Product ids (one row per order line) of the user's orders since `since`, cancelled ones excepted
    (values, or parameters bound at execution)."""
    return (
        select(order_lines.c.product_id)
        .join(orders, orders.c.id == order_lines.c.order_id)
        .where(
            orders.c.user_id == user_id,
            orders.c.created_at >= since,
            orders.c.status != OrderStatus.CANCELLED.value,
        )
    )


class SqlCommerceRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    async def _rows(self, statement: Any) -> list[Any]:
        """Rows of an aggregate query (typed loosely: SQLAlchemy types `func` columns as one-tuples)."""
        return list(await self.uow.execute(statement))

    async def _lock(self, table: Any, ids: Sequence[int]) -> None:
        if self.uow.dialect == "postgresql" and ids:
            await self.uow.execute(
                select(table.c.id).where(table.c.id.in_(sorted(ids))).order_by(table.c.id).with_for_update()
            )

    # -- carts ------------------------------------------------------------------------------------

    async def _cart(self, where: ColumnElement[bool]) -> Cart | None:
        row = (await self.uow.execute(select(carts).where(where))).first()
        if row is None:
            return None
        lines = await self.uow.execute(
            select(cart_lines).where(cart_lines.c.cart_id == row.id).order_by(cart_lines.c.id)
        )
        return Cart(row.id, row.owner_key, row.user_id, row.device_id, tuple(_cart_line(r) for r in lines))

    async def find_cart(self, owner_key: str) -> Cart | None:
        return await self._cart(carts.c.owner_key == owner_key)

    async def get_cart(self, cart_id: int) -> Cart | None:
        return await self._cart(carts.c.id == cart_id)

    async def ensure_cart(self, owner: Owner, now: datetime) -> int:
        await self.uow.execute(
            insert_if_absent(self.uow, carts).values(
                owner_key=owner.key,
                user_id=owner.user_id,
                device_id=owner.device_id,
                created_at=now,
                updated_at=now,
            )
        )
        return int(
            (await self.uow.execute(select(carts.c.id).where(carts.c.owner_key == owner.key))).scalar_one()
        )

    async def lock_cart(self, cart_id: int) -> None:
        await self._lock(carts, [cart_id])

    async def put_line(
        self, cart_id: int, sku_id: int, post_id: int | None, quantity: int, price: Money, added_at: datetime
    ) -> None:
        where = and_(
            cart_lines.c.cart_id == cart_id,
            cart_lines.c.sku_id == sku_id,
            cart_lines.c.post_id == (post_id or 0),
        )
        changed = await self.uow.execute(
            update(cart_lines)
            .where(where)
            .values(quantity=quantity, price_minor=price.amount_minor, currency=price.currency)
        )
        if not cast(CursorResult[Any], changed).rowcount:
            await self.uow.execute(
                insert(cart_lines).values(
                    cart_id=cart_id,
                    sku_id=sku_id,
                    post_id=post_id or 0,
                    quantity=quantity,
                    price_minor=price.amount_minor,
                    currency=price.currency,
                    added_at=added_at,
                )
            )
        await self.uow.execute(update(carts).where(carts.c.id == cart_id).values(updated_at=utcnow()))

    async def delete_lines(self, cart_id: int, line_ids: Sequence[int]) -> None:
        await self.uow.execute(
            delete(cart_lines).where(cart_lines.c.cart_id == cart_id, cart_lines.c.id.in_(list(line_ids)))
        )

    async def set_line_prices(self, changes: Sequence[tuple[int, Money]]) -> None:
        for line_id, price in changes:
            await self.uow.execute(
                update(cart_lines)
                .where(cart_lines.c.id == line_id)
                .values(price_minor=price.amount_minor, currency=price.currency)
            )

    async def add_touch(
        self, post_id: int, owner: Owner, product_id: int, quantity: int, now: datetime
    ) -> None:
        await self.uow.execute(
            insert(touches).values(
                post_id=post_id,
                actor_key=owner.key,
                user_id=owner.user_id,
                product_id=product_id,
                quantity=quantity,
                created_at=now,
            )
        )

    # -- stock -----------------------------------------------------------------------------------

    def _held(self, now: datetime, scope: ColumnElement[bool], excluding_checkout: int | None = None) -> Any:
        """Units in unexpired holds per SKU, for the SKUs `scope` selects (an index range, not a scan)."""
        conditions = [holds.c.expires_at > now, scope]
        if excluding_checkout is not None:
            conditions.append(holds.c.checkout_id != excluding_checkout)
        return (
            select(holds.c.sku_id, func.sum(holds.c.quantity).label("held"))
            .where(*conditions)
            .group_by(holds.c.sku_id)
            .subquery()
        )

    async def sku_states(
        self, sku_ids: Sequence[int], now: datetime, *, excluding_checkout: int | None = None
    ) -> dict[int, SkuState]:
        ids = sorted(set(sku_ids))
        if not ids:
            return {}
        held = self._held(now, holds.c.sku_id.in_(ids), excluding_checkout)
        rows = await self.uow.execute(
            select(
                skus.c.id,
                skus.c.product_id,
                skus.c.merchant_id,
                skus.c.sku,
                skus.c.title.label("sku_title"),
                skus.c.price_minor,
                skus.c.currency,
                skus.c.quantity,
                skus.c.inventory_policy,
                products.c.title,
                products.c.status,
                func.coalesce(held.c.held, 0).label("held"),
            )
            .join(products, products.c.id == skus.c.product_id)
            .outerjoin(held, held.c.sku_id == skus.c.id)
            .where(skus.c.id.in_(ids))
        )
        found = {}
        for r in rows:
            counted = r.quantity is not None
            tracked = counted and r.inventory_policy == InventoryPolicy.DENY.value
            found[r.id] = SkuState(
                sku_id=r.id,
                product_id=r.product_id,
                merchant_id=r.merchant_id,
                sku_code=r.sku,
                title=f"{r.title} – {r.sku_title}" if r.sku_title else r.title,
                price=Money(r.price_minor, r.currency),
                sold=r.status == "ACTIVE",
                counted=counted,
                tracked=tracked,
                free=r.quantity - int(r.held) if counted else None,
            )
        return found

    async def held_units(self, sku_ids: Sequence[int], now: datetime) -> dict[int, int]:
        if not sku_ids:
            return {}
        rows = await self._rows(
            select(holds.c.sku_id, func.sum(holds.c.quantity))
            .where(holds.c.sku_id.in_(list(sku_ids)), holds.c.expires_at > now)
            .group_by(holds.c.sku_id)
        )
        return {r[0]: int(r[1]) for r in rows}

    async def lock_skus(self, sku_ids: Sequence[int]) -> None:
        await self._lock(skus, sku_ids)

    async def stock_of_products(self, product_ids: Sequence[int], now: datetime) -> list[SkuStock]:
        held = self._held(now, holds.c.product_id.in_(list(product_ids)))
        rows = await self.uow.execute(
            select(
                skus.c.id,
                skus.c.product_id,
                skus.c.quantity,
                skus.c.inventory_policy,
                merchants.c.low_stock_threshold,
                func.coalesce(held.c.held, 0).label("held"),
            )
            .join(merchants, merchants.c.id == skus.c.merchant_id)
            .outerjoin(held, held.c.sku_id == skus.c.id)
            .where(skus.c.product_id.in_(list(product_ids)))
        )
        return [
            SkuStock(
                r.id,
                r.product_id,
                r.quantity,
                InventoryPolicy(r.inventory_policy),
                int(r.held),
                r.low_stock_threshold,
            )
            for r in rows
        ]

    async def take_stock(self, sku_id: int, quantity: int) -> None:
        await self.uow.execute(
            update(skus)
            .where(skus.c.id == sku_id, skus.c.quantity.is_not(None))
            .values(quantity=skus.c.quantity - quantity)
        )

    async def return_stock(self, sku_id: int, quantity: int) -> None:
        await self.uow.execute(
            update(skus)
            .where(skus.c.id == sku_id, skus.c.quantity.is_not(None))
            .values(quantity=skus.c.quantity + quantity)
        )

    async def delete_expired_holds(self, now: datetime) -> list[int]:
        rows = await self.uow.execute(
            delete(holds).where(holds.c.expires_at <= now).returning(holds.c.product_id)
        )
        return sorted({r[0] for r in rows})

    # -- checkouts -------------------------------------------------------------------------------

    async def release_open_checkouts(self, cart_id: int) -> list[int]:
        """Release the cart's open checkouts; the products whose holds were given back."""
        open_ids = [
            r[0]
            for r in await self.uow.execute(
                select(checkouts.c.id).where(
                    checkouts.c.cart_id == cart_id, checkouts.c.status == CheckoutStatus.OPEN.value
                )
            )
        ]
        released: set[int] = set()
        for checkout_id in open_ids:
            released.update(await self.release_checkout(checkout_id))
        return sorted(released)

    async def release_checkout(self, checkout_id: int) -> list[int]:
        rows = await self.uow.execute(
            delete(holds).where(holds.c.checkout_id == checkout_id).returning(holds.c.product_id)
        )
        await self.uow.execute(
            update(checkouts)
            .where(checkouts.c.id == checkout_id, checkouts.c.status == CheckoutStatus.OPEN.value)
            .values(status=CheckoutStatus.RELEASED.value)
        )
        return sorted({r[0] for r in rows})

    async def add_checkout(
        self,
        cart: Cart,
        owner: Owner,
        total: Money,
        states: dict[int, SkuState],
        now: datetime,
        expires_at: datetime,
    ) -> Checkout:
        checkout_id = (
            await self.uow.execute(
                insert(checkouts)
                .values(
                    cart_id=cart.id,
                    owner_key=owner.key,
                    user_id=owner.user_id,
                    device_id=owner.device_id,
                    status=CheckoutStatus.OPEN.value,
                    currency=total.currency,
                    total_minor=total.amount_minor,
                    expires_at=expires_at,
                    created_at=now,
                )
                .returning(checkouts.c.id)
            )
        ).scalar_one()
        await self.uow.execute(
            insert(checkout_lines),
            [
                {
                    "checkout_id": checkout_id,
                    "cart_line_id": line.id,
                    "sku_id": line.sku_id,
                    "product_id": states[line.sku_id].product_id,
                    "merchant_id": states[line.sku_id].merchant_id,
                    "post_id": line.post_id or 0,
                    "quantity": line.quantity,
                    "price_minor": states[line.sku_id].price.amount_minor,
                    "currency": states[line.sku_id].price.currency,
                    "added_at": line.added_at,
                }
                for line in cart.lines
            ],
        )
        held: dict[int, int] = defaultdict(int)
        for line in cart.lines:
            held[line.sku_id] += line.quantity
        rows = [
            {
                "checkout_id": checkout_id,
                "sku_id": sku_id,
                "product_id": states[sku_id].product_id,
                "quantity": units,
                "expires_at": expires_at,
            }
            for sku_id, units in sorted(held.items())
            if states[sku_id].tracked
        ]
        if rows:
            await self.uow.execute(insert(holds), rows)
        found = await self.get_checkout(checkout_id)
        assert found is not None
        return found

    async def get_checkout(self, checkout_id: int) -> Checkout | None:
        row = (await self.uow.execute(select(checkouts).where(checkouts.c.id == checkout_id))).first()
        if row is None:
            return None
        lines = await self.uow.execute(
            select(checkout_lines)
            .where(checkout_lines.c.checkout_id == checkout_id)
            .order_by(checkout_lines.c.id)
        )
        return Checkout(
            id=row.id,
            cart_id=row.cart_id,
            owner_key=row.owner_key,
            user_id=row.user_id,
            device_id=row.device_id,
            status=CheckoutStatus(row.status),
            total=Money(row.total_minor, row.currency),
            expires_at=row.expires_at,
            created_at=row.created_at,
            lines=tuple(
                CheckoutLine(
                    r.id,
                    r.checkout_id,
                    r.cart_line_id,
                    r.sku_id,
                    r.product_id,
                    r.merchant_id,
                    _post(r.post_id),
                    r.quantity,
                    Money(r.price_minor, r.currency),
                    r.added_at,
                )
                for r in lines
            ),
        )

    async def checkout_done(self, checkout: Checkout, now: datetime) -> None:
        """Completed: holds gone (the units are sold), the bought units leave the cart."""
        await self.uow.execute(delete(holds).where(holds.c.checkout_id == checkout.id))
        await self.uow.execute(
            update(checkouts)
            .where(checkouts.c.id == checkout.id)
            .values(status=CheckoutStatus.COMPLETED.value, completed_at=now)
        )
        for line in checkout.lines:
            await self.uow.execute(
                update(cart_lines)
                .where(cart_lines.c.id == line.cart_line_id)
                .values(quantity=cart_lines.c.quantity - line.quantity)
            )
        await self.uow.execute(
            delete(cart_lines).where(cart_lines.c.cart_id == checkout.cart_id, cart_lines.c.quantity <= 0)
        )

    # -- idempotent completion -------------------------------------------------------------------

    async def find_attempt(self, owner_key: str, key: str) -> Attempt | None:
        row = (
            await self.uow.execute(
                select(attempts).where(attempts.c.owner_key == owner_key, attempts.c.idempotency_key == key)
            )
        ).first()
        return _attempt(row) if row else None

    async def add_attempt(
        self,
        owner_key: str,
        key: str,
        request_hash: str,
        checkout_id: int,
        attempt_key: str,
        lease_until: datetime,
    ) -> Attempt | None:
        row = (
            await self.uow.execute(
                insert_if_absent(self.uow, attempts)
                .values(
                    owner_key=owner_key,
                    idempotency_key=key,
                    request_hash=request_hash,
                    checkout_id=checkout_id,
                    status=AttemptStatus.PROCESSING.value,
                    attempt_key=attempt_key,
                    order_ids=[],
                    lease_until=lease_until,
                    created_at=utcnow(),
                )
                .returning(*attempts.c)
            )
        ).first()
        return _attempt(row) if row else None

    async def extend_attempt(self, attempt_id: int, lease_until: datetime) -> Attempt:
        row = (
            await self.uow.execute(
                update(attempts)
                .where(attempts.c.id == attempt_id)
                .values(lease_until=lease_until)
                .returning(*attempts.c)
            )
        ).one()
        return _attempt(row)

    async def finish_attempt(self, attempt_id: int, order_ids: Sequence[int]) -> None:
        await self.uow.execute(
            update(attempts)
            .where(attempts.c.id == attempt_id)
            .values(status=AttemptStatus.COMPLETED.value, order_ids=list(order_ids))
        )

    async def delete_attempt(self, attempt_id: int) -> None:
        await self.uow.execute(delete(attempts).where(attempts.c.id == attempt_id))

    # -- payments and orders ---------------------------------------------------------------------

    async def add_payment(self, checkout_id: int, gateway: str, reference: str, amount: Money) -> int:
        return int(
            (
                await self.uow.execute(
                    insert(payments)
                    .values(
                        checkout_id=checkout_id,
                        gateway=gateway,
                        reference=reference,
                        status="CAPTURED",
                        currency=amount.currency,
                        amount_minor=amount.amount_minor,
                        captured_minor=amount.amount_minor,
                        created_at=utcnow(),
                    )
                    .returning(payments.c.id)
                )
            ).scalar_one()
        )

    async def get_payment(self, payment_id: int) -> Payment:
        r = (await self.uow.execute(select(payments).where(payments.c.id == payment_id))).one()
        return Payment(
            r.id,
            r.checkout_id,
            r.gateway,
            r.reference,
            Money(r.amount_minor, r.currency),
            r.captured_minor,
            r.refunded_minor,
        )

    async def add_refunded(self, payment_id: int, order_id: int, amount: Money) -> None:
        await self.uow.execute(
            update(payments)
            .where(payments.c.id == payment_id)
            .values(refunded_minor=payments.c.refunded_minor + amount.amount_minor)
        )

    async def next_order_number(self, merchant_id: int) -> int:
        """Increment-and-read in one statement: the row lock makes numbers unique and gapless."""
        return int(
            (
                await self.uow.execute(
                    update(merchants)
                    .where(merchants.c.id == merchant_id)
                    .values(order_sequence=merchants.c.order_sequence + 1)
                    .returning(merchants.c.order_sequence)
                )
            ).scalar_one()
        )

    async def add_order(
        self,
        merchant_id: int,
        number: int,
        checkout: Checkout,
        payment_id: int,
        total: Money,
        lines: Sequence[NewOrderLine],
        now: datetime,
    ) -> Order:
        row = (
            await self.uow.execute(
                insert(orders)
                .values(
                    merchant_id=merchant_id,
                    number=number,
                    checkout_id=checkout.id,
                    payment_id=payment_id,
                    user_id=checkout.user_id,
                    device_id=checkout.device_id,
                    status=OrderStatus.OPEN.value,
                    financial_status=FinancialStatus.PAID.value,
                    fulfillment_status=FulfillmentStatus.UNFULFILLED.value,
                    currency=total.currency,
                    total_minor=total.amount_minor,
                    refunded_minor=0,
                    created_at=now,
                    updated_at=now,
                )
                .returning(*orders.c)
            )
        ).one()
        await self.uow.execute(
            insert(order_lines),
            [
                {
                    "order_id": row.id,
                    "sku_id": line.sku_id,
                    "product_id": line.product_id,
                    "sku_code": line.sku_code,
                    "title": line.title[:512],
                    "quantity": line.quantity,
                    "price_minor": line.price.amount_minor,
                    "currency": line.price.currency,
                    "fulfilled_quantity": 0,
                    "refunded_quantity": 0,
                    "attributed_creator_id": line.attributed_creator_id,
                    "attributed_post_id": line.attributed_post_id,
                    "attributed_at": line.attributed_at,
                    "commission_rate_bps": line.commission_rate_bps,
                }
                for line in lines
            ],
        )
        return _order(row)

    async def get_orders(self, order_ids: Sequence[int]) -> list[Order]:
        if not order_ids:
            return []
        rows = await self.uow.execute(select(orders).where(orders.c.id.in_(list(order_ids))))
        found = {r.id: _order(r) for r in rows}
        return [found[i] for i in order_ids if i in found]

    async def lines_of_orders(self, order_ids: Sequence[int]) -> list[OrderLine]:
        if not order_ids:
            return []
        rows = await self.uow.execute(
            select(order_lines).where(order_lines.c.order_id.in_(list(order_ids))).order_by(order_lines.c.id)
        )
        return [_order_line(r) for r in rows]

    async def list_orders(
        self,
        page: PageRequest,
        *,
        user_id: int | None = None,
        merchant_id: int | None = None,
        status: OrderStatus | None = None,
        updated_since: datetime | None = None,
    ) -> Page[Order]:
        query = select(orders)
        if user_id is not None:
            query = query.where(orders.c.user_id == user_id)
        if merchant_id is not None:
            query = query.where(orders.c.merchant_id == merchant_id)
        if status is not None:
            query = query.where(orders.c.status == status.value)
        if updated_since is not None:
            # Polling: oldest change first, so a client can resume from the last `updatedAt` it saw.
            query = query.where(orders.c.updated_at >= updated_since)
            if page.after is not None:
                moment, row_id = from_micros(page.after[0]), int(page.after[1])
                query = query.where(
                    or_(
                        orders.c.updated_at > moment,
                        and_(orders.c.updated_at == moment, orders.c.id > row_id),
                    )
                )
            rows = await self.uow.execute(
                query.order_by(orders.c.updated_at, orders.c.id).limit(page.first + 1)
            )
            found = [_order(r) for r in rows]
            return page_from_rows(found, page, lambda o: (micros(o.updated_at), o.id))
        if page.after is not None:
            query = query.where(_newest_first_after(page.after))
        rows = await self.uow.execute(
            query.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(page.first + 1)
        )
        return page_from_rows([_order(r) for r in rows], page, lambda o: (micros(o.created_at), o.id))

    async def lock_order(self, order_id: int) -> None:
        await self._lock(orders, [order_id])

    async def update_order(
        self,
        order_id: int,
        status: OrderStatus,
        financial: FinancialStatus,
        fulfillment: FulfillmentStatus,
        refunded_minor: int,
        cancel_reason: str | None,
        now: datetime,
    ) -> None:
        await self.uow.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(
                status=status.value,
                financial_status=financial.value,
                fulfillment_status=fulfillment.value,
                refunded_minor=refunded_minor,
                cancel_reason=cancel_reason,
                updated_at=now,
            )
        )

    async def set_line_counts(self, line_id: int, *, fulfilled: int, refunded: int) -> None:
        await self.uow.execute(
            update(order_lines)
            .where(order_lines.c.id == line_id)
            .values(fulfilled_quantity=fulfilled, refunded_quantity=refunded)
        )

    async def claim_device_orders(self, device_id: str, user_id: int) -> None:
        await self.uow.execute(
            update(orders)
            .where(orders.c.device_id == device_id, orders.c.user_id.is_(None))
            .values(user_id=user_id)
        )

    async def record_purchases(self, user_id: int, lines: Sequence[tuple[int, int]], now: datetime) -> None:
        if not lines:
            return
        await self.uow.execute(
            insert_if_absent(self.uow, events),
            [
                {
                    # '#' never appears in a client's event id, so a client cannot collide with these.
                    "event_id": f"#order-line-{line_id}",
                    "actor_key": f"u:{user_id}",
                    "user_id": user_id,
                    "device_id": None,
                    "type": ORDERED,
                    "subject_type": "Product",
                    "subject_id": product_id,
                    "channel": "OTHER",
                    "position": None,
                    "occurred_at": now,
                    "received_at": now,
                }
                for line_id, product_id in lines
            ],
        )

    async def purchased_product_ids(self, user_id: int, since: datetime) -> set[int]:
        rows = await self.uow.execute(purchased_products(user_id, since).distinct())
        return {r[0] for r in rows}

    # -- attribution -----------------------------------------------------------------------------

    async def live_post_creators(self, post_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        if not post_ids:
            return {}
        rows = await self.uow.execute(
            select(posts.c.id, creators.c.id.label("creator_id"), creators.c.user_id)
            .join(creators, creators.c.id == posts.c.creator_id)
            .where(posts.c.id.in_(list(post_ids)), posts.c.deleted_at.is_(None))
        )
        return {r.id: (r.creator_id, r.user_id) for r in rows}

    async def recent_clicks(self, owner: Owner, product_ids: Sequence[int], since: datetime) -> list[Touch]:
        """Clicks on live posts tagging these products, and adds to cart from them, newest first."""
        if not product_ids:
            return []
        who = (
            events.c.user_id == owner.user_id
            if owner.user_id is not None
            else events.c.actor_key == owner.key
        )
        clicks = (
            select(
                events.c.subject_id.label("post_id"),
                tags.c.product_id,
                events.c.occurred_at.label("at"),
            )
            .join(tags, tags.c.post_id == events.c.subject_id)
            .where(
                who,
                events.c.type == EventType.CLICK.value,
                events.c.subject_type == "Post",
                events.c.occurred_at >= since,
                tags.c.product_id.in_(list(product_ids)),
            )
        )
        who_added = (
            touches.c.user_id == owner.user_id
            if owner.user_id is not None
            else touches.c.actor_key == owner.key
        )
        added = select(touches.c.post_id, touches.c.product_id, touches.c.created_at.label("at")).where(
            who_added, touches.c.created_at >= since, touches.c.product_id.in_(list(product_ids))
        )
        both = clicks.union_all(added).subquery()
        rows = await self.uow.execute(
            select(
                both.c.post_id,
                both.c.product_id,
                both.c.at,
                creators.c.id.label("creator_id"),
                creators.c.user_id,
            )
            .join(posts, posts.c.id == both.c.post_id)
            .join(creators, creators.c.id == posts.c.creator_id)
            .where(posts.c.deleted_at.is_(None), posts.c.status == PostStatus.PUBLISHED.value)
            .order_by(both.c.at.desc(), both.c.post_id.desc())
            .limit(500)
        )
        return [Touch(r.post_id, r.creator_id, r.user_id, r.product_id, r.at) for r in rows]

    # -- commissions -----------------------------------------------------------------------------

    async def add_commissions(self, new: Sequence[NewCommission]) -> None:
        if not new:
            return
        await self.uow.execute(
            insert(commissions),
            [
                {
                    "creator_id": c.creator_id,
                    "order_id": c.order_id,
                    "order_line_id": c.order_line_id,
                    "post_id": c.post_id,
                    "status": CommissionStatus.PENDING.value,
                    "currency": c.amount.currency,
                    "amount_minor": c.amount.amount_minor,
                    "rate_bps": c.rate_bps,
                    "locks_at": c.locks_at,
                    "created_at": utcnow(),
                }
                for c in new
            ],
        )

    async def commissions_of_lines(self, line_ids: Sequence[int]) -> list[Commission]:
        rows = await self.uow.execute(
            select(commissions)
            .where(commissions.c.order_line_id.in_(list(line_ids)))
            .order_by(commissions.c.id)
        )
        return [_commission(r) for r in rows]

    async def get_commissions(self, ids: Sequence[int]) -> list[Commission]:
        rows = await self.uow.execute(select(commissions).where(commissions.c.id.in_(list(ids))))
        return [_commission(r) for r in rows]

    async def set_commission_status(self, commission_id: int, status: CommissionStatus) -> None:
        await self.uow.execute(
            update(commissions).where(commissions.c.id == commission_id).values(status=status.value)
        )

    async def split_reversal(self, earned: Commission, amount_minor: int) -> None:
        await self.uow.execute(
            update(commissions)
            .where(commissions.c.id == earned.id)
            .values(amount_minor=commissions.c.amount_minor - amount_minor)
        )
        await self.uow.execute(
            insert(commissions).values(
                creator_id=earned.creator_id,
                order_id=earned.order_id,
                order_line_id=earned.order_line_id,
                post_id=earned.post_id,
                status=CommissionStatus.REVERSED.value,
                currency=earned.amount.currency,
                amount_minor=amount_minor,
                rate_bps=earned.rate_bps,
                locks_at=earned.locks_at,
                created_at=utcnow(),
            )
        )

    async def reverse_pending_of_order(self, order_id: int) -> None:
        await self.uow.execute(
            update(commissions)
            .where(commissions.c.order_id == order_id, commissions.c.status == CommissionStatus.PENDING.value)
            .values(status=CommissionStatus.REVERSED.value)
        )

    async def lock_due_commissions(self, now: datetime) -> int:
        result = await self.uow.execute(
            update(commissions)
            .where(commissions.c.status == CommissionStatus.PENDING.value, commissions.c.locks_at <= now)
            .values(status=CommissionStatus.LOCKED.value, locked_at=now)
        )
        return int(cast(CursorResult[Any], result).rowcount or 0)

    async def pay_locked(self, minimum_minor: int, now: datetime) -> int:
        due = await self._rows(
            select(
                commissions.c.creator_id,
                commissions.c.currency,
                func.sum(commissions.c.amount_minor),
                func.count(),
            )
            .where(commissions.c.status == CommissionStatus.LOCKED.value)
            .group_by(commissions.c.creator_id, commissions.c.currency)
            .having(func.sum(commissions.c.amount_minor) >= minimum_minor)
        )
        batches = 0
        for creator_id, currency, amount, count in due:
            payout_id = (
                await self.uow.execute(
                    insert(payouts)
                    .values(
                        creator_id=creator_id,
                        currency=currency,
                        amount_minor=int(amount),
                        commission_count=int(count),
                        created_at=now,
                    )
                    .returning(payouts.c.id)
                )
            ).scalar_one()
            await self.uow.execute(
                update(commissions)
                .where(
                    commissions.c.creator_id == creator_id,
                    commissions.c.currency == currency,
                    commissions.c.status == CommissionStatus.LOCKED.value,
                )
                .values(status=CommissionStatus.PAID.value, payout_id=payout_id)
            )
            batches += 1
        return batches

    async def commission_totals(self, creator_id: int) -> dict[CommissionStatus, list[Money]]:
        rows = await self._rows(
            select(commissions.c.status, commissions.c.currency, func.sum(commissions.c.amount_minor))
            .where(commissions.c.creator_id == creator_id)
            .group_by(commissions.c.status, commissions.c.currency)
        )
        totals: dict[CommissionStatus, list[Money]] = defaultdict(list)
        for status, currency, amount in rows:
            totals[CommissionStatus(status)].append(Money(int(amount), currency))
        return totals

    async def list_commissions(
        self, creator_id: int, statuses: Sequence[CommissionStatus], page: PageRequest
    ) -> Page[Commission]:
        query = select(commissions).where(commissions.c.creator_id == creator_id)
        if statuses:
            query = query.where(commissions.c.status.in_([s.value for s in statuses]))
        if page.after is not None:
            query = query.where(commissions.c.id < int(page.after[0]))
        rows = await self.uow.execute(query.order_by(commissions.c.id.desc()).limit(page.first + 1))
        return page_from_rows([_commission(r) for r in rows], page, lambda c: (c.id,))

    async def post_insights(self, post_ids: Sequence[int]) -> dict[int, PostInsights]:
        ids = list(post_ids)
        counts: dict[int, dict[str, int]] = {i: defaultdict(int) for i in ids}
        for post_id, kind, n in await self._rows(
            select(events.c.subject_id, events.c.type, func.count())
            .where(
                events.c.subject_type == "Post",
                events.c.subject_id.in_(ids),
                events.c.type.in_([EventType.IMPRESSION.value, EventType.CLICK.value]),
            )
            .group_by(events.c.subject_id, events.c.type)
        ):
            counts[post_id][kind] = int(n)
        for post_id, n in await self._rows(
            select(touches.c.post_id, func.count())
            .where(touches.c.post_id.in_(ids))
            .group_by(touches.c.post_id)
        ):
            counts[post_id]["ADD_TO_CART"] = int(n)
        revenue: dict[int, dict[str, int]] = {i: defaultdict(int) for i in ids}
        for post_id, n_orders, currency, amount in await self._rows(
            select(
                order_lines.c.attributed_post_id,
                func.count(func.distinct(order_lines.c.order_id)),
                order_lines.c.currency,
                func.sum(
                    order_lines.c.price_minor * (order_lines.c.quantity - order_lines.c.refunded_quantity)
                ),
            )
            .where(order_lines.c.attributed_post_id.in_(ids))
            .group_by(order_lines.c.attributed_post_id, order_lines.c.currency)
        ):
            counts[post_id]["ORDERS"] += int(n_orders)
            revenue[post_id][currency] += int(amount or 0)
        earned: dict[int, dict[str, int]] = {i: defaultdict(int) for i in ids}
        for post_id, currency, amount in await self._rows(
            select(commissions.c.post_id, commissions.c.currency, func.sum(commissions.c.amount_minor))
            .where(commissions.c.post_id.in_(ids), commissions.c.status != CommissionStatus.REVERSED.value)
            .group_by(commissions.c.post_id, commissions.c.currency)
        ):
            earned[post_id][currency] += int(amount or 0)
        return {
            i: PostInsights(
                impressions=counts[i][EventType.IMPRESSION.value],
                clicks=counts[i][EventType.CLICK.value],
                add_to_carts=counts[i]["ADD_TO_CART"],
                orders=counts[i]["ORDERS"],
                revenue=tuple(Money(a, c) for c, a in sorted(revenue[i].items())),
                commission=tuple(Money(a, c) for c, a in sorted(earned[i].items())),
            )
            for i in ids
        }

    # -- merchant settings -----------------------------------------------------------------------

    async def update_merchant(self, merchant_id: int, values: dict[str, int | str]) -> None:
        await self.uow.execute(update(merchants).where(merchants.c.id == merchant_id).values(**values))
