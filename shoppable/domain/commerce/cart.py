"""The shopper's cart: lines by SKU and the post they came from, read against live prices and stock.

A cart belongs to a signed-in user or to an anonymous device (`X-Device-Id`); at log-in the device's
lines join the account's cart (`merge_device_cart`). Reading a cart never changes it: the warnings
say what moved since the shopper last saw it, and checkout refuses until they have seen it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.limits import MAX_CART_LINES, MAX_LINE_QUANTITY, MAX_LINES_PER_CALL
from shoppable.domain.commerce.records import (
    Cart,
    CartLine,
    CartWarning,
    CartWarningCode,
    Owner,
    SkuState,
)
from shoppable.domain.content.records import PostStatus
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


@dataclass(frozen=True)
class LineInput:
    sku_id: int
    quantity: int
    post_id: int | None = None


@dataclass(frozen=True)
class LineUpdate:
    line_id: int
    quantity: int


@dataclass(frozen=True)
class CartView:
    """A cart as the shopper sees it now: each line at today's price, warnings, one subtotal per currency."""

    cart: Cart
    prices: dict[int, Money]  # line id -> the SKU's price now (the stored one when no longer sold)
    warnings: list[CartWarning]
    subtotals: list[Money]


def owner_of(actor: Actor) -> Owner:
    """The cart's owner: the signed-in user, else the anonymous device; API keys have no cart."""
    if actor.user_id is not None:
        return Owner(actor.user_id, None)
    if actor.api_key_id is None and actor.device_id:
        return Owner(None, actor.device_id)
    raise DomainError.single(
        (), ErrorCode.UNAUTHENTICATED, "Sign in, or send an X-Device-Id header, to have a cart."
    )


def empty_cart(owner: Owner) -> Cart:
    """A cart not yet written (id 0): nobody has added anything."""
    return Cart(0, owner.key, owner.user_id, owner.device_id, ())


def warnings_for(cart: Cart, states: dict[int, SkuState]) -> list[CartWarning]:
    """What changed since each line was last shown. Lines of one SKU share its free units, in order."""
    found: list[CartWarning] = []
    left: dict[int, int | None] = {}
    for line in cart.lines:
        state = states.get(line.sku_id)
        if state is None or not state.sold:
            found.append(CartWarning(line.id, CartWarningCode.NO_LONGER_SOLD, "This item is no longer sold."))
            continue
        if state.price != line.price:
            found.append(
                CartWarning(
                    line.id,
                    CartWarningCode.PRICE_CHANGED,
                    f"The price changed from {line.price} to {state.price}.",
                )
            )
        free = left.get(line.sku_id, state.free) if state.tracked else None
        if free is None:
            continue
        if free <= 0:
            found.append(CartWarning(line.id, CartWarningCode.OUT_OF_STOCK, "This item is out of stock."))
        elif free < line.quantity:
            found.append(
                CartWarning(
                    line.id,
                    CartWarningCode.QUANTITY_REDUCED,
                    f"Only {free} left: checkout will offer {free}.",
                )
            )
        left[line.sku_id] = max(free - line.quantity, 0)
    return found


def subtotals(lines: list[tuple[CartLine, Money]]) -> list[Money]:
    totals: dict[str, int] = defaultdict(int)
    for line, price in lines:
        totals[price.currency] += price.amount_minor * line.quantity
    return [Money(amount, currency) for currency, amount in sorted(totals.items())]


async def view_cart(uow: UnitOfWork, actor: Actor, now: datetime) -> CartView:
    owner = owner_of(actor)
    cart = await uow.commerce.find_cart(owner.key) or empty_cart(owner)
    return await view(uow, cart, now)


async def view(uow: UnitOfWork, cart: Cart, now: datetime) -> CartView:
    states = await uow.commerce.sku_states([line.sku_id for line in cart.lines], now)
    prices = {
        line.id: states[line.sku_id].price if line.sku_id in states else line.price for line in cart.lines
    }
    return CartView(
        cart=cart,
        prices=prices,
        warnings=warnings_for(cart, states),
        subtotals=subtotals([(line, prices[line.id]) for line in cart.lines]),
    )


def _check_quantity(quantity: int, path: tuple[str | int, ...], *, zero_ok: bool) -> FieldError | None:
    low = 0 if zero_ok else 1
    if not low <= quantity <= MAX_LINE_QUANTITY:
        return FieldError(path, ErrorCode.INVALID, f"Quantity must be between {low} and {MAX_LINE_QUANTITY}.")
    return None


