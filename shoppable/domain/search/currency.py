"""Prices in the shopper's currency, for filtering, sorting and price bands only (never for charging).

Each product's "from" price is also kept as an amount in the reference currency, so products sold in
different currencies can be compared. The rates are indicative and change slowly; after changing them,
`shoppable search reindex` recomputes the stored amounts. Products in the shopper's own currency are
compared in their exact minor units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shoppable.domain.catalog.money import CURRENCY_EXPONENTS, Money

REFERENCE_CURRENCY = "EUR"
INDICATIVE_RATES: dict[str, float] = {
    "EUR": 1.0,
    "USD": 0.92,
    "GBP": 1.17,
    "SEK": 0.087,
    "NOK": 0.085,
    "DKK": 0.134,
    "ISK": 0.0066,
    "CHF": 1.05,
    "PLN": 0.23,
    "CZK": 0.04,
    "CAD": 0.68,
    "AUD": 0.61,
    "NZD": 0.56,
    "JPY": 0.0062,
}
"""Value of one unit (major) of each currency in the reference currency."""


def reference_amount(amount_minor: int, currency: str) -> float | None:
    """The amount in reference-currency major units; None for a currency without a rate."""
    rate = INDICATIVE_RATES.get(currency)
    if rate is None:
        return None
    return amount_minor / 10 ** CURRENCY_EXPONENTS.get(currency, 2) * rate


def has_rate(currency: str) -> bool:
    return currency in INDICATIVE_RATES


@dataclass(frozen=True)
class PriceBand:
    """Prices from `min` (inclusive) to `max` (exclusive; None: no upper end) in one currency."""

    min: Money
    max: Money | None

    @property
    def label(self) -> str:
        if self.min.amount_minor == 0 and self.max is not None:
            return f"Under {_short(self.max)}"
        if self.max is None:
            return f"{_short(self.min)} and over"
        return f"{_short(self.min)} – {_short(self.max)}"

    @property
    def key(self) -> str:
        upper = "" if self.max is None else self.max.amount
        return f"{self.min.amount}-{upper}"


def _short(money: Money) -> str:
    major = money.amount_minor / 10**money.exponent
    text = f"{major:,.0f}" if major == int(major) else money.amount
    return f"{text} {money.currency}"


BAND_EDGES_IN_REFERENCE = (25, 50, 100, 250, 500)
"""Band edges in reference-currency units; other currencies get the nearest round numbers."""


def _nice(value: float) -> float:
    """The nearest of 1, 2, 2.5 and 5 times a power of ten."""
    power = 10 ** math.floor(math.log10(value))
    return min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda v: abs(v - value))


def price_bands(currency: str) -> list[PriceBand]:
    """The price bands shown to a shopper who pays in `currency`."""
    rate = INDICATIVE_RATES.get(currency, 1.0)
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    edges: list[int] = []
    for edge in BAND_EDGES_IN_REFERENCE:
        minor = round(_nice(edge / rate) * 10**exponent)
        if not edges or minor > edges[-1]:
            edges.append(minor)
    lows = [0, *edges]
    highs: list[int | None] = [*edges, None]
    return [
        PriceBand(Money(low, currency), None if high is None else Money(high, currency))
        for low, high in zip(lows, highs, strict=True)
    ]
