"""Fast stock and price updates by SKU code, answered item by item.

Every change is a single conditional statement in storage (`quantity = quantity + delta` guarded by
the stock left, or by the `expectedQuantity` the caller read), so concurrent updates can never
oversell or lose an update; availability is recomputed for every SKU and product touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from shoppable.domain.catalog.availability import (
    Availability,
    InventoryPolicy,
    product_availability,
    sku_availability,
)
from shoppable.domain.catalog.limits import BACKORDER_STOCK_MIN, SKU_CODE_MAX, STOCK_MAX, text_problem
from shoppable.domain.catalog.money import Money, MoneyInput, money_or_error
from shoppable.domain.catalog.ports import CatalogRepository
from shoppable.domain.catalog.records import Sku
from shoppable.domain.errors import ErrorCode, FieldError, Path
from shoppable.domain.identity.records import Merchant
from shoppable.domain.webhooks import catalog_events

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

T = TypeVar("T")

MAX_ITEMS = 1000


class ItemStatus(StrEnum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    """The item itself is malformed (it was not applied); the other items were."""


@dataclass(frozen=True)
class InventoryChange:
    sku: str
    quantity: int | None = None  # set to this
    delta: int | None = None  # or adjust by this
    expected_quantity: int | None = None  # compare-and-swap: apply only if stock is still this


@dataclass(frozen=True)
class PriceChange:
    sku: str
    price: Money
    compare_at_price: Money | None
    clear_compare_at: bool


@dataclass(frozen=True)
class ItemResult:
    sku: str
    status: ItemStatus
    quantity: int | None = None
    availability: Availability | None = None
    price: Money | None = None
    compare_at_price: Money | None = None
    code: ErrorCode | None = None
    message: str | None = None
    field: Path | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"sku": self.sku, "status": self.status.value}
        if self.field is not None:
            body["field"] = [str(part) for part in self.field]
        if self.quantity is not None or self.availability is not None:
            body["quantity"] = self.quantity
        if self.availability is not None:
            body["availability"] = self.availability.value
        if self.price is not None:
            body["price"] = {"amount": self.price.amount, "currencyCode": self.price.currency}
            body["compareAtPrice"] = (
                {"amount": self.compare_at_price.amount, "currencyCode": self.compare_at_price.currency}
                if self.compare_at_price
                else None
            )
        if self.code is not None:
            body["code"] = self.code.value
            body["message"] = self.message
        return body


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_items(
    payload: Any, parse_one: Callable[[dict[str, Any], Path, str], T | FieldError]
) -> tuple[list[T], list[FieldError]]:
    """`{"items": [...]}` with a `sku` code in each item, at most MAX_ITEMS, no code twice."""
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return [], [FieldError(("items",), ErrorCode.REQUIRED, "Send a non-empty `items` list.")]
    if len(items) > MAX_ITEMS:
        return [], [FieldError(("items",), ErrorCode.LIMIT_EXCEEDED, f"At most {MAX_ITEMS} items per call.")]
    changes: list[T] = []
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        at: Path = ("items", index)
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str) or not item["sku"].strip():
            errors.append(FieldError((*at, "sku"), ErrorCode.REQUIRED, "Each item needs a `sku` code."))
            continue
        code = item["sku"].strip()
        if problem := text_problem(code, SKU_CODE_MAX):
            errors.append(FieldError((*at, "sku"), ErrorCode.INVALID, f"SKU code {problem}"))
            continue
        parsed = parse_one(item, at, code)
        if isinstance(parsed, FieldError):
            errors.append(parsed)
        elif code in seen:
            errors.append(
                FieldError((*at, "sku"), ErrorCode.DUPLICATE, f"SKU {code!r} appears twice in this call.")
            )
        else:
            changes.append(parsed)
        seen.add(code)
    return changes, errors


def _inventory_item(item: dict[str, Any], at: Path, code: str) -> InventoryChange | FieldError:
    quantity, delta, expected = item.get("quantity"), item.get("delta"), item.get("expectedQuantity")
    if (quantity is None) == (delta is None):
        return FieldError(at, ErrorCode.INVALID, "Give exactly one of `quantity` (set) or `delta` (adjust).")
    if quantity is not None and (not _int(quantity) or not 0 <= quantity <= STOCK_MAX):
        return FieldError((*at, "quantity"), ErrorCode.INVALID, f"Quantity must be 0..{STOCK_MAX}.")
    if delta is not None and (not _int(delta) or not -STOCK_MAX <= delta <= STOCK_MAX):
        return FieldError(
            (*at, "delta"), ErrorCode.INVALID, f"Delta must be a whole number in -{STOCK_MAX}..{STOCK_MAX}."
        )
    if expected is not None and (not _int(expected) or not BACKORDER_STOCK_MIN <= expected <= STOCK_MAX):
        return FieldError(
            (*at, "expectedQuantity"),
            ErrorCode.INVALID,
            f"Must be a whole number in {BACKORDER_STOCK_MIN}..{STOCK_MAX}.",
        )
    return InventoryChange(code, quantity, delta, expected)


def _price_item(item: dict[str, Any], at: Path, code: str) -> PriceChange | FieldError:
    try:
        price = _money(item.get("price"), (*at, "price"))
        compare_at = (
            _money(item["compareAtPrice"], (*at, "compareAtPrice")) if item.get("compareAtPrice") else None
        )
    except _BadMoney as bad:
        return bad.error
    if price is None:
        return FieldError((*at, "price"), ErrorCode.REQUIRED, "Each item needs a `price`.")
    if compare_at is not None and (
        compare_at.currency != price.currency or compare_at.amount_minor <= price.amount_minor
    ):
        return FieldError(
            (*at, "compareAtPrice"), ErrorCode.INVALID, "Compare-at price must be above the price."
        )
    return PriceChange(code, price, compare_at, "compareAtPrice" in item and compare_at is None)


def body_errors(errors: Sequence[FieldError]) -> list[FieldError]:
    """Errors about the body as a whole (no `items`, too many): the call is refused (422). Errors about
    one item are answered in that item's place instead, and the other items are applied."""
    return [e for e in errors if len(e.field) < 2]


