"""commerce: carts, checkouts and holds, payments, orders, commissions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:40:12.121156

Existing merchants get the default commerce settings: 10% commission, 30-day returns, a 7-day
attribution window, and order numbers from #1001.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoppable.storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cart_touches",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("actor_key", sa.String(length=140), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cart_touches", schema=None) as batch_op:
        batch_op.create_index("ix_cart_touches_post", ["post_id", "created_at"], unique=False)

    op.create_table(
        "carts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("owner_key", sa.String(length=140), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_key"),
    )
    op.create_table(
        "checkouts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("cart_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_key", sa.String(length=140), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("expires_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkouts", schema=None) as batch_op:
        batch_op.create_index("ix_checkouts_cart", ["cart_id", "status"], unique=False)

    op.create_table(
        "cart_lines",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("cart_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("added_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cart_id"], ["carts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cart_id", "sku_id", "post_id", name="uq_cart_lines_sku_post"),
    )
    op.create_table(
        "checkout_attempts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("owner_key", sa.String(length=140), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("checkout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt_key", sa.String(length=64), nullable=False),
        sa.Column("order_ids", sa.JSON(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("lease_until", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkouts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_key", "idempotency_key", name="uq_checkout_attempts_key"),
    )
    op.create_table(
        "checkout_lines",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("checkout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cart_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("added_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkouts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkout_lines", schema=None) as batch_op:
        batch_op.create_index("ix_checkout_lines_checkout", ["checkout_id", "id"], unique=False)

    op.create_table(
        "payments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("checkout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("captured_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_id"],
            ["checkouts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_checkout", ["checkout_id"], unique=False)

    op.create_table(
        "payouts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("creator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("commission_count", sa.Integer(), nullable=False),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index("ix_payouts_creator", ["creator_id", "created_at"], unique=False)

    op.create_table(
        "stock_holds",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("checkout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("expires_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkouts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stock_holds", schema=None) as batch_op:
        batch_op.create_index("ix_stock_holds_checkout", ["checkout_id"], unique=False)
        batch_op.create_index("ix_stock_holds_expires", ["expires_at"], unique=False)
        batch_op.create_index("ix_stock_holds_product", ["product_id"], unique=False)
        batch_op.create_index("ix_stock_holds_sku_expires", ["sku_id", "expires_at"], unique=False)

    op.create_table(
        "orders",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("checkout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("financial_status", sa.String(length=24), nullable=False),
        sa.Column("fulfillment_status", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_id"],
            ["checkouts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("merchant_id", "number", name="uq_orders_merchant_number"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_checkout", ["checkout_id"], unique=False)
        batch_op.create_index("ix_orders_merchant_created", ["merchant_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_orders_merchant_updated", ["merchant_id", "updated_at", "id"], unique=False)
        batch_op.create_index("ix_orders_user_created", ["user_id", "created_at", "id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_code", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fulfilled_quantity", sa.Integer(), nullable=False),
        sa.Column("refunded_quantity", sa.Integer(), nullable=False),
        sa.Column(
            "attributed_creator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("attributed_post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("attributed_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("commission_rate_bps", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attributed_creator_id"],
            ["creators.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_order", ["order_id", "id"], unique=False)
        batch_op.create_index("ix_order_lines_post", ["attributed_post_id"], unique=False)
        batch_op.create_index("ix_order_lines_product", ["product_id"], unique=False)

    op.create_table(
        "commissions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("creator_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("locks_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("payout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", shoppable.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["creators.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("commissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commissions_creator_status", ["creator_id", "status", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_commissions_line", ["order_line_id"], unique=False)
        batch_op.create_index("ix_commissions_status_locks", ["status", "locks_at"], unique=False)

    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("commission_rate_bps", sa.Integer(), nullable=False, server_default="1000")
        )
        batch_op.add_column(
            sa.Column("return_window_days", sa.Integer(), nullable=False, server_default="30")
        )
        batch_op.add_column(
            sa.Column("attribution_window_days", sa.Integer(), nullable=False, server_default="7")
        )
        batch_op.add_column(sa.Column("order_sequence", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("order_sequence")
        batch_op.drop_column("attribution_window_days")
        batch_op.drop_column("return_window_days")
        batch_op.drop_column("commission_rate_bps")

    with op.batch_alter_table("commissions", schema=None) as batch_op:
        batch_op.drop_index("ix_commissions_status_locks")
        batch_op.drop_index("ix_commissions_line")
        batch_op.drop_index("ix_commissions_creator_status")

    op.drop_table("commissions")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_product")
        batch_op.drop_index("ix_order_lines_post")
        batch_op.drop_index("ix_order_lines_order")

    op.drop_table("order_lines")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_user_created")
        batch_op.drop_index("ix_orders_merchant_updated")
        batch_op.drop_index("ix_orders_merchant_created")
        batch_op.drop_index("ix_orders_checkout")

    op.drop_table("orders")
    with op.batch_alter_table("stock_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_holds_sku_expires")
        batch_op.drop_index("ix_stock_holds_product")
        batch_op.drop_index("ix_stock_holds_expires")
        batch_op.drop_index("ix_stock_holds_checkout")

    op.drop_table("stock_holds")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_payouts_creator")

    op.drop_table("payouts")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_checkout")

    op.drop_table("payments")
    with op.batch_alter_table("checkout_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_checkout_lines_checkout")

    op.drop_table("checkout_lines")
    op.drop_table("checkout_attempts")
    op.drop_table("cart_lines")
    with op.batch_alter_table("checkouts", schema=None) as batch_op:
        batch_op.drop_index("ix_checkouts_cart")

    op.drop_table("checkouts")
    op.drop_table("carts")
    with op.batch_alter_table("cart_touches", schema=None) as batch_op:
        batch_op.drop_index("ix_cart_touches_post")

    op.drop_table("cart_touches")
