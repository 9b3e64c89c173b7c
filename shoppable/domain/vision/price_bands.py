"""Similar items at several prices: matches grouped into price bands drawn from the matches themselves.

Fixed bands ("under 50") mean nothing across categories (a watch and a sock) and currencies, so the
edges are the terciles of the prices among the similar items found, rounded to a "nice" figure for
the label, in the currency most of them are priced in (items in other currencies get no band; their
similarity still ranks them in `matches`). With fewer than three distinct prices there is one band.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise

from shoppable.domain.catalog.money import Money
from shoppable.domain.vision.records import BandMatches, Candidate, PriceBand


def nice_edge(amount_minor: int, exponent: int) -> int:
    """Round a price edge to 1, 2 or 5 times a power of ten of the currency's major unit (or its
    half), so that labels read "20-50 EUR", not "23.17-48.90 EUR"."""
    major = amount_minor / (10**exponent)
    if major <= 0:
        return 0
    power = 10 ** math.floor(math.log10(major))
    for step in (1, 2, 2.5, 5, 10):
        if major <= step * power * 1.15:
            return round(step * power * 10**exponent)
    return round(10 * power * 10**exponent)


def _label(low: Money | None, high: Money | None) -> str:
    if low is None and high is not None:
        return f"Under {_short(high)}"
    if high is None and low is not None:
        return f"{_short(low)} and up"
    if low is not None and high is not None:
        return f"{_short(low).split()[0]}-{_short(high)}"
    return "All prices"


def _short(money: Money) -> str:
    text = money.amount
    if "." in text and set(text.split(".", 1)[1]) == {"0"}:
        text = text.split(".", 1)[0]
    return f"{text} {money.currency}"


def band_edges(prices: Sequence[int], exponent: int) -> list[int]:
    """Up to two rounded edges splitting the prices into (nearly) equal thirds."""
    ordered = sorted(prices)
    if len(set(ordered)) < 3:
        return []
    edges = []
    for share in (1 / 3, 2 / 3):
        position = share * (len(ordered) - 1)
        lower, upper = ordered[math.floor(position)], ordered[math.ceil(position)]
        edges.append(nice_edge(round((lower + upper) / 2), exponent))
    return sorted({e for e in edges if ordered[0] < e <= ordered[-1]})


def group_by_price_band(matches: Sequence[Candidate], per_band: int) -> list[BandMatches]:
    """Bands from cheapest to dearest, each with its `per_band` most similar matches (in order)."""
    priced = [m for m in matches if m.price is not None]
    if not priced:
        return []
    currency = Counter(m.price.currency for m in priced if m.price is not None).most_common(1)[0][0]
    in_currency = [m for m in priced if m.price is not None and m.price.currency == currency]
    exponent = in_currency[0].price.exponent if in_currency[0].price is not None else 2
    edges = band_edges([m.price.amount_minor for m in in_currency if m.price is not None], exponent)
    bounds = [None, *edges, None]
    bands = []
    for low, high in pairwise(bounds):
        members = [
            m
            for m in in_currency
            if m.price is not None
            and (low is None or m.price.amount_minor >= low)
            and (high is None or m.price.amount_minor < high)
        ]
        if not members:
            continue
        low_money = Money(low, currency) if low is not None else None
        high_money = Money(high, currency) if high is not None else None
        band = PriceBand(_label(low_money, high_money), low_money, high_money)
        bands.append(BandMatches(band, tuple(members[:per_band])))
    return bands