def answer_items(
    payload: Any, errors: Sequence[FieldError], applied: Sequence[ItemResult]
) -> list[ItemResult]:
    """One result per item of the body, in its order: the applied items' results, and `invalid` (with
    the field and the reason) for each malformed item."""
    items = payload["items"]
    by_index = {int(e.field[1]): e for e in errors if len(e.field) >= 2}
    results = iter(applied)
    answered: list[ItemResult] = []
    for index, item in enumerate(items):
        error = by_index.get(index)
        if error is None:
            result = next(results)
            if result.field is not None:  # a rule the item broke once applied: its path in the body
                result = replace(result, field=("items", index, *result.field))
            answered.append(result)
            continue
        code = item.get("sku") if isinstance(item, dict) else None
        answered.append(
            ItemResult(
                code.strip() if isinstance(code, str) else "",
                ItemStatus.INVALID,
                code=error.code,
                message=error.message,
                field=error.field,
            )
        )
    return answered


def parse_inventory(payload: Any) -> tuple[list[InventoryChange], list[FieldError]]:
    """`{"items": [{"sku", "quantity" | "delta", "expectedQuantity"?}]}` into changes, or errors with paths."""
    return _parse_items(payload, _inventory_item)


def parse_prices(payload: Any) -> tuple[list[PriceChange], list[FieldError]]:
    """`{"items": [{"sku", "price": {amount, currencyCode}, "compareAtPrice"?: {...} | null}]}`."""
    return _parse_items(payload, _price_item)


class _BadMoney(Exception):
    def __init__(self, error: FieldError) -> None:
        self.error = error


def _money(value: Any, path: Path) -> Money | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _BadMoney(FieldError(path, ErrorCode.INVALID, "Money is {amount, currencyCode}."))
    money = money_or_error(MoneyInput(str(value.get("amount", "")), str(value.get("currencyCode", ""))), path)
    if isinstance(money, FieldError):
        raise _BadMoney(money)
    return money


