"""Commerce mutations: the cart, checkout, the merchant's order operations and shop settings."""

from __future__ import annotations

import strawberry

from shoppable.domain.commerce import cart, checkout, merchants, orders
from shoppable.domain.commerce.cart import CartView
from shoppable.domain.errors import DomainError, FieldError
from shoppable.graphql.catalog.types import Merchant
from shoppable.graphql.commerce.types import Cart, Checkout, MerchantSettings, Order
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.core.ids import decode_input_id


def _ids(values: list[strawberry.ID], type_name: str, field: str) -> list[int]:
    """Decode every id, reporting each malformed one at its index."""
    found: list[int] = []
    errors: list[FieldError] = []
    for index, value in enumerate(values):
        try:
            found.append(decode_input_id(value, type_name, (field, index)))
        except DomainError as exc:
            errors.extend(exc.errors)
    if errors:
        raise DomainError(*errors)
    return found


@strawberry.input
class CartLineInput:
    sku_id: strawberry.ID
    quantity: int
    post_id: strawberry.ID | None = strawberry.field(
        default=None, description="The post whose product tag was tapped: credits its creator."
    )


@strawberry.input
class CartAddLinesInput:
    lines: list[CartLineInput]


@strawberry.input
class CartLineUpdateInput:
    line_id: strawberry.ID
    quantity: int = strawberry.field(description="0 removes the line.")


@strawberry.input
class CartUpdateLinesInput:
    lines: list[CartLineUpdateInput]


@strawberry.input
class CartRemoveLinesInput:
    line_ids: list[strawberry.ID]


@strawberry.input
class CheckoutCreateInput:
    cart_id: strawberry.ID


@strawberry.input
class PaymentInput:
    token: str = strawberry.field(
        description="`tok_visa`, `tok_chargeDeclined`, `tok_processingError` (test)."
    )
    gateway: str = "test"


@strawberry.input
class CheckoutCompleteInput:
    idempotency_key: str = strawberry.field(description="The same for every retry of this purchase.")
    payment: PaymentInput
    cart_id: strawberry.ID | None = None
    checkout_id: strawberry.ID | None = None


@strawberry.input
class UpdateMerchantInput:
    merchant_id: strawberry.ID
    name: str | None = None
    low_stock_threshold: int | None = None
    commission_rate: str | None = strawberry.field(default=None, description='A fraction: "0.10" is 10%.')
    return_window_days: int | None = None
    attribution_window_days: int | None = None
    language: str | None = strawberry.field(
        default=None,
        description='The catalog\'s language for search (ISO 639-1: "en", "sv", "nb", "da", "fi"…).',
    )


@strawberry.input
class OrderFulfillInput:
    order_id: strawberry.ID
    line_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Lines to mark shipped; all open lines when omitted."
    )


@strawberry.input
class OrderCancelInput:
    order_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class OrderRefundLineInput:
    line_id: strawberry.ID
    quantity: int


@strawberry.input
class OrderRefundInput:
    order_id: strawberry.ID
    lines: list[OrderRefundLineInput]


@strawberry.type
class CartPayload:
    cart: Cart | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, view: CartView) -> CartPayload:
        return cls(cart=Cart.of(view))


