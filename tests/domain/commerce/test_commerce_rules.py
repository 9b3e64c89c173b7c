"""Commerce rules as plain functions: warnings, rounding, attribution, rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.attribution import Touch, Touches, credit_for
from shoppable.domain.commerce.cart import subtotals, warnings_for
from shoppable.domain.commerce.commissions import commission_minor
from shoppable.domain.commerce.merchants import parse_rate
from shoppable.domain.commerce.records import (
    Cart,
    CartLine,
    CartWarningCode,
    CheckoutLine,
    SkuState,
    format_rate,
    order_number,
)

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
EUR = "EUR"


def line(line_id: int, sku_id: int, quantity: int, price: int = 1000, post_id: int | None = None) -> CartLine:
    return CartLine(line_id, 1, sku_id, post_id, quantity, Money(price, EUR), NOW)


def state(sku_id: int, free: int | None, price: int = 1000, sold: bool = True) -> SkuState:
    return SkuState(
        sku_id,
        10 + sku_id,
        1,
        f"S{sku_id}",
        "Thing",
        Money(price, EUR),
        sold,
        free is not None,
        free is not None,
        free,
    )


def test_lines_of_one_sku_share_its_free_units_in_order() -> None:
    cart = Cart(1, "d:x", None, "x", (line(1, 7, 2), line(2, 7, 2), line(3, 7, 1)))
    found = {(w.line_id, w.code) for w in warnings_for(cart, {7: state(7, 3)})}
    assert found == {(2, CartWarningCode.QUANTITY_REDUCED), (3, CartWarningCode.OUT_OF_STOCK)}


def test_price_changes_and_items_no_longer_sold_are_told() -> None:
    cart = Cart(1, "d:x", None, "x", (line(1, 1, 1, price=1000), line(2, 2, 1), line(3, 3, 1)))
    states = {1: state(1, None, price=1200), 2: state(2, 5, sold=False)}
    found = {(w.line_id, w.code) for w in warnings_for(cart, states)}
    assert found == {
        (1, CartWarningCode.PRICE_CHANGED),
        (2, CartWarningCode.NO_LONGER_SOLD),
        (3, CartWarningCode.NO_LONGER_SOLD),
    }


def test_subtotals_are_per_currency() -> None:
    lines = [
        (line(1, 1, 2), Money(500, EUR)),
        (line(2, 2, 1), Money(300, "USD")),
        (line(3, 3, 3), Money(100, EUR)),
    ]
    assert subtotals(lines) == [Money(1300, EUR), Money(300, "USD")]


@given(st.integers(0, 10**12), st.integers(0, 5000))
def test_commission_is_the_rate_rounded_half_up(paid: int, bps: int) -> None:
    exact = paid * bps / 10_000
    assert abs(commission_minor(paid, bps) - exact) <= 0.5
    assert commission_minor(paid, bps) >= 0


@given(st.integers(1, 99), st.integers(1, 10**7), st.lists(st.integers(1, 99), max_size=10))
def test_proportional_reversals_add_up_to_what_was_earned(
    quantity: int, earned: int, steps: list[int]
) -> None:
    """The rule of commissions.reverse_for_refund: reversed so far = round(earned * refunded / quantity)."""
    refunded, reversed_total = 0, 0
    for step in steps:
        refunded = min(refunded + step, quantity)
        target = earned if refunded == quantity else (earned * refunded + quantity // 2) // quantity
        assert target >= reversed_total
        reversed_total = target
    assert 0 <= reversed_total <= earned
    if refunded == quantity:
        assert reversed_total == earned


def touch(post_id: int, creator_user: int, product_id: int, hours_ago: float) -> Touch:
    return Touch(post_id, 100 + post_id, creator_user, product_id, NOW - timedelta(hours=hours_ago))


def checkout_line(product_id: int, post_id: int | None = None) -> CheckoutLine:
    return CheckoutLine(1, 1, 1, 1, product_id, 1, post_id, 1, Money(1000, EUR), NOW - timedelta(hours=1))


def test_a_post_line_credits_its_creator_else_the_last_click_in_the_window() -> None:
    touches = Touches(
        creators={5: (105, 50)},
        clicks=[touch(6, 60, 42, 2), touch(7, 70, 42, 30), touch(8, 80, 43, 1)],  # newest first
    )
    window = timedelta(days=1)
    assert credit_for(checkout_line(42, post_id=5), touches, 1, window, NOW).creator_id == 105
    assert credit_for(checkout_line(42), touches, 1, window, NOW).post_id == 6
    assert credit_for(checkout_line(42), touches, 60, window, NOW) is None  # 7's click is out of the window
    assert credit_for(checkout_line(42, post_id=5), touches, 50, window, NOW).post_id == 6  # not oneself
    assert credit_for(checkout_line(44), touches, 1, window, NOW) is None


def test_rates_and_numbers_read_as_people_write_them() -> None:
    assert [parse_rate(t) for t in ("0.1", "0.125", ".05", "0", "1", "abc", "0.12345", "-0.1")] == [
        1000,
        1250,
        500,
        0,
        10000,
        None,
        None,
        None,
    ]
    assert [format_rate(b) for b in (1000, 1250, 0, 5, 10000)] == ["0.10", "0.125", "0.00", "0.0005", "1.00"]
    assert order_number(1) == "#1001"