async def _refresh_availability(
    catalog: CatalogRepository, merchant: Merchant, touched: dict[int, Sku]
) -> dict[int, Availability]:
    """Recompute availability of the touched SKUs (id -> SKU with its new quantity) and of their products."""
    sku_states = {
        sku_id: sku_availability(sku.quantity, sku.inventory_policy, merchant.low_stock_threshold)
        for sku_id, sku in touched.items()
    }
    product_ids = sorted({sku.product_id for sku in touched.values()})
    siblings = await catalog.skus_of_products(product_ids)
    per_product: dict[int, list[Availability]] = {}
    for sku in siblings:
        per_product.setdefault(sku.product_id, []).append(sku_states.get(sku.id, sku.availability))
    await catalog.set_availability(
        sorted(sku_states.items()),
        [(pid, product_availability(states)) for pid, states in sorted(per_product.items())],
    )
    return sku_states


async def hold_back(
    catalog: CatalogRepository, merchant: Merchant, product_ids: Sequence[int], now: datetime
) -> dict[int, Availability]:
    """Count units in open checkouts' holds as gone from the stored availability of these products.

    Listings and the feed read the stored availability, and must not offer what a checkout is about
    to take; writers that set stock from the merchant's own figure (stock updates, imports, upserts)
    call this after writing. Returns the states of the SKUs it recomputed (none when nothing is held).
    """
    held = await catalog.held_units(product_ids, now) if product_ids else {}
    if not held:
        return {}
    held_products = sorted({sku.product_id for sku in await catalog.get_skus(sorted(held))})
    states: dict[int, Availability] = {}
    per_product: dict[int, list[Availability]] = {}
    for sku in await catalog.skus_of_products(held_products):
        free = None if sku.quantity is None else sku.quantity - held.get(sku.id, 0)
        state = sku_availability(free, sku.inventory_policy, merchant.low_stock_threshold)
        states[sku.id] = state
        per_product.setdefault(sku.product_id, []).append(state)
    await catalog.set_availability(
        sorted(states.items()),
        [(pid, product_availability(product_states)) for pid, product_states in sorted(per_product.items())],
    )
    return states


def _no_change(sku: Sku, change: InventoryChange) -> bool:
    """Setting the stock it has, or adjusting by zero, when the expected quantity (if any) holds."""
    if change.expected_quantity is not None and change.expected_quantity != sku.quantity:
        return False
    if change.quantity is not None:
        return sku.quantity == change.quantity
    return change.delta == 0 and sku.quantity is not None


