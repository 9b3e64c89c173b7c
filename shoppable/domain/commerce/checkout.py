"""Checkout: hold the stock, take the payment, place one order per merchant, exactly once.

`create_checkout` holds every unit of the cart for a while (shorter for anonymous carts). The stock
check counts units per SKU across the cart's lines (two lines of one SKU are checked together) and
runs with the SKUs' rows locked, so concurrent checkouts can never hold more than is on hand.

`complete_checkout` is idempotent per (owner, idempotencyKey), in three steps:
1. a short transaction claims the key (an attempt row), holding the stock first when given a cart;
2. the payment is authorized outside any transaction, with the attempt's own gateway key;
3. a second transaction places the orders, captures, and marks the attempt completed.
A call with a key already completed answers the same orders; a concurrent call with it waits for the
first one's answer; a retry after a crash (its lease run out) takes the attempt over with the same
gateway key, so the provider charges once. A declined or failed payment releases the holds and
forgets the attempt: no order, and the shopper may try again with another card.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce import attribution
from shoppable.domain.commerce.cart import owner_of
from shoppable.domain.commerce.limits import ATTEMPT_LEASE, IDEMPOTENCY_KEY_MAX, WAIT_FOR_ATTEMPT
from shoppable.domain.commerce.orders import place_orders
from shoppable.domain.commerce.payments import PaymentGateway, PaymentOutcome
from shoppable.domain.commerce.records import (
    Attempt,
    AttemptStatus,
    Cart,
    Checkout,
    CheckoutStatus,
    Order,
    Owner,
    SkuState,
)
from shoppable.domain.commerce.stock import lock_stock, refresh_availability
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity.actor import Actor

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


@dataclass(frozen=True)
class HoldDurations:
    signed_in: timedelta = timedelta(minutes=15)
    anonymous: timedelta = timedelta(minutes=5)


class CommerceServices(Protocol):
    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def holds(self) -> HoldDurations: ...

    def payment_gateway(self, name: str) -> PaymentGateway | None: ...


@dataclass(frozen=True)
class PaymentInput:
    gateway: str
    token: str


@dataclass(frozen=True)
class CompleteInput:
    idempotency_key: str
    payment: PaymentInput
    cart_id: int | None = None
    checkout_id: int | None = None


TOKEN_MAX = 255


def _units_per_sku(cart: Cart) -> dict[int, int]:
    units: dict[int, int] = defaultdict(int)
    for line in cart.lines:
        units[line.sku_id] += line.quantity
    return units


def _stock_errors(cart: Cart, states: dict[int, SkuState]) -> list[FieldError]:
    """Every line that cannot be bought as it is, at its path in the cart (`lines.<i>`)."""
    errors: list[FieldError] = []
    units = _units_per_sku(cart)
    reported: set[int] = set()
    for index, line in enumerate(cart.lines):
        state = states.get(line.sku_id)
        at = ("lines", index)
        if state is None or not state.sold:
            errors.append(FieldError((*at, "sku"), ErrorCode.INVALID, "This item is no longer sold."))
        elif (
            state.tracked
            and state.free is not None
            and units[line.sku_id] > state.free
            and line.sku_id not in reported
        ):
            left = max(state.free, 0)
            message = f"Only {left} left." if left else "This item is out of stock."
            errors.append(FieldError((*at, "quantity"), ErrorCode.INSUFFICIENT_STOCK, message))
            reported.add(line.sku_id)
    return errors


async def _hold(
    uow: UnitOfWork, owner: Owner, cart: Cart, services: CommerceServices, now: datetime
) -> Checkout:
    """Hold the cart's units in a new checkout (the caller is in a write transaction, cart locked)."""
    if not cart.lines:
        raise DomainError.single(("cartId",), ErrorCode.INVALID, "The cart is empty.")
    released = await uow.commerce.release_open_checkouts(cart.id)  # a new checkout replaces the old
    sku_ids = sorted({line.sku_id for line in cart.lines})
    await lock_stock(
        uow, {s.merchant_id for s in (await uow.commerce.sku_states(sku_ids, now)).values()}, sku_ids
    )
    states = await uow.commerce.sku_states(sku_ids, now)
    errors = _stock_errors(cart, states)
    currencies = {states[line.sku_id].price.currency for line in cart.lines if line.sku_id in states}
    if len(currencies) > 1:
        errors.append(
            FieldError(
                ("cartId",),
                ErrorCode.CURRENCY_MISMATCH,
                "One payment is in one currency: check out the items of each currency separately.",
            )
        )
    changed = [
        (line.id, states[line.sku_id].price)
        for line in cart.lines
        if line.sku_id in states and states[line.sku_id].price != line.price
    ]
    if changed and not errors:
        # The shopper must see the new price before paying: the cart now shows it, the call fails.
        await uow.commerce.set_line_prices(changed)
        await uow.commit()
        raise DomainError.single(
            ("cartId",),
            ErrorCode.PRICE_CHANGED,
            "Prices changed since the cart was shown; review the cart and check out again.",
        )
    if errors:
        if released:
            await refresh_availability(uow, released, now)
            await uow.commit()
        raise DomainError(*errors)
    lifetime = services.holds.signed_in if owner.user_id is not None else services.holds.anonymous
    total = sum(states[line.sku_id].price.amount_minor * line.quantity for line in cart.lines)
    checkout = await uow.commerce.add_checkout(
        cart,
        owner,
        Money(total, currencies.pop()),
        {sku_id: states[sku_id] for sku_id in sku_ids},
        now,
        now + lifetime,
    )
    await refresh_availability(uow, {*released, *(s.product_id for s in states.values())}, now)
    return checkout


