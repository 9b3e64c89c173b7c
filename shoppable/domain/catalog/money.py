"""Money as integer minor units plus an ISO 4217 currency code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from shoppable.domain.errors import ErrorCode, FieldError, Path

# ISO 4217 active codes with a minor-unit exponent other than 2; every other listed code uses 2.
_EXPONENT_OVERRIDES = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLF": 4, "UYW": 4,
}  # fmt: skip
_TWO_DECIMALS = [
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHF",
    "CNY",
    "COP",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "UZS",
    "VES",
    "WST",
    "XCD",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
]
CURRENCY_EXPONENTS: dict[str, int] = {code: 2 for code in _TWO_DECIMALS} | _EXPONENT_OVERRIDES

_AMOUNT = re.compile(r"^\d{1,15}(\.\d+)?$")


class MoneyError(ValueError):
    """Raised with a message fit for a user when an amount or currency is unusable."""

    def __init__(self, message: str, *, field: str = "amount") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, order=True)
class Money:
    amount_minor: int
    currency: str

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    @property
    def amount(self) -> str:
        """Decimal string with exactly the currency's number of decimals, e.g. "19.90"."""
        exp = self.exponent
        value = Decimal(self.amount_minor).scaleb(-exp)
        return f"{value:.{exp}f}"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def is_currency(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


def parse_money(amount: str, currency: str) -> Money:
    """Parse a decimal string like "19.9" in `currency`; rejects negatives, junk and excess precision."""
    code = (currency or "").strip().upper()
    if code not in CURRENCY_EXPONENTS:
        raise MoneyError(f"Unknown currency code {currency!r}.", field="currencyCode")
    text = (amount or "").strip()
    if not _AMOUNT.match(text):
        if text.startswith("-") and _AMOUNT.match(text[1:]):
            raise MoneyError(f"Amount {amount!r} is negative; prices are 0 or more.")
        raise MoneyError(f"Amount {amount!r} is not a decimal number like '15.00'.")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise MoneyError(f"Amount {amount!r} is not a number.") from exc
    exp = CURRENCY_EXPONENTS[code]
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{code} amounts have at most {exp} decimals; got {amount!r}.")
    return Money(int(scaled), code)


def parse_money_text(text: str) -> Money:
    """Parse the "15.00 USD" form used by Google Merchant Center feeds (also "USD 15.00")."""
    parts = (text or "").split()
    if len(parts) != 2:
        raise MoneyError(f"Price {text!r} is not of the form '15.00 USD'.")
    first, second = parts
    # The part that is a currency code is the currency; failing that, the part with digits is the
    # amount: so "-5.00 EUR" blames the amount and "5.00 EUX" the currency.
    if is_currency(second.upper()):
        return parse_money(first, second)
    if is_currency(first.upper()):
        return parse_money(second, first)
    if any(c.isdigit() for c in first):
        return parse_money(first, second)
    if any(c.isdigit() for c in second):
        return parse_money(second, first)
    raise MoneyError(f"Price {text!r} has no amount; write it like '15.00 USD'.")


@dataclass(frozen=True)
class MoneyInput:
    """Money as a caller sent it: a decimal string and a currency code, not yet checked."""

    amount: str
    currency_code: str


def money_or_error(value: MoneyInput, path: Path) -> Money | FieldError:
    """The parsed money, or the problem with it at `path` (+ "amount" or "currencyCode")."""
    try:
        return parse_money(value.amount, value.currency_code)
    except MoneyError as exc:
        return FieldError((*path, exc.field), ErrorCode.INVALID, str(exc))