async def apply_inventory(
    uow: UnitOfWork, merchant: Merchant, changes: Sequence[InventoryChange], now: datetime
) -> list[ItemResult]:
    """Apply each change on its own: one that a guard refuses does not stop the others. The caller
    commits (with the idempotency record, see `shoppable.domain.idempotency.run_once`)."""
    await uow.begin_write()
    await uow.catalog.lock_catalog(merchant.id)  # the order checkouts take it in: no deadlock
    skus = {s.sku: s for s in await uow.catalog.skus_by_codes(merchant.id, [c.sku for c in changes])}
    results: list[ItemResult] = []
    touched: dict[int, Sku] = {}
    for change in changes:
        sku = skus.get(change.sku)
        if sku is None:
            results.append(
                ItemResult(change.sku, ItemStatus.NOT_FOUND, code=ErrorCode.NOT_FOUND, message="No such SKU.")
            )
            continue
        if change.delta is not None and sku.quantity is None:
            results.append(
                ItemResult(
                    change.sku,
                    ItemStatus.CONFLICT,
                    code=ErrorCode.CONFLICT,
                    message="Stock of this SKU is not tracked; set a quantity before adjusting it.",
                )
            )
            continue
        if _no_change(sku, change):
            results.append(
                ItemResult(
                    change.sku, ItemStatus.UNCHANGED, quantity=sku.quantity, availability=sku.availability
                )
            )
            continue
        # Stock may go below zero only for SKUs sold on backorder, and only so far.
        floor = BACKORDER_STOCK_MIN if sku.inventory_policy is InventoryPolicy.CONTINUE else 0
        new_quantity = await uow.catalog.change_quantity(
            sku.id,
            quantity=change.quantity,
            delta=change.delta,
            expected=change.expected_quantity,
            floor=floor,
            ceiling=STOCK_MAX,
        )
        if new_quantity is None:
            if change.expected_quantity is not None:
                reason = "Stock is no longer the expected quantity."
            elif (change.delta or 0) > 0:
                reason = f"Stock cannot go above {STOCK_MAX}."
            elif floor < 0:
                reason = f"Backorder stock cannot go below {BACKORDER_STOCK_MIN}."
            else:
                reason = "Not enough stock for this adjustment."
            results.append(
                ItemResult(change.sku, ItemStatus.CONFLICT, code=ErrorCode.CONFLICT, message=reason)
            )
            continue
        touched[sku.id] = replace(sku, quantity=new_quantity)
        results.append(ItemResult(change.sku, ItemStatus.UPDATED, quantity=new_quantity))
    if touched:
        await catalog_events.record_low_stock(
            uow, merchant, [(skus[sku.sku], sku.quantity) for sku in touched.values()]
        )
        states = await _refresh_availability(uow.catalog, merchant, touched)
        states |= await hold_back(
            uow.catalog, merchant, sorted({s.product_id for s in touched.values()}), now
        )
        by_code = {sku.sku: states[sku_id] for sku_id, sku in touched.items()}
        results = [
            ItemResult(r.sku, r.status, r.quantity, by_code[r.sku]) if r.status is ItemStatus.UPDATED else r
            for r in results
        ]
    return results


async def apply_prices(
    uow: UnitOfWork, merchant: Merchant, changes: Sequence[PriceChange]
) -> list[ItemResult]:
    """Prices stay in the SKU's currency (a currency change is a catalog import); the caller commits."""
    await uow.begin_write()
    await uow.catalog.lock_catalog(merchant.id)  # the order checkouts take it in: no deadlock
    skus = {s.sku: s for s in await uow.catalog.skus_by_codes(merchant.id, [c.sku for c in changes])}
    results: list[ItemResult] = []
    updates: list[tuple[int, int, int | None]] = []
    for change in changes:
        sku = skus.get(change.sku)
        if sku is None:
            results.append(
                ItemResult(change.sku, ItemStatus.NOT_FOUND, code=ErrorCode.NOT_FOUND, message="No such SKU.")
            )
            continue
        wrong = next(
            (
                m
                for m in (change.price, change.compare_at_price)
                if m is not None and m.currency != merchant.currency
            ),
            None,
        )
        if wrong is not None:
            results.append(
                ItemResult(
                    change.sku,
                    ItemStatus.INVALID,
                    code=ErrorCode.INVALID,
                    message=f"This merchant sells in {merchant.currency}; {wrong.amount} {wrong.currency} is in "
                    "another currency.",
                    field=("price", "currencyCode")
                    if wrong is change.price
                    else ("compareAtPrice", "currencyCode"),
                )
            )
            continue
        if change.clear_compare_at:
            compare_at = None
        elif change.compare_at_price is not None:
            compare_at = change.compare_at_price
        else:  # keep the current compare-at, unless the new price is not below it (the sale is over)
            current = sku.compare_at_price
            compare_at = current if current and current.amount_minor > change.price.amount_minor else None
        same = change.price == sku.price and compare_at == sku.compare_at_price
        if not same:
            updates.append(
                (sku.id, change.price.amount_minor, compare_at.amount_minor if compare_at else None)
            )
        status = ItemStatus.UNCHANGED if same else ItemStatus.UPDATED
        results.append(ItemResult(change.sku, status, price=change.price, compare_at_price=compare_at))
    if updates:
        await uow.catalog.set_prices(updates)
        product_ids = sorted({sku.product_id for sku in skus.values() if sku.id in {u[0] for u in updates}})
        await catalog_events.record_products_changed(
            uow, merchant.id, [(pid, "prices") for pid in product_ids]
        )
    return results
