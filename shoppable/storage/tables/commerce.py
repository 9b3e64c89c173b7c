"""Carts, checkouts with their stock holds, payments, orders, commissions and payouts.

Prices and amounts are integer minor units with their ISO currency, copied at the moment they were
shown or paid: a later price change never rewrites an order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.storage.types import BigId, UTCDateTime, utcnow


class CartRow(SQLModel, table=True):
    """One cart per owner: `u:<user id>` or `d:<device id>` (the same key events use)."""

    __tablename__ = "carts"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    owner_key: str = Field(sa_column=Column(String(140), nullable=False, unique=True))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True))
    device_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CartLineRow(SQLModel, table=True):
    """A SKU in a cart, once per post it was added from (`post_id` 0: not from a post)."""

    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("cart_id", "sku_id", "post_id", name="uq_cart_lines_sku_post"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    cart_id: int = Field(sa_column=Column(BigId, ForeignKey("carts.id", ondelete="CASCADE"), nullable=False))
    sku_id: int = Field(sa_column=Column(BigId, ForeignKey("skus.id"), nullable=False))
    post_id: int = Field(default=0, sa_column=Column(BigId, nullable=False, default=0))
    quantity: int = Field(sa_column=Column(Integer, nullable=False))
    # The price the shopper was last shown; the cart warns when the SKU's price moved since.
    price_minor: int = Field(sa_column=Column(BigId, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    added_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CheckoutRow(SQLModel, table=True):
    __tablename__ = "checkouts"
    __table_args__ = (Index("ix_checkouts_cart", "cart_id", "status"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    cart_id: int = Field(sa_column=Column(BigId, ForeignKey("carts.id", ondelete="CASCADE"), nullable=False))
    owner_key: str = Field(sa_column=Column(String(140), nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True))
    device_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    status: str = Field(default="OPEN", sa_column=Column(String(16), nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    total_minor: int = Field(sa_column=Column(BigId, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class CheckoutLineRow(SQLModel, table=True):
    __tablename__ = "checkout_lines"
    __table_args__ = (Index("ix_checkout_lines_checkout", "checkout_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    checkout_id: int = Field(
        sa_column=Column(BigId, ForeignKey("checkouts.id", ondelete="CASCADE"), nullable=False)
    )
    cart_line_id: int = Field(sa_column=Column(BigId, nullable=False))
    sku_id: int = Field(sa_column=Column(BigId, ForeignKey("skus.id"), nullable=False))
    product_id: int = Field(sa_column=Column(BigId, nullable=False))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    post_id: int = Field(default=0, sa_column=Column(BigId, nullable=False, default=0))
    quantity: int = Field(sa_column=Column(Integer, nullable=False))
    price_minor: int = Field(sa_column=Column(BigId, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    added_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class StockHoldRow(SQLModel, table=True):
    """Units of a SKU held for a checkout until `expires_at`; expired holds count for nothing."""

    __tablename__ = "stock_holds"
    __table_args__ = (
        Index("ix_stock_holds_sku_expires", "sku_id", "expires_at"),
        Index("ix_stock_holds_expires", "expires_at"),
        Index("ix_stock_holds_checkout", "checkout_id"),
        Index("ix_stock_holds_product", "product_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    checkout_id: int = Field(
        sa_column=Column(BigId, ForeignKey("checkouts.id", ondelete="CASCADE"), nullable=False)
    )
    sku_id: int = Field(sa_column=Column(BigId, ForeignKey("skus.id"), nullable=False))
    product_id: int = Field(sa_column=Column(BigId, nullable=False))
    quantity: int = Field(sa_column=Column(Integer, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CheckoutAttemptRow(SQLModel, table=True):
    """One `checkoutComplete` idempotency key of one owner, and what it answered.

    `attempt_key` is the idempotency key given to the payment gateway: a retry that takes over a
    crashed attempt reuses it, so the gateway charges once.
    """

    __tablename__ = "checkout_attempts"
    __table_args__ = (UniqueConstraint("owner_key", "idempotency_key", name="uq_checkout_attempts_key"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    owner_key: str = Field(sa_column=Column(String(140), nullable=False))
    idempotency_key: str = Field(sa_column=Column(String(255), nullable=False))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    checkout_id: int = Field(
        sa_column=Column(BigId, ForeignKey("checkouts.id", ondelete="CASCADE"), nullable=False)
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempt_key: str = Field(sa_column=Column(String(64), nullable=False))
    order_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    lease_until: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class PaymentRow(SQLModel, table=True):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_checkout", "checkout_id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    checkout_id: int = Field(sa_column=Column(BigId, ForeignKey("checkouts.id"), nullable=False))
    gateway: str = Field(sa_column=Column(String(32), nullable=False))
    reference: str = Field(sa_column=Column(String(128), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    amount_minor: int = Field(sa_column=Column(BigId, nullable=False))
    captured_minor: int = Field(default=0, sa_column=Column(BigId, nullable=False, default=0))
    refunded_minor: int = Field(default=0, sa_column=Column(BigId, nullable=False, default=0))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("merchant_id", "number", name="uq_orders_merchant_number"),
        Index("ix_orders_merchant_created", "merchant_id", "created_at", "id"),
        Index("ix_orders_merchant_updated", "merchant_id", "updated_at", "id"),
        Index("ix_orders_user_created", "user_id", "created_at", "id"),
        Index("ix_orders_checkout", "checkout_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    number: int = Field(sa_column=Column(BigId, nullable=False))
    checkout_id: int = Field(sa_column=Column(BigId, ForeignKey("checkouts.id"), nullable=False))
    payment_id: int = Field(sa_column=Column(BigId, ForeignKey("payments.id"), nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True))
    device_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    status: str = Field(default="OPEN", sa_column=Column(String(16), nullable=False))
    financial_status: str = Field(default="PAID", sa_column=Column(String(24), nullable=False))
    fulfillment_status: str = Field(default="UNFULFILLED", sa_column=Column(String(24), nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    total_minor: int = Field(sa_column=Column(BigId, nullable=False))
    refunded_minor: int = Field(default=0, sa_column=Column(BigId, nullable=False, default=0))
    cancel_reason: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class OrderLineRow(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (
        Index("ix_order_lines_order", "order_id", "id"),
        Index("ix_order_lines_post", "attributed_post_id"),
        Index("ix_order_lines_product", "product_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    order_id: int = Field(sa_column=Column(BigId, ForeignKey("orders.id"), nullable=False))
    sku_id: int = Field(sa_column=Column(BigId, ForeignKey("skus.id"), nullable=False))
    product_id: int = Field(sa_column=Column(BigId, nullable=False))
    sku_code: str = Field(sa_column=Column(String(128), nullable=False))
    title: str = Field(sa_column=Column(String(512), nullable=False))
    quantity: int = Field(sa_column=Column(Integer, nullable=False))
    price_minor: int = Field(sa_column=Column(BigId, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    fulfilled_quantity: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    refunded_quantity: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    attributed_creator_id: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("creators.id"), nullable=True)
    )
    attributed_post_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    attributed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    commission_rate_bps: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class CommissionRow(SQLModel, table=True):
    __tablename__ = "commissions"
    __table_args__ = (
        Index("ix_commissions_creator_status", "creator_id", "status", "created_at", "id"),
        Index("ix_commissions_status_locks", "status", "locks_at"),
        Index("ix_commissions_line", "order_line_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    creator_id: int = Field(sa_column=Column(BigId, ForeignKey("creators.id"), nullable=False))
    order_id: int = Field(sa_column=Column(BigId, ForeignKey("orders.id"), nullable=False))
    order_line_id: int = Field(sa_column=Column(BigId, ForeignKey("order_lines.id"), nullable=False))
    post_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    status: str = Field(default="PENDING", sa_column=Column(String(16), nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    amount_minor: int = Field(sa_column=Column(BigId, nullable=False))
    rate_bps: int = Field(sa_column=Column(Integer, nullable=False))
    locks_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    locked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    payout_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class PayoutRow(SQLModel, table=True):
    """A batch of locked commissions recorded as paid to one creator (money moves elsewhere)."""

    __tablename__ = "payouts"
    __table_args__ = (Index("ix_payouts_creator", "creator_id", "created_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    creator_id: int = Field(sa_column=Column(BigId, ForeignKey("creators.id"), nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    amount_minor: int = Field(sa_column=Column(BigId, nullable=False))
    commission_count: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CartTouchRow(SQLModel, table=True):
    """An add to cart from a post's tag: counted in the post's insights, kept after checkout."""

    __tablename__ = "cart_touches"
    __table_args__ = (Index("ix_cart_touches_post", "post_id", "created_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    post_id: int = Field(sa_column=Column(BigId, nullable=False))
    actor_key: str = Field(sa_column=Column(String(140), nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True))
    product_id: int = Field(sa_column=Column(BigId, nullable=False))
    quantity: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