def _check_count(count: int, field: str) -> None:
    if count == 0:
        raise DomainError.single((field,), ErrorCode.REQUIRED, "Give at least one line.")
    if count > MAX_LINES_PER_CALL:
        raise DomainError.single(
            (field,), ErrorCode.LIMIT_EXCEEDED, f"At most {MAX_LINES_PER_CALL} lines per call."
        )


async def _post_errors(
    uow: UnitOfWork, lines: list[LineInput], states: dict[int, SkuState]
) -> list[FieldError]:
    """A line from a post must name a live post that tags the SKU's product (attribution pays for it)."""
    post_ids = sorted({line.post_id for line in lines if line.post_id is not None})
    if not post_ids:
        return []
    posts = {p.id: p for p in await uow.content.get_posts(post_ids)}
    tagged: dict[int, set[int]] = defaultdict(set)
    for tag in await uow.content.tags_of_posts(post_ids):
        tagged[tag.post_id].add(tag.product_id)
    errors = []
    for index, line in enumerate(lines):
        if line.post_id is None:
            continue
        path = ("lines", index, "postId")
        post = posts.get(line.post_id)
        if post is None or post.deleted_at is not None or post.status is not PostStatus.PUBLISHED:
            errors.append(FieldError(path, ErrorCode.NOT_FOUND, "No such post."))
        elif line.sku_id in states and states[line.sku_id].product_id not in tagged[line.post_id]:
            errors.append(FieldError(path, ErrorCode.INVALID, "This post does not tag this product."))
    return errors


async def add_lines(uow: UnitOfWork, actor: Actor, lines: list[LineInput], now: datetime) -> CartView:
    """Add units; the same SKU from the same post adds to its line. Stock is checked, not held."""
    owner = owner_of(actor)
    _check_count(len(lines), "lines")
    await uow.begin_write()
    found = await uow.commerce.sku_states([line.sku_id for line in lines], now)
    # A SKU of a product the caller may not see (DRAFT, ARCHIVED) reads as not found, like one that
    # does not exist: ids are guessable, and "not for sale" would say the product is there.
    states = {
        sku_id: state
        for sku_id, state in found.items()
        if state.sold or policy.can_see_unlisted_products(actor, state.merchant_id)
    }
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        if problem := _check_quantity(line.quantity, ("lines", index, "quantity"), zero_ok=False):
            errors.append(problem)
        state = states.get(line.sku_id)
        if state is None:
            errors.append(FieldError(("lines", index, "skuId"), ErrorCode.NOT_FOUND, "No such SKU."))
        elif not state.sold:
            errors.append(
                FieldError(("lines", index, "skuId"), ErrorCode.INVALID, "This item is not for sale.")
            )
    errors.extend(await _post_errors(uow, lines, states))
    if errors:
        raise DomainError(*errors)
    cart_id = await uow.commerce.ensure_cart(owner, now)
    await uow.commerce.lock_cart(cart_id)
    cart = await uow.commerce.get_cart(cart_id)
    assert cart is not None  # ensured above, in this transaction
    existing = {(line.sku_id, line.post_id): line for line in cart.lines}
    wanted: dict[int, int] = defaultdict(int)  # units per SKU after this call, across its lines
    for held in cart.lines:
        wanted[held.sku_id] += held.quantity
    new_keys = set()
    for index, line in enumerate(lines):
        state = states[line.sku_id]
        current = existing.get((line.sku_id, line.post_id))
        total = (current.quantity if current else 0) + line.quantity
        if total > MAX_LINE_QUANTITY:
            errors.append(
                FieldError(
                    ("lines", index, "quantity"),
                    ErrorCode.LIMIT_EXCEEDED,
                    f"A line holds at most {MAX_LINE_QUANTITY} units.",
                )
            )
            continue
        wanted[line.sku_id] += line.quantity
        if state.tracked and state.free is not None and wanted[line.sku_id] > state.free:
            left = max(state.free - (wanted[line.sku_id] - line.quantity), 0)
            errors.append(
                FieldError(
                    ("lines", index, "quantity"),
                    ErrorCode.INSUFFICIENT_STOCK,
                    f"Only {left} more can be added." if left else "This item is out of stock.",
                )
            )
            continue
        if current is None:
            new_keys.add((line.sku_id, line.post_id))
        await uow.commerce.put_line(cart_id, line.sku_id, line.post_id, total, state.price, now)
        existing[(line.sku_id, line.post_id)] = CartLine(
            current.id if current else 0, cart_id, line.sku_id, line.post_id, total, state.price, now
        )
        if line.post_id is not None:
            await uow.commerce.add_touch(line.post_id, owner, state.product_id, line.quantity, now)
    if len(cart.lines) + len(new_keys) > MAX_CART_LINES:
        errors.append(
            FieldError(("lines",), ErrorCode.LIMIT_EXCEEDED, f"A cart holds at most {MAX_CART_LINES} lines.")
        )
    if errors:
        raise DomainError(*errors)
    await uow.commit()
    return await view_cart(uow, actor, now)


