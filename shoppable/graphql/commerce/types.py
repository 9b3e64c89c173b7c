"""GraphQL types of commerce: carts, checkouts, orders, commissions and a merchant's shop settings."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shoppable.domain.catalog.money import Money as MoneyRecord
from shoppable.domain.commerce import cart as cart_operations
from shoppable.domain.commerce import commissions as commission_operations
from shoppable.domain.commerce import records
from shoppable.domain.commerce.cart import CartView, owner_of
from shoppable.domain.commerce.orders import can_see_order
from shoppable.domain.commerce.records import format_rate, order_number
from shoppable.domain.errors import DomainError
from shoppable.domain.identity import policy
from shoppable.domain.identity.records import Merchant as MerchantRecord
from shoppable.graphql.catalog.types import Merchant, Money, Sku
from shoppable.graphql.content.types import Creator, Post
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.dataloader import now_or_later
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type

CartWarningCode = strawberry.enum(records.CartWarningCode, name="CartWarningCode")
OrderStatus = strawberry.enum(records.OrderStatus, name="OrderStatus")
FinancialStatus = strawberry.enum(records.FinancialStatus, name="FinancialStatus")
FulfillmentStatus = strawberry.enum(records.FulfillmentStatus, name="FulfillmentStatus")
CommissionStatus = strawberry.enum(records.CommissionStatus, name="CommissionStatus")


def _monies(values: tuple[MoneyRecord, ...] | list[MoneyRecord]) -> list[Money]:
    return [Money.of(m) for m in values]


async def _sku(info: Info, sku_id: int) -> Sku:
    found = await info.context.loaders.catalog.sku_by_id.load(sku_id)
    if found is None:  # SKUs are archived with their product, never deleted while lines name them
        raise RuntimeError(f"SKU {sku_id} is gone")
    return Sku.of(found)


async def _visible_post(info: Info, post_id: int | None) -> Post | None:
    """The post, if this caller may see it (a deleted or unpublished post reads as null)."""
    if post_id is None:
        return None
    post = await info.context.loaders.content.post_by_id.load(post_id)
    if post is None:
        return None
    creator = await info.context.loaders.content.creator_by_id.load(post.creator_id)
    if creator is None or not policy.can_see_post(
        info.context.actor, creator.user_id, post.status, post.deleted_at is not None
    ):
        return None
    return Post.of(post)


@strawberry.type
class CartLine:
    id: strawberry.ID
    quantity: int
    price: Money = strawberry.field(description="Today's price of one unit.")
    sku_id: strawberry.Private[int]
    post_id: strawberry.Private[int | None]

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        return await _sku(info, self.sku_id)

    @strawberry.field(description="The post whose product tag the line was added from.")
    async def attributed_post(self, info: Info) -> Post | None:
        return await _visible_post(info, self.post_id)


@strawberry.type
class CartWarning:
    line_id: strawberry.ID
    code: CartWarningCode  # type: ignore[valid-type]  # strawberry enums are values
    message: str


@strawberry.type
class Cart(Node):
    lines: list[CartLine]
    subtotal: list[Money] = strawberry.field(description="One subtotal per currency, at today's prices.")
    warnings: list[CartWarning] = strawberry.field(
        description="What changed since the shopper last saw the cart: checkout refuses until they have."
    )

    @classmethod
    def of(cls, view: CartView) -> Cart:
        return cls(
            id=strawberry.ID(encode_id("Cart", view.cart.id)),
            lines=[
                CartLine(
                    id=strawberry.ID(encode_id("CartLine", line.id)),
                    quantity=line.quantity,
                    price=Money.of(view.prices[line.id]),
                    sku_id=line.sku_id,
                    post_id=line.post_id,
                )
                for line in view.cart.lines
            ],
            subtotal=_monies(view.subtotals),
            warnings=[
                CartWarning(
                    line_id=strawberry.ID(encode_id("CartLine", w.line_id)), code=w.code, message=w.message
                )
                for w in view.warnings
            ],
        )


@strawberry.type
class Checkout(Node):
    expires_at: datetime = strawberry.field(description="Stock is held until then.")
    lines: list[CartLine]
    totals: list[Money]

    @classmethod
    def of(cls, checkout: records.Checkout) -> Checkout:
        return cls(
            id=strawberry.ID(encode_id("Checkout", checkout.id)),
            expires_at=checkout.expires_at,
            lines=[
                CartLine(
                    id=strawberry.ID(encode_id("CartLine", line.cart_line_id)),
                    quantity=line.quantity,
                    price=Money.of(line.price),
                    sku_id=line.sku_id,
                    post_id=line.post_id,
                )
                for line in checkout.lines
            ],
            totals=[Money.of(checkout.total)],
        )


@strawberry.type
class OrderLine:
    id: strawberry.ID
    title: str
    sku_code: str
    quantity: int
    price: Money = strawberry.field(description="Paid per unit, in the order's currency.")
    fulfilled_quantity: int
    refunded_quantity: int
    record: strawberry.Private[records.OrderLine]

    @classmethod
    def of(cls, line: records.OrderLine) -> OrderLine:
        return cls(
            id=strawberry.ID(encode_id("OrderLine", line.id)),
            title=line.title,
            sku_code=line.sku_code,
            quantity=line.quantity,
            price=Money.of(line.price),
            fulfilled_quantity=line.fulfilled_quantity,
            refunded_quantity=line.refunded_quantity,
            record=line,
        )

    @strawberry.field
    async def sku(self, info: Info) -> Sku:
        return await _sku(info, self.record.sku_id)

    @strawberry.field(description="The creator credited with the sale (null when none).")
    async def attributed_creator(self, info: Info) -> Creator | None:
        if self.record.attributed_creator_id is None:
            return None
        found = await info.context.loaders.content.creator_by_id.load(self.record.attributed_creator_id)
        return Creator.of(found) if found else None

    @strawberry.field
    async def attributed_post(self, info: Info) -> Post | None:
        return await _visible_post(info, self.record.attributed_post_id)


@strawberry.type
class Order(Node):
    number: str = strawberry.field(description="Human-readable, per merchant: #1001, #1002, ...")
    status: OrderStatus  # type: ignore[valid-type]  # strawberry enums are values
    financial_status: FinancialStatus  # type: ignore[valid-type]
    fulfillment_status: FulfillmentStatus  # type: ignore[valid-type]
    total: Money
    refunded: Money
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    record: strawberry.Private[records.Order]

    @classmethod
    def of(cls, order: records.Order) -> Order:
        return cls(
            id=strawberry.ID(encode_id("Order", order.id)),
            number=order_number(order.number),
            status=order.status,
            financial_status=order.financial_status,
            fulfillment_status=order.fulfillment_status,
            total=Money.of(order.total),
            refunded=Money.of(MoneyRecord(order.refunded_minor, order.total.currency)),
            cancel_reason=order.cancel_reason or None,
            created_at=order.created_at,
            updated_at=order.updated_at,
            record=order,
        )

    @strawberry.field
    def lines(self, info: Info) -> list[OrderLine]:
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.commerce.lines_by_order_id,
            self.record.id,
            lambda lines: [OrderLine.of(line) for line in lines],
        )

    @strawberry.field
    def merchant(self, info: Info) -> Merchant:
        def build(found: MerchantRecord | None) -> Merchant:
            if found is None:
                raise RuntimeError(f"order {self.record.id} has no merchant")
            return Merchant.of(found)

        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.catalog.merchant_by_id, self.record.merchant_id, build
        )


@strawberry.type
class Commission(Node):
    amount: Money
    rate: str = strawberry.field(description='The rate applied to the price paid, e.g. "0.10".')
    status: CommissionStatus  # type: ignore[valid-type]  # strawberry enums are values
    created_at: datetime
    locks_at: datetime = strawberry.field(description="When the return window closes (PENDING until then).")
    locked_at: datetime | None
    record: strawberry.Private[records.Commission]

    @classmethod
    def of(cls, commission: records.Commission) -> Commission:
        return cls(
            id=strawberry.ID(encode_id("Commission", commission.id)),
            amount=Money.of(commission.amount),
            rate=format_rate(commission.rate_bps),
            status=commission.status,
            created_at=commission.created_at,
            locks_at=commission.locks_at,
            locked_at=commission.locked_at,
            record=commission,
        )

    @strawberry.field(
        description="The order, for those who may see it (its buyer, merchant and admins); null for the creator."
    )
    async def order(self, info: Info) -> Order | None:
        # The order holds the buyer's whole basket, not only the line the creator is credited for.
        found = await info.context.loaders.commerce.order_by_id.load(self.record.order_id)
        return Order.of(found) if found and can_see_order(info.context.actor, found) else None

    @strawberry.field
    async def post(self, info: Info) -> Post | None:
        return await _visible_post(info, self.record.post_id)


@strawberry.type
class PostInsights:
    impressions: int
    clicks: int
    add_to_carts: int
    orders: int
    revenue: list[Money] = strawberry.field(description="Attributed sales after refunds, per currency.")
    commission: list[Money] = strawberry.field(description="Commission earned, not reversed, per currency.")

    @classmethod
    def of(cls, insights: records.PostInsights) -> PostInsights:
        return cls(
            impressions=insights.impressions,
            clicks=insights.clicks,
            add_to_carts=insights.add_to_carts,
            orders=insights.orders,
            revenue=_monies(insights.revenue),
            commission=_monies(insights.commission),
        )


@strawberry.type
class MerchantSettings:
    currency: str
    low_stock_threshold: int
    commission_rate: str = strawberry.field(description='Creators\' commission, a fraction: "0.10" is 10%.')
    return_window_days: int
    attribution_window_days: int
    language: str = strawberry.field(description="The catalog's language: how search stems its words.")

    @classmethod
    def of(cls, merchant: MerchantRecord) -> MerchantSettings:
        return cls(
            currency=merchant.currency,
            low_stock_threshold=merchant.low_stock_threshold,
            commission_rate=format_rate(merchant.commission_rate_bps),
            return_window_days=merchant.return_window_days,
            attribution_window_days=merchant.attribution_window_days,
            language=merchant.language,
        )


@strawberry.type
class Earnings:
    pending: list[Money]
    locked: list[Money]
    paid: list[Money]
    reversed: list[Money]
    creator_id: strawberry.Private[int]

    @classmethod
    def of(cls, creator_id: int, totals: records.Earnings) -> Earnings:
        return cls(
            pending=_monies(totals.pending),
            locked=_monies(totals.locked),
            paid=_monies(totals.paid),
            reversed=_monies(totals.reversed),
            creator_id=creator_id,
        )

    @strawberry.field(description="Newest first; all statuses unless `status` names some.")
    async def commissions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[CommissionStatus] | None = None,  # type: ignore[valid-type]
    ) -> Connection[Commission]:
        request = page_request(info.context.cursors, "commissions", first, after)
        page = await commission_operations.list_commissions(
            info.context.uow, self.creator_id, [records.CommissionStatus(s) for s in status or []], request
        )
        return connection(
            info.context.cursors, "commissions", page, Commission.of, had_cursor=after is not None
        )


@node_type("Order")
async def _order_node(info: Info, pk: int) -> Order | None:
    found = await info.context.loaders.commerce.order_by_id.load(pk)
    return Order.of(found) if found and can_see_order(info.context.actor, found) else None


@node_type("Checkout")
async def _checkout_node(info: Info, pk: int) -> Checkout | None:
    found = await info.context.uow.commerce.get_checkout(pk)
    if found is None:
        return None
    try:
        owner = owner_of(info.context.actor)
    except DomainError:
        return None
    return Checkout.of(found) if found.owner_key == owner.key else None


@node_type("Cart")
async def _cart_node(info: Info, pk: int) -> Cart | None:
    found = await info.context.uow.commerce.get_cart(pk)
    if found is None:
        return None
    try:
        owner = owner_of(info.context.actor)
    except DomainError:
        return None
    if found.owner_key != owner.key:
        return None
    return Cart.of(await cart_operations.view(info.context.uow, found, info.context.services.clock()))
