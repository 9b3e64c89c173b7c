"""Product search: what a shopper may ask for, how it is ranked, and the facets of the result.

The index (a port, implemented per database in `storage/search.py`) matches words and computes the
relevance of each product; the rules that decide what is shown, and in which order, are here:
- DRAFT and ARCHIVED products are found only by their merchant's own people;
- relevance is the text score times a popularity boost of at most `POPULARITY_WEIGHT`, and sold-out
  products come after every product that can be bought, whatever their score (they sink, never lead);
- without words, "relevance" is popularity, then newest first (sold-out still last);
- facets count the filtered result, each facet without its own filter (so picking one brand still shows
  how many the other brands have), in the shopper's currency for price bands.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.limits import BRAND_MAX, CATEGORY_MAX, text_problem
from shoppable.domain.catalog.money import Money
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.search.analysis import (
    MAX_QUERY_WORDS,
    MIN_PREFIX_CHARS,
    edit_distance,
    fold,
    similarity,
    term,
    typo_budget,
    words,
)
from shoppable.domain.search.currency import REFERENCE_CURRENCY, PriceBand, has_rate, price_bands

if TYPE_CHECKING:
    from shoppable.domain.identity.actor import Actor
    from shoppable.domain.search.caches import SearchCountCache
    from shoppable.domain.uow import UnitOfWork

MAX_QUERY_CHARS = 200
MAX_FILTER_VALUES = 20
MAX_CORRECTIONS = 3
POPULARITY_WEIGHT = 0.5
"""The most popular product's text score is multiplied by 1.5, an unknown one's by 1."""

FIELD_WEIGHTS = {"title": 10.0, "brand": 6.0, "category": 4.0, "options": 2.0, "tags": 2.0, "body": 1.0}
"""How much a match in each field counts (BM25 column weights; PostgreSQL's A-D weights follow suit)."""


class ProductSort(StrEnum):
    RELEVANCE = "RELEVANCE"
    NEWEST = "NEWEST"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"


class FacetName(StrEnum):
    CATEGORY = "category"
    BRAND = "brand"
    MERCHANT = "merchant"
    PRICE_BAND = "priceBand"


class InvalidSearch(ValueError):
    """The caller's mistake (BAD_USER_INPUT): too long, NUL characters, too many filter values."""


@dataclass(frozen=True)
class QueryWord:
    """One word of the query: it matches any of its index terms, or (the word being typed) a prefix."""

    surface: str
    alternatives: tuple[str, ...]
    prefix: str | None = None


@dataclass(frozen=True)
class SearchInput:
    """What the caller asked for (already decoded; merchants by id)."""

    query: str | None = None
    merchant_ids: tuple[int, ...] | None = None
    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    price_min: Money | None = None
    price_max: Money | None = None
    available_only: bool = False
    currency: str | None = None
    sort: ProductSort = ProductSort.RELEVANCE
    status: ProductStatus | None = None


@dataclass(frozen=True)
class ProductSearch:
    """A resolved search, as the index runs it."""

    statuses: frozenset[ProductStatus]
    words: tuple[QueryWord, ...] = ()
    merchant_ids: tuple[int, ...] | None = None
    categories: tuple[str, ...] = ()  # folded keys
    brands: tuple[str, ...] = ()
    price_min: Money | None = None
    price_max: Money | None = None
    available_only: bool = False
    currency: str = REFERENCE_CURRENCY
    sort: ProductSort = ProductSort.RELEVANCE
    matches_nothing: bool = False  # words were given, but none that can be searched

    def without(self, facet: FacetName) -> ProductSearch:
        """The same search without the filter of one facet (facets are counted that way)."""
        from dataclasses import replace

        if facet is FacetName.CATEGORY:
            return replace(self, categories=())
        if facet is FacetName.BRAND:
            return replace(self, brands=())
        if facet is FacetName.MERCHANT:
            return replace(self, merchant_ids=None)
        return replace(self, price_min=None, price_max=None)

    def fingerprint(self) -> str:
        """Ties a cursor to the search it came from: a cursor of another query or sort is refused."""
        payload = json.dumps(
            [
                sorted(s.value for s in self.statuses),
                [(w.surface, w.prefix) for w in self.words],
                self.merchant_ids,
                self.categories,
                self.brands,
                str(self.price_min),
                str(self.price_max),
                self.available_only,
                self.currency,
                self.sort.value,
            ],
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    def counted(self) -> ProductSearch:
        """What the total and the facets depend on: everything but the order."""
        from dataclasses import replace

        return replace(self, sort=ProductSort.RELEVANCE)


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    band: PriceBand | None = None


@dataclass(frozen=True)
class FacetRow:
    category_key: str | None
    category: str | None
    brand_key: str | None
    brand: str | None
    merchant_handle: str | None
    merchant_name: str | None
    band: int | None
    count: int


@dataclass(frozen=True)
class Facet:
    name: FacetName
    values: list[FacetValue] = field(default_factory=list)


class ProductSearchIndex(Protocol):
    """The full-text index of the catalog (one row per product, kept in step by every write)."""

    async def catalog_languages(self) -> set[str]: ...

    async def version(self) -> int | None:
        """A number that changes with every committed write of the index (or of what its facets show),
        read in one statement; None while this transaction has writes of its own (see `caches.py`)."""
        ...

    def changed(self) -> None:
        """Something the facets show changed outside the index rows (a merchant's name)."""
        ...

    async def known_words(self, candidates: Sequence[str], prefix: str | None) -> tuple[set[str], bool]:
        """Which candidates are indexed words, and whether any indexed word starts with `prefix`."""
        ...

    async def similar_words(self, word: str, limit: int) -> list[str]:
        """Indexed words that share trigrams with `word`, most similar first."""
        ...

    async def search(self, search: ProductSearch, page: PageRequest) -> Page[int]:
        """Product ids in the search's order, with keyset keys."""
        ...

    async def count(self, search: ProductSearch) -> int: ...

    async def facet_counts(
        self, search: ProductSearch, facet: FacetName, bands: Sequence[PriceBand]
    ) -> list[tuple[str, str, int]]:
        """(value, label, count) of one facet; for price bands the value is the band's index."""
        ...

    async def facet_table(self, search: ProductSearch, bands: Sequence[PriceBand]) -> list[FacetRow]:
        """The result counted by (category, brand, merchant, price band) in one pass; every product is
        in exactly one row (NULLs included)."""
        ...

    # -- upkeep (the catalog repository keeps rows in step with each write; these rebuild) ---------

    async def clear(self) -> None: ...

    async def reindex_batch(self, after: int, limit: int) -> int | None:
        """Index the next `limit` products above id `after`; the last id, or None when none are left."""
        ...

    async def count_between(self, after: int, last: int) -> int: ...

    async def optimize(self) -> None: ...

    async def set_popularity(self, boosts: dict[int, float]) -> None: ...

    async def refresh_merchant(self, merchant_id: int) -> None:
        """Re-index one merchant's products (its catalog language changed)."""
        ...


def popularity_boost(engagement: float) -> float:
    """What is stored per product: 0 for nothing, approaching 1 for the most engaged-with."""
    return engagement / (engagement + 20.0) if engagement > 0 else 0.0


def _check_values(values: Sequence[str], name: str, max_chars: int) -> tuple[str, ...]:
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidSearch(f"`{name}` takes at most {MAX_FILTER_VALUES} values.")
    keys: dict[str, None] = {}
    for value in values:
        if problem := text_problem(value, max_chars):
            raise InvalidSearch(f"`{name}` value {problem}")
        keys.setdefault(filter_key(value), None)
    return tuple(k for k in keys if k)


def filter_key(value: str) -> str:
    """How a category or brand is matched: case, accents and spacing do not matter."""
    return " ".join(fold(value).split())


def check_query(query: str) -> None:
    if problem := text_problem(query, MAX_QUERY_CHARS):
        raise InvalidSearch(f"`query` {problem}")


async def resolve_words(index: ProductSearchIndex, query: str) -> tuple[QueryWord, ...]:
    """The query's words with their index terms in every catalog language, and the corrections of
    words the catalog does not have (typos), within `typo_budget` edits."""
    found = words(query)[:MAX_QUERY_WORDS]
    if not found:
        return ()
    languages = sorted(await index.catalog_languages()) or ["en"]
    surfaces = [fold(w) for w in found]
    last = surfaces[-1] if len(surfaces[-1]) >= MIN_PREFIX_CHARS and not found[-1].isdigit() else None
    known, prefix_known = await index.known_words(sorted(set(surfaces)), last)
    resolved: list[QueryWord] = []
    for position, (word, surface) in enumerate(zip(found, surfaces, strict=True)):
        alternatives = dict.fromkeys(
            t for language in languages for t in (term(word, language), term(surface, language))
        )
        is_last = position == len(found) - 1
        typed_so_far = is_last and last is not None and prefix_known
        budget = typo_budget(surface)
        if surface not in known and not typed_so_far and budget:
            candidates = await index.similar_words(surface, 40)
            close = sorted(
                (c for c in candidates if edit_distance(surface, c, budget + 1) <= budget),
                key=lambda c: (edit_distance(surface, c, budget + 1), -similarity(surface, c), c),
            )
            for correction in close[:MAX_CORRECTIONS]:
                alternatives.update(dict.fromkeys(term(correction, language) for language in languages))
        resolved.append(
            QueryWord(surface, tuple(alternatives), prefix=last if is_last and last is not None else None)
        )
    return tuple(resolved)


def visible_statuses(
    actor: Actor, merchant_ids: tuple[int, ...] | None, requested: ProductStatus | None
) -> frozenset[ProductStatus]:
    """ACTIVE for everyone; DRAFT and ARCHIVED only within one merchant's catalog, for its people."""
    from shoppable.domain.identity import policy

    own = (
        merchant_ids is not None
        and len(merchant_ids) == 1
        and policy.can_manage_catalog(actor, merchant_ids[0])
    )
    if own:
        return frozenset({requested}) if requested else frozenset(ProductStatus)
    if requested is not None and requested != ProductStatus.ACTIVE:
        return frozenset()
    return frozenset({ProductStatus.ACTIVE})


async def prepare(uow: UnitOfWork, actor: Actor, request: SearchInput) -> ProductSearch | None:
    """Check and resolve a request; None when it can show nothing to this actor."""
    if request.query is not None:
        check_query(request.query)
    categories = _check_values(request.categories, "categories", CATEGORY_MAX)
    brands = _check_values(request.brands, "brands", BRAND_MAX)
    if request.merchant_ids is not None and len(request.merchant_ids) > MAX_FILTER_VALUES:
        raise InvalidSearch(f"`merchantHandles` takes at most {MAX_FILTER_VALUES} values.")
    prices = [m for m in (request.price_min, request.price_max) if m is not None]
    if len({m.currency for m in prices}) > 1:
        raise InvalidSearch("`priceMin` and `priceMax` must be in the same currency.")
    if (
        request.price_min
        and request.price_max
        and request.price_min.amount_minor > request.price_max.amount_minor
    ):
        raise InvalidSearch("`priceMin` is above `priceMax`.")
    currency = (request.currency or (prices[0].currency if prices else REFERENCE_CURRENCY)).upper()
    if prices and currency != prices[0].currency:
        raise InvalidSearch("`currency` and the price filter's currency differ.")
    if not has_rate(currency) and not prices:
        currency = REFERENCE_CURRENCY
    statuses = visible_statuses(actor, request.merchant_ids, request.status)
    if not statuses or request.merchant_ids == ():
        return None
    text = (request.query or "").strip()
    resolved = await resolve_words(uow.search, text) if text else ()
    return ProductSearch(
        statuses=statuses,
        words=resolved,
        merchant_ids=request.merchant_ids,
        categories=categories,
        brands=brands,
        price_min=request.price_min,
        price_max=request.price_max,
        available_only=request.available_only,
        currency=currency,
        sort=request.sort,
        matches_nothing=bool(text) and not resolved,
    )


async def search_page(uow: UnitOfWork, search: ProductSearch, page: PageRequest) -> Page[int]:
    if search.matches_nothing:
        return Page(items=[], keys=[], has_next=False)
    return await uow.search.search(search, page)


async def total_count(uow: UnitOfWork, search: ProductSearch, cache: SearchCountCache | None = None) -> int:
    """The total alone (when the facets are not asked for); from `cache` when the catalog has not
    changed since the same search was counted."""
    if search.matches_nothing:
        return 0
    version = None if cache is None else await uow.search.version()
    if cache is not None and version is not None:
        found = cache.get(version, ("summary", search.counted()))
        if found is not None:
            return int(found[0])
        found = cache.get(version, ("total", search.counted()))
        if found is not None:
            return int(found)
    total = await uow.search.count(search)
    if cache is not None and version is not None:
        cache.put(version, ("total", search.counted()), total)
    return total


def has_own_filter(search: ProductSearch, facet: FacetName) -> bool:
    if facet is FacetName.CATEGORY:
        return bool(search.categories)
    if facet is FacetName.BRAND:
        return bool(search.brands)
    if facet is FacetName.MERCHANT:
        return search.merchant_ids is not None
    return search.price_min is not None or search.price_max is not None


MAX_FACET_VALUES = 30


def _top(counts: dict[tuple[str, str], int]) -> list[tuple[str, str, int]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    return [(value, label, n) for (value, label), n in ranked[:MAX_FACET_VALUES]]


async def summary(
    uow: UnitOfWork, search: ProductSearch, cache: SearchCountCache | None = None
) -> tuple[int, list[Facet]]:
    """The total and the facets, from `cache` when the catalog has not changed since the same search
    was counted (the version is read first, so what is stored is never older than its version)."""
    if search.matches_nothing:
        return 0, [Facet(name) for name in FacetName]
    version = None if cache is None else await uow.search.version()
    if cache is not None and version is not None:
        found = cache.get(version, ("summary", search.counted()))
        if found is not None:
            return found
    counted = await count_summary(uow, search, cache, version)
    if cache is not None and version is not None:
        cache.put(version, ("summary", search.counted()), counted)
    return counted


async def _own_filter_facet(
    uow: UnitOfWork,
    search: ProductSearch,
    name: FacetName,
    bands: Sequence[PriceBand],
    cache: SearchCountCache | None,
    version: int | None,
) -> list[tuple[str, str, int]]:
    """A facet whose filter is set, counted without it: the same for every value of that filter (the
    brand facet of one brand's page is that of every other brand's), so it is kept on its own."""
    unfiltered = search.without(name)
    key = ("facet", name, unfiltered.counted())
    if cache is not None and version is not None:
        found = cache.get(version, key)
        if found is not None:
            return list(found)
    rows = await uow.search.facet_counts(unfiltered, name, bands)
    if cache is not None and version is not None:
        cache.put(version, key, tuple(rows))
    return rows


async def count_summary(
    uow: UnitOfWork,
    search: ProductSearch,
    cache: SearchCountCache | None = None,
    version: int | None = None,
) -> tuple[int, list[Facet]]:
    """The total and the facets (category, brand, merchant, price band), each facet counted without
    its own filter (that facet from `cache` when counted at `version` for another value of the filter).

    One grouped pass over the result gives the total and every facet whose own filter is not set; a
    facet whose filter is set is counted on its own, without that filter."""
    bands = price_bands(search.currency)
    if search.matches_nothing:
        return 0, [Facet(name) for name in FacetName]
    table = await uow.search.facet_table(search, bands)
    total = 0
    shared: dict[FacetName, dict[tuple[str, str], int]] = {name: {} for name in FacetName}
    for row in table:
        total += row.count
        pairs = {
            FacetName.CATEGORY: (row.category_key, row.category),
            FacetName.BRAND: (row.brand_key, row.brand),
            FacetName.MERCHANT: (row.merchant_handle, row.merchant_name),
            FacetName.PRICE_BAND: (None if row.band is None else str(row.band), ""),
        }
        for name, (value, label) in pairs.items():
            if value is not None:
                key = (value, label or "")
                shared[name][key] = shared[name].get(key, 0) + row.count
    found: list[Facet] = []
    for name in FacetName:
        if has_own_filter(search, name):
            rows = await _own_filter_facet(uow, search, name, bands, cache, version)
        elif name is FacetName.PRICE_BAND:
            rows = [(value, label, n) for (value, label), n in shared[name].items()]
        else:
            rows = _top(shared[name])
        if name is FacetName.PRICE_BAND:
            values = [
                FacetValue(bands[int(v)].key, bands[int(v)].label, n, bands[int(v)])
                for v, _, n in sorted(rows, key=lambda r: int(r[0]))
            ]
        else:
            values = [FacetValue(v, label, n) for v, label, n in rows]
        found.append(Facet(name, values))
    return total, found


async def facets(uow: UnitOfWork, search: ProductSearch) -> list[Facet]:
    return (await summary(uow, search))[1]