async def create_checkout(
    uow: UnitOfWork, actor: Actor, cart_id: int, services: CommerceServices
) -> Checkout:
    owner = owner_of(actor)
    now = services.clock()
    await uow.begin_write()
    cart = await _owned_cart(uow, owner, cart_id)
    checkout = await _hold(uow, owner, cart, services, now)
    await uow.commit()
    return checkout


async def _owned_cart(uow: UnitOfWork, owner: Owner, cart_id: int) -> Cart:
    cart = await uow.commerce.get_cart(cart_id)
    if cart is None or cart.owner_key != owner.key:
        raise DomainError.single(("cartId",), ErrorCode.NOT_FOUND, "No such cart.")
    await uow.commerce.lock_cart(cart.id)
    return cart


def _request_hash(request: CompleteInput) -> str:
    subject = f"cart:{request.cart_id}" if request.cart_id is not None else f"checkout:{request.checkout_id}"
    return hashlib.sha256(subject.encode()).hexdigest()


def _validate(request: CompleteInput, services: CommerceServices) -> PaymentGateway:
    errors = []
    key = request.idempotency_key
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        errors.append(
            FieldError(
                ("idempotencyKey",),
                ErrorCode.INVALID,
                f"Use 1-{IDEMPOTENCY_KEY_MAX} printable ASCII characters, the same for every retry.",
            )
        )
    if (request.cart_id is None) == (request.checkout_id is None):
        errors.append(FieldError(("cartId",), ErrorCode.INVALID, "Give exactly one of cartId or checkoutId."))
    token = request.payment.token
    if not token or len(token) > TOKEN_MAX or not token.isprintable():
        errors.append(FieldError(("payment", "token"), ErrorCode.INVALID, "A payment token is required."))
    gateway = services.payment_gateway(request.payment.gateway)
    if gateway is None:
        errors.append(FieldError(("payment", "gateway"), ErrorCode.INVALID, "Unknown payment gateway."))
    if errors:
        raise DomainError(*errors)
    assert gateway is not None
    return gateway


async def _claim(
    uow: UnitOfWork, owner: Owner, request: CompleteInput, services: CommerceServices
) -> tuple[Attempt, Checkout] | list[int]:
    """Step 1: the attempt this call works on (with its checkout), or the order ids already placed."""
    digest = _request_hash(request)
    deadline = services.clock() + WAIT_FOR_ATTEMPT
    while True:
        now = services.clock()
        await uow.begin_write()
        if request.cart_id is not None:
            cart = await _owned_cart(uow, owner, request.cart_id)
        else:
            assert request.checkout_id is not None
            found = await uow.commerce.get_checkout(request.checkout_id)
            if found is None or found.owner_key != owner.key:
                raise DomainError.single(("checkoutId",), ErrorCode.NOT_FOUND, "No such checkout.")
            await uow.commerce.lock_cart(found.cart_id)
        attempt = await uow.commerce.find_attempt(owner.key, request.idempotency_key)
        if attempt is not None:
            if attempt.request_hash != digest:
                raise DomainError.single(
                    ("idempotencyKey",),
                    ErrorCode.CONFLICT,
                    "This idempotencyKey was used for another cart or checkout.",
                )
            if attempt.status is AttemptStatus.COMPLETED:
                await uow.rollback()
                return list(attempt.order_ids)
            if attempt.lease_until > now:  # another call is paying right now: wait for its answer
                await uow.rollback()
                if now >= deadline:
                    raise DomainError.single(
                        ("idempotencyKey",), ErrorCode.CONFLICT, "Still processing: retry with the same key."
                    )
                await asyncio.sleep(0.05)
                continue
            # Its caller crashed or timed out: take it over with the same gateway key.
            attempt = await uow.commerce.extend_attempt(attempt.id, now + ATTEMPT_LEASE)
            checkout = await uow.commerce.get_checkout(attempt.checkout_id)
            assert checkout is not None
            await uow.commit()
            return attempt, checkout
        if request.cart_id is not None:
            checkout = await _hold(uow, owner, cart, services, now)
        else:
            assert found is not None
            checkout = found
            if checkout.status is CheckoutStatus.COMPLETED:
                raise DomainError.single(
                    ("checkoutId",), ErrorCode.CONFLICT, "This checkout was completed with another key."
                )
            if checkout.status is not CheckoutStatus.OPEN or checkout.expires_at <= now:
                raise DomainError.single(
                    ("checkoutId",), ErrorCode.EXPIRED, "This checkout expired: create a new one."
                )
        claimed = await uow.commerce.add_attempt(
            owner.key,
            request.idempotency_key,
            digest,
            checkout.id,
            secrets.token_hex(16),
            now + ATTEMPT_LEASE,
        )
        if claimed is None:  # a concurrent call claimed the key first: read its attempt again
            await uow.rollback()
            continue
        await uow.commit()
        return claimed, checkout


