"""Commerce entities as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shoppable.domain.catalog.money import Money


class CheckoutStatus(StrEnum):
    OPEN = "OPEN"  # stock held until expires_at
    COMPLETED = "COMPLETED"
    RELEASED = "RELEASED"  # payment failed or the shopper started over: holds given back


class AttemptStatus(StrEnum):
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class OrderStatus(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"  # every unit fulfilled or refunded
    CANCELLED = "CANCELLED"


class FinancialStatus(StrEnum):
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "UNFULFILLED"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"


class CommissionStatus(StrEnum):
    PENDING = "PENDING"  # the return window is open
    LOCKED = "LOCKED"  # earned; waits for a payout
    PAID = "PAID"
    REVERSED = "REVERSED"  # refunded or cancelled


class CartWarningCode(StrEnum):
    PRICE_CHANGED = "PRICE_CHANGED"
    QUANTITY_REDUCED = "QUANTITY_REDUCED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NO_LONGER_SOLD = "NO_LONGER_SOLD"


@dataclass(frozen=True)
class Owner:
    """Whose cart: a signed-in user, or an anonymous device (`X-Device-Id`)."""

    user_id: int | None
    device_id: str | None

    @property
    def key(self) -> str:
        return f"u:{self.user_id}" if self.user_id is not None else f"d:{self.device_id}"


@dataclass(frozen=True)
class CartLine:
    id: int
    cart_id: int
    sku_id: int
    post_id: int | None
    quantity: int
    price: Money  # as last shown to the shopper
    added_at: datetime


@dataclass(frozen=True)
class Cart:
    id: int
    owner_key: str
    user_id: int | None
    device_id: str | None
    lines: tuple[CartLine, ...]


@dataclass(frozen=True)
class CartWarning:
    line_id: int
    code: CartWarningCode
    message: str


@dataclass(frozen=True)
class SkuState:
    """What a cart needs to know about a SKU now: price, sellability and units free to hold."""

    sku_id: int
    product_id: int
    merchant_id: int
    sku_code: str
    title: str
    price: Money
    sold: bool  # the product is ACTIVE
    counted: bool  # the merchant counts its stock (quantity is not null): a sale takes units off
    tracked: bool  # counted and never oversold (policy DENY): checkout holds units
    free: int | None  # units on hand minus unexpired holds; None when not counted


@dataclass(frozen=True)
class CheckoutLine:
    id: int
    checkout_id: int
    cart_line_id: int
    sku_id: int
    product_id: int
    merchant_id: int
    post_id: int | None
    quantity: int
    price: Money
    added_at: datetime


@dataclass(frozen=True)
class Checkout:
    id: int
    cart_id: int
    owner_key: str
    user_id: int | None
    device_id: str | None
    status: CheckoutStatus
    total: Money
    expires_at: datetime
    created_at: datetime
    lines: tuple[CheckoutLine, ...]


@dataclass(frozen=True)
class Attempt:
    id: int
    owner_key: str
    idempotency_key: str
    request_hash: str
    checkout_id: int
    status: AttemptStatus
    attempt_key: str
    order_ids: tuple[int, ...]
    error: dict[str, str] | None
    lease_until: datetime


@dataclass(frozen=True)
class Payment:
    id: int
    checkout_id: int
    gateway: str
    reference: str
    amount: Money
    captured_minor: int
    refunded_minor: int


@dataclass(frozen=True)
class OrderLine:
    id: int
    order_id: int
    sku_id: int
    product_id: int
    sku_code: str
    title: str
    quantity: int
    price: Money
    fulfilled_quantity: int
    refunded_quantity: int
    attributed_creator_id: int | None
    attributed_post_id: int | None
    attributed_at: datetime | None
    commission_rate_bps: int | None


@dataclass(frozen=True)
class Order:
    id: int
    merchant_id: int
    number: int
    checkout_id: int
    payment_id: int
    user_id: int | None
    device_id: str | None
    status: OrderStatus
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    total: Money
    refunded_minor: int
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Commission:
    id: int
    creator_id: int
    order_id: int
    order_line_id: int
    post_id: int | None
    status: CommissionStatus
    amount: Money
    rate_bps: int
    locks_at: datetime
    locked_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class PostInsights:
    impressions: int
    clicks: int
    add_to_carts: int
    orders: int
    revenue: tuple[Money, ...]
    commission: tuple[Money, ...]


@dataclass(frozen=True)
class Earnings:
    pending: tuple[Money, ...]
    locked: tuple[Money, ...]
    paid: tuple[Money, ...]
    reversed: tuple[Money, ...]


def format_rate(bps: int) -> str:
    """Basis points as a decimal fraction with at least two decimals: 1000 -> "0.10", 1250 -> "0.125"."""
    whole, rest = divmod(bps, 10000)
    decimals = f"{rest:04d}".rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


def order_number(number: int) -> str:
    """Human-readable order number within a merchant: #1001, #1002, ..."""
    return f"#{1000 + number}"
