"""Money: parsing in each currency's precision, and money from the API parsed in the domain."""

from __future__ import annotations

import re

import pytest

from shoppable.domain.catalog.drafts import ProductInput, SkuInput, drafts_from_input
from shoppable.domain.catalog.money import (
    Money,
    MoneyError,
    MoneyInput,
    money_or_error,
    parse_money,
    parse_money_text,
)
from shoppable.domain.errors import ErrorCode, FieldError


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "shown"),
    [
        ("19.9", "EUR", 1990, "19.90"),
        (" 5 ", "usd", 500, "5.00"),
        ("1200", "JPY", 1200, "1200"),
        ("1.234", "KWD", 1234, "1.234"),
        ("0", "EUR", 0, "0.00"),
    ],
)
def test_amounts_are_kept_in_minor_units_of_their_currency(
    amount: str, currency: str, minor: int, shown: str
) -> None:
    money = parse_money(amount, currency)
    assert money.amount_minor == minor and money.amount == shown
    assert str(money) == f"{shown} {currency.strip().upper()}"


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("-1", "EUR", "amount"),
        ("1,5", "EUR", "amount"),
        ("", "EUR", "amount"),
        ("1e3", "EUR", "amount"),
        ("1.001", "EUR", "amount"),
        ("1.5", "JPY", "amount"),
        ("1", "XXX", "currencyCode"),
        ("1", "", "currencyCode"),
    ],
)
def test_junk_negatives_excess_precision_and_unknown_currencies_are_refused(
    amount: str, currency: str, field: str
) -> None:
    with pytest.raises(MoneyError) as refused:
        parse_money(amount, currency)
    assert refused.value.field == field


def test_feed_prices_read_either_way_round() -> None:
    assert parse_money_text("15.00 USD") == parse_money_text("USD 15.00") == Money(1500, "USD")
    with pytest.raises(MoneyError):
        parse_money_text("15.00")


def test_money_or_error_points_at_the_part_that_is_wrong() -> None:
    assert money_or_error(MoneyInput("2.50", "EUR"), ("price",)) == Money(250, "EUR")
    assert money_or_error(MoneyInput("x", "EUR"), ("items", 0, "price")) == FieldError(
        ("items", 0, "price", "amount"), ErrorCode.INVALID, "Amount 'x' is not a decimal number like '15.00'."
    )
    wrong_currency = money_or_error(MoneyInput("1", "ZZZ"), ("price",))
    assert isinstance(wrong_currency, FieldError) and wrong_currency.field == ("price", "currencyCode")


def sku(code: str, amount: str, currency: str = "EUR", compare_at: MoneyInput | None = None) -> SkuInput:
    return SkuInput(sku=code, price=MoneyInput(amount, currency), compare_at_price=compare_at)


def test_drafts_from_input_trim_text_and_parse_money() -> None:
    product = ProductInput(
        handle=" tee ",
        title=" Tee ",
        skus=(
            SkuInput(
                " TEE-S ", MoneyInput("20", "eur"), MoneyInput("30", "EUR"), options=((" Size ", " S "),)
            ),
        ),
    )
    (draft,), errors = drafts_from_input([product], "USD")
    assert errors == []
    assert (draft.handle, draft.title, draft.skus[0].sku) == ("tee", "Tee", "TEE-S")
    assert draft.skus[0].price == Money(2000, "EUR") and draft.skus[0].compare_at_price == Money(3000, "EUR")
    assert draft.skus[0].options == (("Size", "S"),)


def test_unparseable_prices_are_reported_and_replaced_in_the_products_or_merchants_currency() -> None:
    mixed = ProductInput("mixed", "Mixed", (sku("a", "x"), sku("b", "3.00", "GBP")))
    all_bad = ProductInput(
        "bad", "Bad", (sku("c", "1.001", compare_at=MoneyInput("5", "EUR")), sku("d", "1", "ZZZ"))
    )
    drafts, errors = drafts_from_input([mixed, all_bad], "SEK")
    assert [e.field for e in errors] == [
        ("products", 0, "skus", 0, "price", "amount"),
        ("products", 1, "skus", 0, "price", "amount"),
        ("products", 1, "skus", 1, "price", "currencyCode"),
    ]
    assert drafts[0].skus[0].price == Money(0, "GBP")  # the product's own currency
    assert [s.price for s in drafts[1].skus] == [Money(0, "SEK"), Money(0, "SEK")]  # else the merchant's
    assert drafts[1].skus[0].compare_at_price is None  # nothing to compare with a placeholder


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5.00 EUR", "Amount '-5.00' is negative"),
        ("EUR -5.00", "Amount '-5.00' is negative"),
        ("ten dollars", "has no amount"),
        ("ten EUR", "Amount 'ten' is not a decimal number"),
        ("5,00 EUR", "Amount '5,00' is not a decimal number"),
        ("5.00 EUX", "Unknown currency code 'EUX'"),
        ("5.00", "is not of the form"),
    ],
)
def test_price_text_errors_blame_the_part_that_is_wrong(text: str, message: str) -> None:
    with pytest.raises(MoneyError, match=re.escape(message)):
        parse_money_text(text)
