"""The product search index on SQLite (FTS5, BM25) and PostgreSQL (tsvector, GIN, ts_rank_cd).

Rows are built in Python (`index_row`, from `domain/search/analysis.py`), so both databases index the
same terms; each database matches and scores them with its own full-text engine. The catalog
repository calls `index_writes` and `refresh` from every write it makes, in the same transaction, so the
index never lags behind the catalog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from shoppable.domain.catalog.availability import Availability
from shoppable.domain.pagination import Key, Page, PageRequest
from shoppable.domain.search.analysis import document, normalize_language, surface_words, trigrams
from shoppable.domain.search.currency import PriceBand, reference_amount
from shoppable.domain.search.products import (
    FIELD_WEIGHTS,
    POPULARITY_WEIGHT,
    FacetName,
    FacetRow,
    ProductSearch,
    ProductSort,
    filter_key,
)
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import chunks, table_of
from shoppable.storage.tables import MerchantRow, ProductRow, SkuRow
from shoppable.storage.tables.search import (
    TRGM_SCHEMA,
    ProductSearchRow,
    SearchVersionRow,
    SearchWordRow,
)

index = table_of(ProductSearchRow)
search_words = table_of(SearchWordRow)
search_version = table_of(SearchVersionRow)
products = table_of(ProductRow)
skus = table_of(SkuRow)
merchants = table_of(MerchantRow)

MAX_FACET_VALUES = 30
NO_PRICE_HIGH = 1e18


@dataclass(frozen=True)
class IndexSource:
    """What one product's index row is made of."""

    product_id: int
    merchant_id: int
    status: str
    availability: str
    title: str
    description: str | None
    brand: str | None
    category: str | None
    option_values: Sequence[str]
    tags: Sequence[str]
    prices: Sequence[tuple[int, str]]  # (minor units, currency) of each SKU
    language: str


def _from_price(prices: Sequence[tuple[int, str]]) -> tuple[int | None, str | None, float | None]:
    """The lowest price (in the reference currency where the currencies differ)."""
    best: tuple[float, int, str] | None = None
    for amount, currency in prices:
        ref = reference_amount(amount, currency)
        candidate = (ref if ref is not None else float(amount), amount, currency)
        if best is None or candidate < best:
            best = candidate
    if best is None:
        return None, None, None
    return best[1], best[2], reference_amount(best[1], best[2])


def index_row(source: IndexSource) -> tuple[dict[str, Any], set[str]]:
    """The index row of a product, and the words it adds to the vocabulary."""
    language = normalize_language(source.language)
    options = " ".join(source.option_values)
    tags = " ".join(t for t in source.tags if "://" not in t)
    price_minor, currency, price_ref = _from_price(source.prices)
    row = {
        "product_id": source.product_id,
        "merchant_id": source.merchant_id,
        "status": source.status,
        "available": 0 if source.availability == Availability.OUT_OF_STOCK.value else 1,
        "language": language,
        "title_terms": document(source.title, language),
        "brand_terms": document(source.brand, language),
        "category_terms": document(source.category, language),
        "option_terms": document(options, language),
        "tag_terms": document(tags, language),
        "body_terms": document(source.description, language),
        "brand": source.brand,
        "brand_key": filter_key(source.brand) if source.brand else None,
        "category": source.category,
        "category_key": filter_key(source.category) if source.category else None,
        "price_minor": price_minor,
        "currency": currency,
        "price_ref": price_ref,
    }
    vocabulary = set()
    for text_value in (source.title, source.brand, source.category, options, tags, source.description):
        vocabulary |= surface_words(text_value)
    return row, vocabulary


def _index_rows(sources: Sequence[IndexSource]) -> tuple[list[dict[str, Any]], set[str]]:
    rows: list[dict[str, Any]] = []
    vocabulary: set[str] = set()
    for source in sources:
        row, words = index_row(source)
        rows.append(row | {"popularity": 0.0})
        vocabulary |= words
    return rows, vocabulary