async def _give_up(uow: UnitOfWork, attempt: Attempt, checkout: Checkout, now: datetime) -> None:
    await uow.begin_write()
    current = await uow.commerce.find_attempt(attempt.owner_key, attempt.idempotency_key)
    if (
        current is None
        or current.attempt_key != attempt.attempt_key
        or current.status is not AttemptStatus.PROCESSING
    ):
        await uow.rollback()
        return
    await uow.commerce.release_checkout(checkout.id)
    await uow.commerce.delete_attempt(attempt.id)
    await refresh_availability(uow, {line.product_id for line in checkout.lines}, now)
    await uow.commit()


async def complete_checkout(
    uow: UnitOfWork, actor: Actor, request: CompleteInput, services: CommerceServices
) -> list[Order]:
    owner = owner_of(actor)
    gateway = _validate(request, services)
    claimed = await _claim(uow, owner, request, services)
    if isinstance(claimed, list):
        return await uow.commerce.get_orders(claimed)
    attempt, checkout = claimed

    authorization = await gateway.authorize(
        checkout.total, request.payment.token, idempotency_key=attempt.attempt_key
    )
    if authorization.outcome is not PaymentOutcome.AUTHORIZED or authorization.reference is None:
        await _give_up(uow, attempt, checkout, services.clock())
        code = (
            ErrorCode.PAYMENT_FAILED
            if authorization.outcome is PaymentOutcome.FAILED
            else ErrorCode.PAYMENT_DECLINED
        )
        raise DomainError.single(("payment", "token"), code, authorization.message)

    now = services.clock()
    await uow.begin_write()
    await uow.commerce.lock_cart(checkout.cart_id)
    current = await uow.commerce.find_attempt(owner.key, request.idempotency_key)
    if current is not None and current.status is AttemptStatus.COMPLETED:
        await uow.rollback()  # another call took over and finished: its orders are the answer
        return await uow.commerce.get_orders(list(current.order_ids))
    if current is None or current.attempt_key != attempt.attempt_key:
        await uow.rollback()
        raise DomainError.single(("idempotencyKey",), ErrorCode.CONFLICT, "Retry with the same key.")
    sku_ids = sorted({line.sku_id for line in checkout.lines})
    await lock_stock(uow, {line.merchant_id for line in checkout.lines}, sku_ids)
    states = await uow.commerce.sku_states(sku_ids, now, excluding_checkout=checkout.id)
    short = [
        sku_id
        for sku_id, units in _units_of(checkout).items()
        if states.get(sku_id) is None
        or not states[sku_id].sold
        or (states[sku_id].tracked and (states[sku_id].free or 0) < units)
    ]
    if short:  # the holds ran out while paying, and the units went to someone else
        await uow.rollback()
        await gateway.void(authorization.reference, idempotency_key=f"{attempt.attempt_key}:void")
        await _give_up(uow, attempt, checkout, now)
        raise DomainError.single(
            ("checkoutId" if request.checkout_id is not None else "cartId",),
            ErrorCode.INSUFFICIENT_STOCK,
            "The hold expired and the stock is gone; review the cart.",
        )
    touches = await attribution.touches_for(uow, owner, checkout, now)
    orders = await place_orders(
        uow,
        owner,
        checkout,
        gateway.name,
        authorization.reference,
        states,
        touches,
        now,
        record_events=actor.analytics_consent or actor.personalization_consent,
    )
    await refresh_availability(uow, {line.product_id for line in checkout.lines}, now)
    await uow.commerce.finish_attempt(attempt.id, [order.id for order in orders])
    await gateway.capture(
        authorization.reference, checkout.total, idempotency_key=f"{attempt.attempt_key}:capture"
    )
    await uow.commit()
    return orders


def _units_of(checkout: Checkout) -> dict[int, int]:
    units: dict[int, int] = defaultdict(int)
    for line in checkout.lines:
        units[line.sku_id] += line.quantity
    return units
