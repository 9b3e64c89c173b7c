"""What the commerce domain needs from storage: one repository for carts, checkouts, orders and
commissions (they change together in one transaction). `storage/commerce.py` implements it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.attribution import Touch
from shoppable.domain.commerce.records import (
    Attempt,
    Cart,
    Checkout,
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
from shoppable.domain.pagination import Page, PageRequest

if TYPE_CHECKING:
    from shoppable.domain.commerce.commissions import NewCommission
    from shoppable.domain.commerce.orders import NewOrderLine


class CommerceRepository(Protocol):
    async def find_cart(self, owner_key: str) -> Cart | None: ...

    async def get_cart(self, cart_id: int) -> Cart | None: ...

    async def ensure_cart(self, owner: Owner, now: datetime) -> int: ...

    async def lock_cart(self, cart_id: int) -> None: ...

    async def put_line(
        self, cart_id: int, sku_id: int, post_id: int | None, quantity: int, price: Money, added_at: datetime
    ) -> None: ...

    async def delete_lines(self, cart_id: int, line_ids: Sequence[int]) -> None: ...

    async def set_line_prices(self, changes: Sequence[tuple[int, Money]]) -> None: ...

    async def add_touch(
        self, post_id: int, owner: Owner, product_id: int, quantity: int, now: datetime
    ) -> None: ...

    async def sku_states(
        self, sku_ids: Sequence[int], now: datetime, *, excluding_checkout: int | None = None
    ) -> dict[int, SkuState]: ...

    async def held_units(self, sku_ids: Sequence[int], now: datetime) -> dict[int, int]: ...

    async def lock_skus(self, sku_ids: Sequence[int]) -> None: ...

    async def stock_of_products(self, product_ids: Sequence[int], now: datetime) -> list[SkuStock]: ...

    async def take_stock(self, sku_id: int, quantity: int) -> None: ...

    async def return_stock(self, sku_id: int, quantity: int) -> None: ...

    async def delete_expired_holds(self, now: datetime) -> list[int]: ...

    async def release_open_checkouts(self, cart_id: int) -> list[int]:
        """Release the cart's open checkouts; the products whose holds were given back."""
        ...

    async def release_checkout(self, checkout_id: int) -> list[int]: ...

    async def add_checkout(
        self,
        cart: Cart,
        owner: Owner,
        total: Money,
        states: dict[int, SkuState],
        now: datetime,
        expires_at: datetime,
    ) -> Checkout: ...

    async def get_checkout(self, checkout_id: int) -> Checkout | None: ...

    async def checkout_done(self, checkout: Checkout, now: datetime) -> None:
        """Completed: holds gone (the units are sold), the bought units leave the cart."""
        ...

    async def find_attempt(self, owner_key: str, key: str) -> Attempt | None: ...

    async def add_attempt(
        self,
        owner_key: str,
        key: str,
        request_hash: str,
        checkout_id: int,
        attempt_key: str,
        lease_until: datetime,
    ) -> Attempt | None: ...

    async def extend_attempt(self, attempt_id: int, lease_until: datetime) -> Attempt: ...

    async def finish_attempt(self, attempt_id: int, order_ids: Sequence[int]) -> None: ...

    async def delete_attempt(self, attempt_id: int) -> None: ...

    async def add_payment(self, checkout_id: int, gateway: str, reference: str, amount: Money) -> int: ...

    async def get_payment(self, payment_id: int) -> Payment: ...

    async def add_refunded(self, payment_id: int, order_id: int, amount: Money) -> None: ...

    async def next_order_number(self, merchant_id: int) -> int:
        """Increment-and-read in one statement: the row lock makes numbers unique and gapless."""
        ...

    async def add_order(
        self,
        merchant_id: int,
        number: int,
        checkout: Checkout,
        payment_id: int,
        total: Money,
        lines: Sequence[NewOrderLine],
        now: datetime,
    ) -> Order: ...

    async def get_orders(self, order_ids: Sequence[int]) -> list[Order]: ...

    async def lines_of_orders(self, order_ids: Sequence[int]) -> list[OrderLine]: ...

    async def list_orders(
        self,
        page: PageRequest,
        *,
        user_id: int | None = None,
        merchant_id: int | None = None,
        status: OrderStatus | None = None,
        updated_since: datetime | None = None,
    ) -> Page[Order]: ...

    async def lock_order(self, order_id: int) -> None: ...

    async def update_order(
        self,
        order_id: int,
        status: OrderStatus,
        financial: FinancialStatus,
        fulfillment: FulfillmentStatus,
        refunded_minor: int,
        cancel_reason: str | None,
        now: datetime,
    ) -> None: ...

    async def set_line_counts(self, line_id: int, *, fulfilled: int, refunded: int) -> None: ...

    async def claim_device_orders(self, device_id: str, user_id: int) -> None: ...

    async def record_purchases(
        self, user_id: int, lines: Sequence[tuple[int, int]], now: datetime
    ) -> None: ...

    async def purchased_product_ids(self, user_id: int, since: datetime) -> set[int]: ...

    async def live_post_creators(self, post_ids: Sequence[int]) -> dict[int, tuple[int, int]]: ...

    async def recent_clicks(self, owner: Owner, product_ids: Sequence[int], since: datetime) -> list[Touch]:
        """Clicks on live posts tagging these products, and adds to cart from them, newest first."""
        ...

    async def add_commissions(self, new: Sequence[NewCommission]) -> None: ...

    async def commissions_of_lines(self, line_ids: Sequence[int]) -> list[Commission]: ...

    async def get_commissions(self, ids: Sequence[int]) -> list[Commission]: ...

    async def set_commission_status(self, commission_id: int, status: CommissionStatus) -> None: ...

    async def split_reversal(self, earned: Commission, amount_minor: int) -> None: ...

    async def reverse_pending_of_order(self, order_id: int) -> None: ...

    async def lock_due_commissions(self, now: datetime) -> int: ...

    async def pay_locked(self, minimum_minor: int, now: datetime) -> int: ...

    async def commission_totals(self, creator_id: int) -> dict[CommissionStatus, list[Money]]: ...

    async def list_commissions(
        self, creator_id: int, statuses: Sequence[CommissionStatus], page: PageRequest
    ) -> Page[Commission]: ...

    async def post_insights(self, post_ids: Sequence[int]) -> dict[int, PostInsights]: ...

    async def update_merchant(self, merchant_id: int, values: dict[str, int | str]) -> None: ...