async def _own_cart(uow: UnitOfWork, owner: Owner) -> Cart:
    cart = await uow.commerce.find_cart(owner.key)
    return cart or empty_cart(owner)


async def update_lines(uow: UnitOfWork, actor: Actor, updates: list[LineUpdate], now: datetime) -> CartView:
    """Set quantities (0 removes the line). The line's price becomes today's: the shopper sees it."""
    owner = owner_of(actor)
    _check_count(len(updates), "lines")
    await uow.begin_write()
    cart = await _own_cart(uow, owner)
    lines = {line.id: line for line in cart.lines}
    states = await uow.commerce.sku_states([line.sku_id for line in cart.lines], now)
    errors: list[FieldError] = []
    for index, update in enumerate(updates):
        if problem := _check_quantity(update.quantity, ("lines", index, "quantity"), zero_ok=True):
            errors.append(problem)
        elif update.line_id not in lines:
            errors.append(FieldError(("lines", index, "lineId"), ErrorCode.NOT_FOUND, "No such cart line."))
    if errors:
        raise DomainError(*errors)
    for update in updates:
        line = lines[update.line_id]
        if update.quantity == 0:
            await uow.commerce.delete_lines(cart.id, [line.id])
            continue
        state = states.get(line.sku_id)
        price = state.price if state and state.sold else line.price
        await uow.commerce.put_line(cart.id, line.sku_id, line.post_id, update.quantity, price, line.added_at)
    await uow.commit()
    return await view_cart(uow, actor, now)


async def remove_lines(uow: UnitOfWork, actor: Actor, line_ids: list[int], now: datetime) -> CartView:
    owner = owner_of(actor)
    _check_count(len(line_ids), "lineIds")
    await uow.begin_write()
    cart = await _own_cart(uow, owner)
    mine = {line.id for line in cart.lines}
    missing = [
        FieldError(("lineIds", index), ErrorCode.NOT_FOUND, "No such cart line.")
        for index, line_id in enumerate(line_ids)
        if line_id not in mine
    ]
    if missing:
        raise DomainError(*missing)
    await uow.commerce.delete_lines(cart.id, line_ids)
    await uow.commit()
    return await view_cart(uow, actor, now)


async def merge_device_cart(uow: UnitOfWork, device_id: str, user_id: int, now: datetime) -> int:
    """At sign-up or log-in, the device's lines join the account's cart: quantities of the same SKU
    and post add up (capped at a line's limit), no line is lost, and the device cart is emptied in the
    same transaction, so a retried log-in never counts a line twice. Returns the lines moved.

    The device's orders placed before signing in become the account's too. The caller commits.
    """
    device = Owner(None, device_id)
    await uow.begin_write()
    source = await uow.commerce.find_cart(device.key)
    await uow.commerce.claim_device_orders(device_id, user_id)
    if source is None or not source.lines:
        return 0
    await uow.commerce.lock_cart(source.id)
    target_id = await uow.commerce.ensure_cart(Owner(user_id, None), now)
    await uow.commerce.lock_cart(target_id)
    target = await uow.commerce.get_cart(target_id)
    assert target is not None
    existing = {(line.sku_id, line.post_id): line for line in target.lines}
    for line in source.lines:
        mine = existing.get((line.sku_id, line.post_id))
        quantity = min((mine.quantity if mine else 0) + line.quantity, MAX_LINE_QUANTITY)
        await uow.commerce.put_line(
            target_id,
            line.sku_id,
            line.post_id,
            quantity,
            line.price,
            mine.added_at if mine else line.added_at,
        )
    await uow.commerce.delete_lines(source.id, [line.id for line in source.lines])
    return len(source.lines)