@strawberry.type
class CheckoutPayload:
    checkout: Checkout | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CheckoutCompletePayload:
    orders: list[Order] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateMerchantPayload:
    merchant: Merchant | None = None
    settings: MerchantSettings | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderPayload:
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CommerceMutations:
    @mutation(description="Add units to the caller's cart (signed in, or an `X-Device-Id` device).")
    async def cart_add_lines(self, info: Info, input: CartAddLinesInput) -> CartPayload:
        lines = [
            cart.LineInput(
                sku_id=decode_input_id(line.sku_id, "Sku", ("lines", index, "skuId")),
                quantity=line.quantity,
                post_id=(
                    None
                    if line.post_id is None
                    else decode_input_id(line.post_id, "Post", ("lines", index, "postId"))
                ),
            )
            for index, line in enumerate(input.lines)
        ]
        context = info.context
        return CartPayload.of(
            await cart.add_lines(context.uow, context.actor, lines, context.services.clock())
        )

    @mutation(description="Set quantities of cart lines; 0 removes a line.")
    async def cart_update_lines(self, info: Info, input: CartUpdateLinesInput) -> CartPayload:
        updates = [
            cart.LineUpdate(
                decode_input_id(line.line_id, "CartLine", ("lines", index, "lineId")), line.quantity
            )
            for index, line in enumerate(input.lines)
        ]
        context = info.context
        return CartPayload.of(
            await cart.update_lines(context.uow, context.actor, updates, context.services.clock())
        )

    @mutation()
    async def cart_remove_lines(self, info: Info, input: CartRemoveLinesInput) -> CartPayload:
        line_ids = _ids(input.line_ids, "CartLine", "lineIds")
        context = info.context
        return CartPayload.of(
            await cart.remove_lines(context.uow, context.actor, line_ids, context.services.clock())
        )

    @mutation(description="Hold the cart's stock until `expiresAt` (shorter for anonymous carts).")
    async def checkout_create(self, info: Info, input: CheckoutCreateInput) -> CheckoutPayload:
        cart_id = decode_input_id(input.cart_id, "Cart", ("cartId",))
        context = info.context
        created = await checkout.create_checkout(context.uow, context.actor, cart_id, context.services)
        return CheckoutPayload(checkout=Checkout.of(created))

    @mutation(
        description="Pay and place one order per merchant. Idempotent: the same `idempotencyKey` always "
        "answers the same orders and charges once."
    )
    async def checkout_complete(self, info: Info, input: CheckoutCompleteInput) -> CheckoutCompletePayload:
        request = checkout.CompleteInput(
            idempotency_key=input.idempotency_key,
            payment=checkout.PaymentInput(gateway=input.payment.gateway, token=input.payment.token),
            cart_id=None if input.cart_id is None else decode_input_id(input.cart_id, "Cart", ("cartId",)),
            checkout_id=(
                None
                if input.checkout_id is None
                else decode_input_id(input.checkout_id, "Checkout", ("checkoutId",))
            ),
        )
        context = info.context
        placed = await checkout.complete_checkout(context.uow, context.actor, request, context.services)
        return CheckoutCompletePayload(orders=[Order.of(order) for order in placed])

    @mutation(description="Shop settings, for the merchant's people and keys.")
    async def update_merchant(self, info: Info, input: UpdateMerchantInput) -> UpdateMerchantPayload:
        merchant_id = decode_input_id(input.merchant_id, "Merchant", ("merchantId",))
        changes = merchants.MerchantChanges(
            name=input.name,
            low_stock_threshold=input.low_stock_threshold,
            commission_rate=input.commission_rate,
            return_window_days=input.return_window_days,
            attribution_window_days=input.attribution_window_days,
            language=input.language,
        )
        updated = await merchants.update_merchant(info.context.uow, info.context.actor, merchant_id, changes)
        return UpdateMerchantPayload(merchant=Merchant.of(updated), settings=MerchantSettings.of(updated))

    @mutation(description="Mark lines shipped (merchant side).")
    async def order_fulfill(self, info: Info, input: OrderFulfillInput) -> OrderPayload:
        order_id = decode_input_id(input.order_id, "Order", ("orderId",))
        line_ids = None if input.line_ids is None else _ids(input.line_ids, "OrderLine", "lineIds")
        context = info.context
        done = await orders.fulfill(context.uow, context.actor, order_id, line_ids, context.services.clock())
        return OrderPayload(order=Order.of(done))

    @mutation(description="Cancel an unshipped order: stock back, payment refunded (merchant side).")
    async def order_cancel(self, info: Info, input: OrderCancelInput) -> OrderPayload:
        order_id = decode_input_id(input.order_id, "Order", ("orderId",))
        context = info.context
        done = await orders.cancel(
            context.uow, context.actor, order_id, input.reason, context.services, context.services.clock()
        )
        return OrderPayload(order=Order.of(done))

    @mutation(description="Refund units of lines through the payment gateway (merchant side).")
    async def order_refund(self, info: Info, input: OrderRefundInput) -> OrderPayload:
        order_id = decode_input_id(input.order_id, "Order", ("orderId",))
        wanted = [
            orders.RefundLine(
                decode_input_id(line.line_id, "OrderLine", ("lines", index, "lineId")), line.quantity
            )
            for index, line in enumerate(input.lines)
        ]
        context = info.context
        done = await orders.refund(
            context.uow, context.actor, order_id, wanted, context.services, context.services.clock()
        )
        return OrderPayload(order=Order.of(done))