def _fts_query(search: ProductSearch) -> str:
    groups = []
    for word in search.words:
        parts = [f'"{a.replace(chr(34), "")}"' for a in word.alternatives]
        if word.prefix:
            parts.append(f'"{word.prefix.replace(chr(34), "")}"*')
        groups.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(groups)


def _ts_query(search: ProductSearch) -> str:
    def quote(value: str) -> str:
        return "'" + value.replace("\\", "").replace("'", "") + "'"

    groups = []
    for word in search.words:
        parts = [quote(a) for a in word.alternatives]
        if word.prefix:
            parts.append(quote(word.prefix) + ":*")
        groups.append("(" + " | ".join(parts) + ")")
    return " & ".join(groups)


class SqlSearchIndex:
    """Implements `shoppable.domain.search.products.ProductSearchIndex`, and the index's upkeep."""

    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow
        self._words_added: set[str] = set()
        self.wrote = False
        """This transaction changed the index (or what its facets show): the unit of work bumps the
        search version when it commits, and searches in this transaction are not served from a cache."""

    # -- the version (what cached totals and facets are keyed by) -----------------------------------

    def changed(self) -> None:
        self.wrote = True

    async def version(self) -> int | None:
        """The committed search version; None while this transaction has writes of its own."""
        if self.wrote:
            return None
        found = (
            await self.uow.execute(select(search_version.c.version).where(search_version.c.id == 1))
        ).scalar_one_or_none()
        return int(found or 0)

    async def bump_version(self) -> None:
        """Called by the unit of work as the last statement before committing a transaction that wrote
        the index: the row lock is held only for the commit, and the new number becomes visible in the
        same instant as the rows it stands for."""
        if not self.wrote:
            return
        dialect_insert = postgresql.insert if self.uow.dialect == "postgresql" else sqlite.insert
        stmt = dialect_insert(search_version).values(id=1, version=1)
        await self.uow.execute(
            stmt.on_conflict_do_update(
                index_elements=[search_version.c.id], set_={"version": search_version.c.version + 1}
            )
        )
        self.wrote = False

    # -- upkeep ------------------------------------------------------------------------------------

    async def languages_of(self, merchant_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(merchant_ids))
        if not ids:
            return {}
        rows = await self.uow.execute(
            select(merchants.c.id, merchants.c.language).where(merchants.c.id.in_(ids))
        )
        return {r.id: r.language for r in rows}

    async def store(self, sources: Sequence[IndexSource], *, new: bool = False) -> None:
        """Write the index rows of these products (replacing theirs); `new`: none of them has one yet."""
        if not sources:
            return
        self.wrote = True
        # Analysis is CPU work: a batch of an import is analysed off the event loop.
        rows, vocabulary = (
            await asyncio.to_thread(_index_rows, sources) if len(sources) > 20 else _index_rows(sources)
        )
        if self.uow.dialect == "postgresql" and new:
            columns = list(rows[0])
            await self.uow.copy_rows("product_search", columns, [tuple(r[c] for c in columns) for r in rows])
        else:
            dialect_insert = postgresql.insert if self.uow.dialect == "postgresql" else sqlite.insert
            for chunk in chunks(rows, 200):
                stmt = dialect_insert(index)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[index.c.product_id],
                    set_={c: stmt.excluded[c] for c in rows[0] if c not in ("product_id", "popularity")},
                )
                await self.uow.execute(stmt, list(chunk))
        await self._add_words(vocabulary)

    async def _add_words(self, vocabulary: set[str]) -> None:
        fresh = sorted(vocabulary - self._words_added)
        if not fresh:
            return
        dialect_insert = postgresql.insert if self.uow.dialect == "postgresql" else sqlite.insert
        for chunk in chunks(fresh, 1000):
            await self.uow.execute(
                dialect_insert(search_words).on_conflict_do_nothing(index_elements=[search_words.c.word]),
                [{"word": w} for w in chunk],
            )
        self._words_added.update(fresh)

    async def sources(self, product_ids: Sequence[int]) -> list[IndexSource]:
        """Index sources of these products, read back from the catalog."""
        found: list[IndexSource] = []
        for chunk in chunks(sorted(set(product_ids))):
            product_rows = (
                await self.uow.execute(
                    select(
                        products.c.id,
                        products.c.merchant_id,
                        products.c.status,
                        products.c.availability,
                        products.c.title,
                        products.c.description,
                        products.c.brand,
                        products.c.category,
                        products.c.extra,
                        merchants.c.language,
                    )
                    .join(merchants, merchants.c.id == products.c.merchant_id)
                    .where(products.c.id.in_(chunk))
                )
            ).all()
            sku_rows = (
                await self.uow.execute(
                    select(skus.c.product_id, skus.c.price_minor, skus.c.currency, skus.c.options).where(
                        skus.c.product_id.in_(chunk)
                    )
                )
            ).all()
            per_product: dict[int, list[Any]] = {}
            for s in sku_rows:
                per_product.setdefault(s.product_id, []).append(s)
            for p in product_rows:
                own = per_product.get(p.id, [])
                found.append(
                    IndexSource(
                        product_id=p.id,
                        merchant_id=p.merchant_id,
                        status=p.status,
                        availability=p.availability,
                        title=p.title,
                        description=p.description,
                        brand=p.brand,
                        category=p.category,
                        option_values=[value for s in own for _, value in (s.options or ())],
                        tags=[value for _, value in (p.extra or ())],
                        prices=[(s.price_minor, s.currency) for s in own],
                        language=p.language,
                    )
                )
        return found

    async def refresh(self, product_ids: Sequence[int]) -> None:
        """Re-read these products from the catalog into the index (status, stock, prices changed)."""
        await self.store(await self.sources(product_ids))

    async def set_available(self, states: Sequence[tuple[int, Availability]]) -> None:
        """Stock changed: only the availability of these products (one statement)."""
        if states:
            self.wrote = True
            await self.uow.execute(
                update(index)
                .where(index.c.product_id == bindparam("b_id"))
                .values(available=bindparam("b_available")),
                [
                    {"b_id": pid, "b_available": 0 if state is Availability.OUT_OF_STOCK else 1}
                    for pid, state in states
                ],
            )

    async def set_status(self, product_ids: Sequence[int], status: str) -> None:
        self.wrote = True
        for chunk in chunks(list(product_ids)):
            await self.uow.execute(update(index).where(index.c.product_id.in_(chunk)).values(status=status))

    async def reindex_batch(self, after: int, limit: int) -> int | None:
        """Rebuild the rows of the next `limit` products above id `after`; the last id, None when done."""
        ids = [
            r[0]
            for r in await self.uow.execute(
                select(products.c.id).where(products.c.id > after).order_by(products.c.id).limit(limit)
            )
        ]
        if not ids:
            return None
        await self.store(await self.sources(ids))
        return ids[-1]

    async def count_between(self, after: int, last: int) -> int:
        stmt = (
            select(func.count())
            .select_from(index)
            .where(index.c.product_id > after, index.c.product_id <= last)
        )
        return int((await self.uow.execute(stmt)).scalar_one())

    async def refresh_merchant(self, merchant_id: int) -> None:
        after = 0
        while True:
            ids = [
                r[0]
                for r in await self.uow.execute(
                    select(products.c.id)
                    .where(products.c.merchant_id == merchant_id, products.c.id > after)
                    .order_by(products.c.id)
                    .limit(1000)
                )
            ]
            if not ids:
                return
            await self.refresh(ids)
            after = ids[-1]

    async def clear(self) -> None:
        """Empty the index and its vocabulary (before a full rebuild)."""
        self.wrote = True
        await self.uow.execute(delete(index))
        await self.uow.execute(delete(search_words))
        self._words_added.clear()

    async def optimize(self) -> None:
        if self.uow.dialect == "sqlite":
            await self.uow.execute(text("INSERT INTO product_fts(product_fts) VALUES ('optimize')"))
            await self.uow.execute(
                text("INSERT INTO search_words_trigram(search_words_trigram) VALUES ('optimize')")
            )
        else:
            await self.uow.execute(text("ANALYZE product_search, search_words"))

    async def set_popularity(self, boosts: dict[int, float]) -> None:
        """Store each product's popularity boost; products not named go back to none."""
        self.wrote = True
        await self.uow.execute(update(index).where(index.c.popularity != 0).values(popularity=0.0))
        if boosts:
            await self.uow.execute(
                update(index)
                .where(index.c.product_id == bindparam("b_id"))
                .values(popularity=bindparam("b_pop")),
                [{"b_id": pid, "b_pop": boost} for pid, boost in boosts.items()],
            )

    # -- queries -----------------------------------------------------------------------------------

    async def catalog_languages(self) -> set[str]:
        rows = await self.uow.execute(select(merchants.c.language).distinct())
        return {normalize_language(r[0]) for r in rows}

    async def known_words(self, candidates: Sequence[str], prefix: str | None) -> tuple[set[str], bool]:
        stmt = select(search_words.c.word).where(search_words.c.word.in_(list(candidates)))
        if prefix:
            starts: Any
            if self.uow.dialect == "postgresql":
                starts = search_words.c.word.like(prefix.replace("%", "").replace("_", "") + "%")
            else:
                starts = and_(search_words.c.word >= prefix, search_words.c.word < prefix + "\U0010ffff")
            probe = select(literal("*").label("word")).where(select(search_words.c.id).where(starts).exists())
            stmt = stmt.union_all(probe)  # type: ignore[assignment]
        found = {r[0] for r in await self.uow.execute(stmt)}
        return found - {"*"}, "*" in found

    async def similar_words(self, word: str, limit: int) -> list[str]:
        if self.uow.dialect == "postgresql":
            await self.uow.execute(text("SELECT set_config('pg_trgm.similarity_threshold', '0.2', true)"))
            rows = await self.uow.execute(
                text(
                    f"SELECT word FROM search_words WHERE word OPERATOR({TRGM_SCHEMA}.%) :w "
                    f"ORDER BY {TRGM_SCHEMA}.similarity(word, :w) DESC, word LIMIT :n"
                ),
                {"w": word, "n": limit},
            )
            return [r[0] for r in rows]
        grams = sorted(trigrams(word))
        if not grams:
            return []
        match = " OR ".join(f'"{g}"' for g in grams if '"' not in g)
        rows = await self.uow.execute(
            text(
                "SELECT w.word FROM search_words_trigram t JOIN search_words w ON w.id = t.rowid "
                "WHERE search_words_trigram MATCH :m ORDER BY t.rank LIMIT :n"
            ),
            {"m": match, "n": limit},
        )
        return [r[0] for r in rows]

    def _conditions(self, search: ProductSearch) -> list[Any]:
        conditions: list[Any] = [index.c.status.in_(sorted(s.value for s in search.statuses))]
        if search.merchant_ids is not None:
            conditions.append(index.c.merchant_id.in_(list(search.merchant_ids)))
        if search.categories:
            conditions.append(index.c.category_key.in_(list(search.categories)))
        if search.brands:
            conditions.append(index.c.brand_key.in_(list(search.brands)))
        if search.available_only:
            conditions.append(index.c.available == 1)
        if search.price_min is not None:
            conditions.append(self._price_at_least(search.price_min.amount_minor, search.currency))
        if search.price_max is not None:
            conditions.append(~self._price_at_least(search.price_max.amount_minor + 1, search.currency))
            conditions.append(index.c.price_minor.is_not(None))
        return conditions

    def _price_at_least(self, amount_minor: int, currency: str) -> Any:
        """Exact in the shopper's own currency, through the reference currency for others."""
        same = and_(index.c.currency == currency, index.c.price_minor >= amount_minor)
        ref = reference_amount(amount_minor, currency)
        if ref is None:
            return same
        return or_(same, and_(index.c.currency != currency, index.c.price_ref >= ref))

    def _text_match(self, search: ProductSearch) -> Any:
        if self.uow.dialect == "postgresql":
            tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), literal(_ts_query(search)))
            return literal_column("product_search.document").op("@@")(tsquery)
        hits = text("SELECT rowid FROM product_fts WHERE product_fts MATCH :fts").bindparams(
            fts=_fts_query(search)
        )
        return index.c.product_id.in_(hits)

    async def search(self, search: ProductSearch, page: PageRequest) -> Page[int]:
        conditions = self._conditions(search)
        keyed: list[tuple[Any, bool]]  # (expression, descending)
        if search.sort is ProductSort.RELEVANCE and search.words:
            boost = 1.0 + POPULARITY_WEIGHT * index.c.popularity
            if self.uow.dialect == "postgresql":
                tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), literal(_ts_query(search)))
                relevance = func.ts_rank_cd(
                    literal_column(_pg_weights()), literal_column("product_search.document"), tsquery
                )
                conditions.append(literal_column("product_search.document").op("@@")(tsquery))
                score = (relevance.cast(Float) * boost).label("score")
                inner = select(index.c.product_id, index.c.available, score).where(*conditions).subquery()
            else:
                column_weights = ", ".join(repr(w) for w in FIELD_WEIGHTS.values())
                hits = (
                    select(
                        literal_column("rowid").label("pid"),
                        literal_column(f"-bm25(product_fts, {column_weights})").label("rel"),
                    )
                    .select_from(text("product_fts"))
                    .where(text("product_fts MATCH :fts").bindparams(fts=_fts_query(search)))
                    .cte("hits")
                    .prefix_with("MATERIALIZED")
                )
                score = (hits.c.rel * boost).label("score")
                inner = (
                    select(index.c.product_id, index.c.available, score)
                    .select_from(hits.join(index, index.c.product_id == hits.c.pid))
                    .where(*conditions)
                    .subquery()
                )
            keyed = [(inner.c.available, True), (inner.c.score, True), (inner.c.product_id, True)]
            stmt = select(*(c for c, _ in keyed)).select_from(inner)
        else:
            if search.words:
                conditions.append(self._text_match(search))
            if search.sort is ProductSort.NEWEST:
                keyed = [(index.c.product_id, True)]
            elif search.sort is ProductSort.PRICE_ASC:
                keyed = [
                    (func.coalesce(index.c.price_ref, NO_PRICE_HIGH), False),
                    (index.c.product_id, False),
                ]
            elif search.sort is ProductSort.PRICE_DESC:
                keyed = [(func.coalesce(index.c.price_ref, -1.0), True), (index.c.product_id, True)]
            else:
                keyed = [(index.c.available, True), (index.c.popularity, True), (index.c.product_id, True)]
            stmt = select(*(c for c, _ in keyed)).where(*conditions)
        if page.after is not None:
            stmt = stmt.where(_after(keyed, page.after))
        order = [c.desc() if desc else c.asc() for c, desc in keyed]
        rows = (await self.uow.execute(stmt.order_by(*order).limit(page.first + 1))).all()
        items = [int(r[-1]) for r in rows]
        keys: list[Key] = [tuple(_plain(v) for v in r) for r in rows]
        shown = items[: page.first]
        return Page(items=shown, keys=keys[: page.first], has_next=len(rows) > page.first)

    async def count(self, search: ProductSearch) -> int:
        conditions = self._conditions(search)
        if search.words:
            conditions.append(self._text_match(search))
        return int(
            (await self.uow.execute(select(func.count()).select_from(index).where(*conditions))).scalar_one()
        )

    def _band_of(self, search: ProductSearch, bands: Sequence[PriceBand]) -> Any:
        whens = [
            (~self._price_at_least(band.max.amount_minor, search.currency), i)
            for i, band in enumerate(bands)
            if band.max is not None
        ]
        return case((index.c.price_minor.is_(None), None), *whens, else_=len(bands) - 1)

    async def facet_table(self, search: ProductSearch, bands: Sequence[PriceBand]) -> list[FacetRow]:
        conditions = self._conditions(search)
        if search.words:
            conditions.append(self._text_match(search))
        band = self._band_of(search, bands).label("band")
        grouped = (
            select(
                index.c.category_key,
                func.min(index.c.category).label("category"),
                index.c.brand_key,
                func.min(index.c.brand).label("brand"),
                index.c.merchant_id,
                band,
                func.count().label("n"),
            )
            .where(*conditions)
            .group_by(index.c.category_key, index.c.brand_key, index.c.merchant_id, band)
            .subquery()
        )
        stmt = select(grouped, merchants.c.handle, merchants.c.name).select_from(
            grouped.join(merchants, merchants.c.id == grouped.c.merchant_id)
        )
        return [
            FacetRow(
                r.category_key, r.category, r.brand_key, r.brand, r.handle, r.name,
                None if r.band is None else int(r.band), int(r.n),
            )
            for r in await self.uow.execute(stmt)
        ]  # fmt: skip

    async def facet_counts(
        self, search: ProductSearch, facet: FacetName, bands: Sequence[PriceBand]
    ) -> list[tuple[str, str, int]]:
        conditions = self._conditions(search)
        if search.words:
            conditions.append(self._text_match(search))
        n = func.count().label("n")
        stmt: Any
        if facet is FacetName.CATEGORY or facet is FacetName.BRAND:
            key = index.c.category_key if facet is FacetName.CATEGORY else index.c.brand_key
            shown = index.c.category if facet is FacetName.CATEGORY else index.c.brand
            stmt = (
                select(key, func.min(shown), n)
                .where(*conditions, key.is_not(None))
                .group_by(key)
                .order_by(n.desc(), key)
                .limit(MAX_FACET_VALUES)
            )
        elif facet is FacetName.MERCHANT:
            stmt = (
                select(merchants.c.handle, func.min(merchants.c.name), n)
                .select_from(index.join(merchants, merchants.c.id == index.c.merchant_id))
                .where(*conditions)
                .group_by(merchants.c.handle)
                .order_by(n.desc(), merchants.c.handle)
                .limit(MAX_FACET_VALUES)
            )
        else:
            whens = [
                (~self._price_at_least(band.max.amount_minor, search.currency), str(i))
                for i, band in enumerate(bands)
                if band.max is not None
            ]
            band_of = case(*whens, else_=str(len(bands) - 1)).label("band")
            priced = [index.c.price_minor.is_not(None)]
            banded: Any = select(band_of, n).where(*conditions, *priced).group_by(band_of)
            counted: list[Any] = list((await self.uow.execute(banded)).all())
            return [(str(band), "", int(count)) for band, count in counted]
        grouped: list[Any] = list((await self.uow.execute(stmt)).all())
        return [(str(value), str(label), int(count)) for value, label, count in grouped]


def _pg_weights() -> str:
    """ts_rank_cd's weights of D, C, B and A: body, options and tags, brand and category, title."""
    top = FIELD_WEIGHTS["title"]
    d = FIELD_WEIGHTS["body"] / top
    c = FIELD_WEIGHTS["options"] / top
    b = (FIELD_WEIGHTS["brand"] + FIELD_WEIGHTS["category"]) / 2 / top
    return f"'{{{d}, {c}, {b}, 1.0}}'::float4[]"


def _plain(value: Any) -> int | float:
    return float(value) if isinstance(value, float) else int(value)


def _after(keyed: Sequence[tuple[Any, bool]], key: Sequence[Any]) -> Any:
    """Rows after `key` in the lexicographic order of the keyed expressions."""
    alternatives = []
    for i, (expression, descending) in enumerate(keyed):
        equal = [keyed[j][0] == key[j] for j in range(i)]
        beyond = expression < key[i] if descending else expression > key[i]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)
