"""SQL implementation of the catalog repository: products written whole and in bulk (one statement
per kind of change), fast stock and price changes (one guarded statement each), and the archive step
of full imports."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Table,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.sql import Select

from shoppable.domain.catalog.availability import Availability, InventoryPolicy
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.money import Money
from shoppable.domain.catalog.ports import ProductFilter
from shoppable.domain.catalog.records import Product, ProductImage, Sku
from shoppable.domain.catalog.sync import ExistingProduct, ProductWrite
from shoppable.domain.identity.records import Merchant
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.domain.vision.ingest import url_hash
from shoppable.domain.vision.records import CatalogImageRendition, ImageStatus
from shoppable.storage.db import SqlTransaction
from shoppable.storage.identity import merchant_from_row, merchants
from shoppable.storage.search import IndexSource, SqlSearchIndex
from shoppable.storage.sql import IDS, Prefixed, chunks, ids_param, table_of
from shoppable.storage.tables import CatalogImageRow, ProductImageRow, ProductRow, SkuRow, StockHoldRow
from shoppable.storage.types import utcnow

products = table_of(ProductRow)
images = table_of(ProductImageRow)
catalog_images = table_of(CatalogImageRow)
skus = table_of(SkuRow)
holds = table_of(StockHoldRow)


def product_from_row(row: Any) -> Product:
    return Product(
        id=row.id,
        merchant_id=row.merchant_id,
        handle=row.handle,
        title=row.title,
        description=row.description,
        brand=row.brand,
        category=row.category,
        status=ProductStatus(row.status),
        option_names=tuple(row.option_names or ()),
        availability=Availability(row.availability),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def sku_from_row(row: Any) -> Sku:
    return Sku(
        id=row.id,
        product_id=row.product_id,
        merchant_id=row.merchant_id,
        sku=row.sku,
        title=row.title,
        options=tuple((name, value) for name, value in row.options or ()),
        price=Money(row.price_minor, row.currency),
        compare_at_price=Money(row.compare_at_minor, row.currency)
        if row.compare_at_minor is not None
        else None,
        quantity=row.quantity,
        inventory_policy=InventoryPolicy(row.inventory_policy),
        availability=Availability(row.availability),
        gtin=row.gtin,
        mpn=row.mpn,
        image_url=row.image_url,
    )


_SKU_COLUMNS = (
    "product_id", "position", "id", "merchant_id", "sku", "title", "options", "price_minor", "currency",
    "compare_at_minor", "quantity", "inventory_policy", "availability", "gtin", "mpn", "image_url",
)  # fmt: skip
"""What `sku_from_row` reads (the first three are also an image's)."""


@functools.cache
def _products_with_merchants() -> Select[Any]:
    """Products among `IDS` with their merchants' columns as `merchant__<name>` (built once)."""
    return (
        select(products, *(column.label(f"merchant__{column.name}") for column in merchants.c))
        .join(merchants, merchants.c.id == products.c.merchant_id)
        .where(products.c.id.in_(ids_param()))
    )


@functools.cache
def _skus_and_images() -> Select[Any]:
    """The SKUs and images of the products among `IDS` as one UNION ALL (built once): each branch
    fills the other's columns with typed NULLs, and `kind` says which a row is."""
    sku_columns = [skus.c[name] for name in _SKU_COLUMNS]
    image_columns = [images.c.url, images.c.alt_text, catalog_images.c.renditions.label("hosted")]
    of_skus = select(
        literal("sku").label("kind"),
        *sku_columns,
        *(cast(null(), c.type).label(c.name) for c in image_columns),
    ).where(skus.c.product_id.in_(ids_param()))
    of_images = (
        select(
            literal("image").label("kind"),
            *(images.c[c.name] if c.name in images.c else cast(null(), c.type) for c in sku_columns),
            *image_columns,
        )
        .outerjoin(
            catalog_images,
            (catalog_images.c.url_hash == images.c.url_hash)
            & (catalog_images.c.status == ImageStatus.READY.value),
        )
        .where(images.c.product_id.in_(ids_param()))
    )
    union = union_all(of_skus, of_images).subquery()
    return select(union).order_by(union.c.kind, union.c.product_id, union.c.position, union.c.id)


def image_from_row(row: Any) -> ProductImage:
    hosted = getattr(row, "hosted", None) or ()
    return ProductImage(
        id=row.id,
        product_id=row.product_id,
        position=row.position,
        url=row.url,
        alt_text=row.alt_text,
        hosted=tuple(CatalogImageRendition(int(w), int(h), str(k)) for w, h, k in hosted),
    )


def _product_values(merchant_id: int, write: ProductWrite) -> dict[str, Any]:
    d = write.draft
    return {
        "merchant_id": merchant_id,
        "handle": d.handle,
        "title": d.title,
        "description": d.description,
        "brand": d.brand,
        "category": d.category,
        "status": d.status.value,
        "option_names": list(d.option_names),
        "extra": [list(pair) for pair in d.extra],
        "availability": write.availability.value,
        "content_hash": write.content_hash,
        "updated_at": utcnow(),
    }


class SqlCatalogRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow
        self._written = 0
        self._analyzed_at = 0
        self.search_index = SqlSearchIndex(uow)

    async def _keep_statistics_fresh(self, written: int) -> None:
        """On PostgreSQL, re-ANALYZE whenever a bulk write has doubled what this repository wrote.

        A big first import into young tables otherwise keeps query plans made when they were nearly
        empty (sequential scans for the per-batch SKU lookups), and slows down more with every batch.
        ANALYZE also invalidates those cached plans.
        """
        self._written += written
        if self.uow.dialect == "postgresql" and self._written >= max(2 * self._analyzed_at, 5_000):
            await self.uow.execute(text("ANALYZE products, skus, product_images"))
            self._analyzed_at = self._written

    def _in(self, column: Any, values: Sequence[Any]) -> list[Any]:
        """Membership tests for a batch: one `= ANY(array)` on PostgreSQL (one round trip, one plan),
        chunked IN lists elsewhere."""
        distinct = list(dict.fromkeys(values))
        if self.uow.dialect == "postgresql":
            return [column == any_(bindparam(None, distinct, type_=ARRAY(column.type)))] if distinct else []
        return [column.in_(chunk) for chunk in chunks(distinct)]

    async def existing_products(self, merchant_id: int, handles: Sequence[str]) -> dict[str, ExistingProduct]:
        found: dict[str, ExistingProduct] = {}
        for condition in self._in(products.c.handle, handles):
            rows = await self.uow.execute(
                select(products.c.id, products.c.handle, products.c.content_hash).where(
                    products.c.merchant_id == merchant_id, condition
                )
            )
            found.update({r.handle: ExistingProduct(r.id, r.content_hash) for r in rows})
        return found

    async def lock_catalog(self, merchant_id: int) -> None:
        # SQLite writers already hold the database's one write lock (BEGIN IMMEDIATE).
        if self.uow.dialect == "postgresql":
            await self.uow.execute(
                text("SELECT id FROM merchants WHERE id = :merchant_id FOR UPDATE"),
                {"merchant_id": merchant_id},
            )

    async def sku_owners(self, merchant_id: int, codes: Sequence[str]) -> dict[str, int]:
        owners: dict[str, int] = {}
        for condition in self._in(skus.c.sku, codes):
            rows = await self.uow.execute(
                select(skus.c.sku, skus.c.product_id).where(skus.c.merchant_id == merchant_id, condition)
            )
            owners.update({r.sku: r.product_id for r in rows})
        return owners

    async def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """COPY rows (dicts with the same keys) into a PostgreSQL table; JSON columns go as text.

        Built for speed (an import copies millions of cells): one itemgetter per row, and each
        distinct JSON value (option lists repeat a lot) serialized once.
        """
        columns = list(rows[0])
        json_at = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, JSON)]
        pick = itemgetter(*columns)
        records: list[tuple[Any, ...]] = [pick(row) for row in rows]
        if json_at:
            encoded: dict[Any, str] = {}

            def dump(value: Any) -> str:
                try:
                    return (
                        encoded[value] if value in encoded else encoded.setdefault(value, json.dumps(value))
                    )
                except TypeError:  # unhashable (a list): no memo
                    return json.dumps(value)

            converted = []
            for record in records:
                cells = list(record)
                for i in json_at:
                    cells[i] = dump(cells[i])
                converted.append(tuple(cells))
            records = converted
        await self.uow.copy_rows(table.name, columns, records)

    async def write_products(self, merchant_id: int, writes: Sequence[ProductWrite]) -> list[int]:
        """Store each product whole: row, images and SKUs, replacing what the draft no longer has."""
        if not writes:
            return []
        now = utcnow()
        new = [w for w in writes if w.product_id is None]
        changed = [w for w in writes if w.product_id is not None]
        ids: dict[int, int] = {w.index: w.product_id for w in changed if w.product_id is not None}
        if new:
            # Ids are matched by handle: asking RETURNING for the input order would make SQLite insert
            # one row per statement.
            rows = [_product_values(merchant_id, w) | {"created_at": now} for w in new]
            if self.uow.dialect == "postgresql":
                await self._copy(products, rows)
                created = {
                    h: p.id
                    for h, p in (
                        await self.existing_products(merchant_id, [w.draft.handle for w in new])
                    ).items()
                }
            else:
                result = await self.uow.execute(
                    insert(products).returning(products.c.id, products.c.handle), rows
                )
                created = {row.handle: row.id for row in result}
            for write in new:
                ids[write.index] = created[write.draft.handle]
        if changed:
            params = [_product_values(merchant_id, w) | {"b_id": w.product_id} for w in changed]
            stmt = update(products).where(products.c.id == bindparam("b_id"))
            await self.uow.execute(stmt.values({k: bindparam(k) for k in params[0] if k != "b_id"}), params)
            changed_ids = [w.product_id for w in changed]
            for chunk in chunks(changed_ids):
                await self.uow.execute(delete(images).where(images.c.product_id.in_(chunk)))
        image_rows = [
            {
                "product_id": ids[w.index],
                "position": pos,
                "url": url,
                "url_hash": url_hash(url),
                "alt_text": None,
            }
            for w in writes
            for pos, url in enumerate(w.draft.images)
        ]
        if image_rows and self.uow.dialect == "postgresql":
            await self._copy(images, image_rows)
        elif image_rows:
            await self.uow.execute(insert(images), image_rows)
        await self._write_skus(merchant_id, writes, ids)
        await self._index(merchant_id, new, changed, ids)
        await self._keep_statistics_fresh(sum(len(w.draft.skus) for w in writes))
        return [ids[w.index] for w in writes]

    async def _index(
        self,
        merchant_id: int,
        new: Sequence[ProductWrite],
        changed: Sequence[ProductWrite],
        ids: dict[int, int],
    ) -> None:
        """The search index follows in the same transaction, built from the drafts just written."""
        language = (await self.search_index.languages_of([merchant_id])).get(merchant_id, "en")

        def source(write: ProductWrite) -> IndexSource:
            d = write.draft
            return IndexSource(
                product_id=ids[write.index],
                merchant_id=merchant_id,
                status=d.status.value,
                availability=write.availability.value,
                title=d.title,
                description=d.description,
                brand=d.brand,
                category=d.category,
                option_values=[value for sku in d.skus for _, value in sku.options],
                tags=[value for _, value in d.extra],
                prices=[(sku.price.amount_minor, sku.price.currency) for sku in d.skus],
                language=language,
            )

        await self.search_index.store([source(w) for w in new], new=True)
        await self.search_index.store([source(w) for w in changed])

    async def _write_skus(
        self, merchant_id: int, writes: Sequence[ProductWrite], ids: dict[int, int]
    ) -> None:
        """SKU rows are most of an import: their timestamp is the database's, not bound per row."""
        existing: dict[tuple[int, str], int] = {}
        changed_ids = [ids[w.index] for w in writes if w.product_id is not None]
        for chunk in chunks(changed_ids):
            rows = await self.uow.execute(
                select(skus.c.id, skus.c.product_id, skus.c.sku).where(skus.c.product_id.in_(chunk))
            )
            existing.update({(r.product_id, r.sku): r.id for r in rows})
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        kept: set[int] = set()
        for write in writes:
            product_id = ids[write.index]
            for position, (draft, availability) in enumerate(
                zip(write.draft.skus, write.sku_availability, strict=True)
            ):
                values = {
                    "product_id": product_id,
                    "merchant_id": merchant_id,
                    "sku": draft.sku,
                    "position": position,
                    "title": draft.title,
                    "options": draft.options,  # JSON writes the (name, value) tuples as arrays
                    "price_minor": draft.price.amount_minor,
                    "currency": draft.price.currency,
                    "compare_at_minor": draft.compare_at_price.amount_minor
                    if draft.compare_at_price
                    else None,
                    "quantity": draft.quantity,
                    "inventory_policy": draft.inventory_policy.value,
                    "availability": availability.value,
                    "gtin": draft.gtin,
                    "mpn": draft.mpn,
                    "image_url": draft.image_url,
                }
                sku_id = existing.get((product_id, draft.sku))
                if sku_id is None:
                    inserts.append(values)
                else:
                    kept.add(sku_id)
                    updates.append(values | {"b_id": sku_id})
        removed = [sku_id for sku_id in existing.values() if sku_id not in kept]
        for chunk in chunks(removed):
            await self.uow.execute(delete(skus).where(skus.c.id.in_(chunk)))
        if updates:
            stmt = update(skus).where(skus.c.id == bindparam("b_id"))
            columns: dict[str, Any] = {k: bindparam(k) for k in updates[0] if k != "b_id"}
            await self.uow.execute(stmt.values({**columns, "updated_at": func.now()}), updates)
        if inserts and self.uow.dialect == "postgresql":
            now = utcnow()
            await self._copy(skus, [row | {"updated_at": now} for row in inserts])
        elif inserts:
            await self.uow.execute(insert(skus).values(updated_at=func.now()), inserts)

    async def get_products(self, ids: Sequence[int]) -> list[Product]:
        found: list[Product] = []
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(select(products).where(products.c.id.in_(chunk)))
            found.extend(product_from_row(r) for r in rows)
        return found

    async def products_with_merchants(self, ids: Sequence[int]) -> list[tuple[Product, Merchant]]:
        found: list[tuple[Product, Merchant]] = []
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(_products_with_merchants(), {IDS: list(chunk)})
            found.extend((product_from_row(r), merchant_from_row(Prefixed(r, "merchant__"))) for r in rows)
        return found

    async def get_products_by_handle(self, merchant_id: int, handle: str) -> Product | None:
        row = (
            await self.uow.execute(
                select(products).where(products.c.merchant_id == merchant_id, products.c.handle == handle)
            )
        ).first()
        return product_from_row(row) if row else None

    async def list_products(self, where: ProductFilter, page: PageRequest) -> Page[Product]:
        """Newest first, keyset on id (ids only grow, so rows inserted meanwhile never shift a page).
        Shoppers' listings and searches go through the search index (`storage/search.py`)."""
        stmt = select(products).where(products.c.status.in_([s.value for s in where.statuses]))
        if where.merchant_id is not None:
            stmt = stmt.where(products.c.merchant_id == where.merchant_id)
        if page.after is not None:
            stmt = stmt.where(products.c.id < page.after[0])
        rows = (await self.uow.execute(stmt.order_by(products.c.id.desc()).limit(page.first + 1))).all()
        return page_from_rows([product_from_row(r) for r in rows], page, lambda p: (p.id,))

    async def set_status(self, product_id: int, status: ProductStatus) -> None:
        await self.uow.execute(
            update(products)
            .where(products.c.id == product_id)
            # A status change is not part of the imported content: clear the hash so the next
            # import of the same file re-applies the file's status.
            .values(status=status.value, updated_at=utcnow(), content_hash="")
        )
        await self.search_index.set_status([product_id], status.value)

    async def skus_of_products(self, product_ids: Sequence[int]) -> list[Sku]:
        found: list[Sku] = []
        for chunk in chunks(list(product_ids)):
            rows = await self.uow.execute(
                select(skus)
                .where(skus.c.product_id.in_(chunk))
                .order_by(skus.c.product_id, skus.c.position, skus.c.id)
            )
            found.extend(sku_from_row(r) for r in rows)
        return found

    async def images_of_products(self, product_ids: Sequence[int]) -> list[ProductImage]:
        found: list[ProductImage] = []
        for chunk in chunks(list(product_ids)):
            # With our renditions of each image when visual search fetched it: joined by the URL's
            # hash, so hosted images cost no statement of their own.
            rows = await self.uow.execute(
                select(images, catalog_images.c.renditions.label("hosted"))
                .outerjoin(
                    catalog_images,
                    (catalog_images.c.url_hash == images.c.url_hash)
                    & (catalog_images.c.status == ImageStatus.READY.value),
                )
                .where(images.c.product_id.in_(chunk))
                .order_by(images.c.product_id, images.c.position)
            )
            found.extend(image_from_row(r) for r in rows)
        return found

    async def skus_and_images_of_products(
        self, product_ids: Sequence[int]
    ) -> tuple[list[Sku], list[ProductImage]]:
        found_skus: list[Sku] = []
        found_images: list[ProductImage] = []
        for chunk in chunks(list(product_ids)):
            for r in await self.uow.execute(_skus_and_images(), {IDS: list(chunk)}):
                if r.kind == "sku":
                    found_skus.append(sku_from_row(r))
                else:
                    found_images.append(image_from_row(r))
        return found_skus, found_images

    async def get_skus(self, ids: Sequence[int]) -> list[Sku]:
        found: list[Sku] = []
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(select(skus).where(skus.c.id.in_(chunk)))
            found.extend(sku_from_row(r) for r in rows)
        return found

    async def skus_by_codes(self, merchant_id: int, codes: Sequence[str]) -> list[Sku]:
        found: list[Sku] = []
        for chunk in chunks(list(dict.fromkeys(codes))):
            rows = await self.uow.execute(
                select(skus).where(skus.c.merchant_id == merchant_id, skus.c.sku.in_(chunk))
            )
            found.extend(sku_from_row(r) for r in rows)
        return found

    # -- fast stock and price changes: one guarded statement each ---------------------------------

    async def change_quantity(
        self,
        sku_id: int,
        *,
        quantity: int | None,
        delta: int | None,
        expected: int | None,
        floor: int | None,
        ceiling: int | None = None,
    ) -> int | None:
        """The new quantity, or None when a guard (expected quantity, stock floor) refused the change."""
        new_value = quantity if quantity is not None else skus.c.quantity + (delta or 0)
        stmt = update(skus).where(skus.c.id == sku_id)
        if delta is not None:
            stmt = stmt.where(skus.c.quantity.is_not(None))
        if expected is not None:
            stmt = stmt.where(skus.c.quantity == expected)
        if floor is not None and delta is not None:
            stmt = stmt.where(skus.c.quantity + delta >= floor)
        if ceiling is not None and delta is not None:
            stmt = stmt.where(skus.c.quantity + delta <= ceiling)
        result = await self.uow.execute(
            stmt.values(quantity=new_value, updated_at=utcnow()).returning(skus.c.quantity)
        )
        row = result.first()
        return None if row is None else row[0]

    async def set_prices(self, changes: Sequence[tuple[int, int, int | None]]) -> None:
        now = utcnow()
        await self.uow.execute(
            update(skus)
            .where(skus.c.id == bindparam("b_id"))
            .values(
                price_minor=bindparam("b_price"), compare_at_minor=bindparam("b_compare"), updated_at=now
            ),
            [{"b_id": i, "b_price": p, "b_compare": c} for i, p, c in changes],
        )
        product_ids = select(skus.c.product_id).where(skus.c.id.in_([i for i, _, _ in changes]))
        # Changed outside an import: the next import of a feed must re-apply its own values.
        await self.uow.execute(
            update(products).where(products.c.id.in_(product_ids)).values(content_hash="", updated_at=now)
        )
        changed = [r[0] for r in await self.uow.execute(product_ids)]
        await self.search_index.refresh(changed)

    async def set_availability(
        self,
        sku_states: Sequence[tuple[int, Availability]],
        product_states: Sequence[tuple[int, Availability]],
    ) -> None:
        if sku_states:
            await self.uow.execute(
                update(skus).where(skus.c.id == bindparam("b_id")).values(availability=bindparam("b_state")),
                [{"b_id": i, "b_state": a.value} for i, a in sku_states],
            )
        if product_states:
            await self.uow.execute(
                update(products)
                .where(products.c.id == bindparam("b_id"))
                .values(availability=bindparam("b_state"), content_hash="", updated_at=utcnow()),
                [{"b_id": i, "b_state": a.value} for i, a in product_states],
            )
            await self.search_index.set_available(product_states)

    async def held_units(self, product_ids: Sequence[int], now: datetime) -> dict[int, int]:
        held: dict[int, int] = {}
        for chunk in chunks(sorted(set(product_ids))):
            rows = await self.uow.execute(
                select(holds.c.sku_id, func.sum(holds.c.quantity).label("units"))
                .where(holds.c.product_id.in_(chunk), holds.c.expires_at > now)
                .group_by(holds.c.sku_id)
            )
            held.update((row.sku_id, int(row.units)) for row in rows)
        return held

    # -- the archive step of full imports ----------------------------------------------------------

    async def live_product_id_chunks(self, merchant_id: int, after: int, limit: int) -> list[int]:
        rows = await self.uow.execute(
            select(products.c.id)
            .where(
                products.c.merchant_id == merchant_id,
                products.c.status != ProductStatus.ARCHIVED.value,
                products.c.id > after,
            )
            .order_by(products.c.id)
            .limit(limit)
        )
        return [r[0] for r in rows]

    async def archive(self, product_ids: Sequence[int]) -> None:
        # The content hash is cleared so that re-importing a file that lists the product revives it.
        await self.uow.execute(
            update(products)
            .where(products.c.id.in_(list(product_ids)))
            .values(status=ProductStatus.ARCHIVED.value, updated_at=utcnow(), content_hash="")
        )
        await self.search_index.set_status(product_ids, ProductStatus.ARCHIVED.value)
