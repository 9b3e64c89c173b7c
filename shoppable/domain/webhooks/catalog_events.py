"""`data` of the catalog events: product updated, inventory low, catalog import finished."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shoppable.domain.ids import global_id
from shoppable.domain.webhooks.events import MAX_SKUS_IN_PAYLOAD, WebhookEvent, money_json
from shoppable.domain.webhooks.service import record_webhook_event, record_webhook_events

if TYPE_CHECKING:
    from shoppable.domain.catalog.drafts import ProductDraft
    from shoppable.domain.catalog.importing import ImportJob
    from shoppable.domain.catalog.records import Product, Sku
    from shoppable.domain.identity.records import Merchant
    from shoppable.domain.uow import UnitOfWork

PRODUCT_EVENT_CHUNK = 500


def sku_json(sku: Sku) -> dict[str, Any]:
    return {
        "id": sku.id,
        "graphqlId": global_id("Sku", sku.id),
        "sku": sku.sku,
        "title": sku.title,
        "price": money_json(sku.price.amount, sku.price.currency),
        "compareAtPrice": (
            money_json(sku.compare_at_price.amount, sku.compare_at_price.currency)
            if sku.compare_at_price
            else None
        ),
        "quantity": sku.quantity,
        "inventoryPolicy": sku.inventory_policy.value,
        "availability": sku.availability.value,
    }


def product_data(product: Product, skus: Sequence[Sku], change: str) -> dict[str, Any]:
    """`change` says what happened: `created`, `updated`, `prices`, `status`, `archived`."""
    return {
        "id": product.id,
        "graphqlId": global_id("Product", product.id),
        "handle": product.handle,
        "title": product.title,
        "status": product.status.value,
        "availability": product.availability.value,
        "change": change,
        "updatedAt": product.updated_at.isoformat(),
        "skus": [sku_json(s) for s in skus[:MAX_SKUS_IN_PAYLOAD]],
        "skusTruncated": len(skus) > MAX_SKUS_IN_PAYLOAD,
    }


def crossed_low_stock(before: int | None, after: int | None, threshold: int) -> bool:
    """Stock went from above the merchant's low-stock threshold to at or below it: one event per
    crossing, not one per sale while it stays low. Untracked stock (None) never crosses."""
    return before is not None and after is not None and before > threshold >= after


def inventory_low_data(sku: Sku, quantity: int, threshold: int, product_title: str | None) -> dict[str, Any]:
    return {
        "id": sku.id,
        "graphqlId": global_id("Sku", sku.id),
        "sku": sku.sku,
        "productId": sku.product_id,
        "productGraphqlId": global_id("Product", sku.product_id),
        "productTitle": product_title,
        "quantity": quantity,
        "lowStockThreshold": threshold,
        "inventoryPolicy": sku.inventory_policy.value,
    }


def import_finished_data(job: ImportJob) -> dict[str, Any]:
    counts = job.counts
    return {
        "id": job.id,
        "graphqlId": global_id("CatalogImport", job.id),
        "status": job.status.value,
        "format": job.format,
        "mode": job.mode.value,
        "counts": {
            "rows": counts.rows,
            "created": counts.created,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "archived": counts.archived,
            "failed": counts.failed,
        },
        "errorCount": job.error_count,
        "message": job.message,
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
    }


# -- recording, in the caller's transaction -----------------------------------------------------------


async def record_products_changed(
    uow: UnitOfWork, merchant_id: int, changes: Sequence[tuple[int, str]]
) -> None:
    """PRODUCT_UPDATED for each (product id, change), read as it now stands in this transaction.
    Nothing is read when no endpoint of the merchant listens."""
    if not changes or not await uow.webhooks.has_subscribers(merchant_id, WebhookEvent.PRODUCT_UPDATED):
        return
    for start in range(0, len(changes), PRODUCT_EVENT_CHUNK):
        chunk = changes[start : start + PRODUCT_EVENT_CHUNK]
        ids = [product_id for product_id, _ in chunk]
        products = {p.id: p for p in await uow.catalog.get_products(ids)}
        skus: dict[int, list[Sku]] = {}
        for sku in await uow.catalog.skus_of_products(ids):
            skus.setdefault(sku.product_id, []).append(sku)
        data = [
            product_data(products[pid], skus.get(pid, []), change) for pid, change in chunk if pid in products
        ]
        await record_webhook_events(uow, merchant_id, WebhookEvent.PRODUCT_UPDATED, data)


async def record_low_stock(
    uow: UnitOfWork, merchant: Merchant, changes: Sequence[tuple[Sku, int | None]]
) -> int:
    """INVENTORY_LOW for each SKU whose stock crossed the merchant's threshold: (SKU as it was, its new
    quantity). Returns the events recorded. Orders call this too when a sale lowers stock."""
    threshold = merchant.low_stock_threshold
    crossed = [(sku, after) for sku, after in changes if crossed_low_stock(sku.quantity, after, threshold)]
    if not crossed or not await uow.webhooks.has_subscribers(merchant.id, WebhookEvent.INVENTORY_LOW):
        return 0
    titles = {
        p.id: p.title for p in await uow.catalog.get_products(sorted({s.product_id for s, _ in crossed}))
    }
    for sku, after in crossed:
        assert after is not None  # crossed_low_stock holds only for tracked stock
        await record_webhook_event(
            uow,
            merchant.id,
            WebhookEvent.INVENTORY_LOW,
            inventory_low_data(sku, after, threshold, titles.get(sku.product_id)),
        )
    return len(crossed)


async def record_import_finished(uow: UnitOfWork, job: ImportJob) -> None:
    await record_webhook_event(
        uow, job.merchant_id, WebhookEvent.CATALOG_IMPORT_FINISHED, import_finished_data(job)
    )


async def stock_before_writes(
    uow: UnitOfWork, merchant_id: int, drafts: Sequence[ProductDraft]
) -> dict[str, Sku] | None:
    """The SKUs the drafts will overwrite, as they are now, when someone listens for INVENTORY_LOW."""
    if not await uow.webhooks.has_subscribers(merchant_id, WebhookEvent.INVENTORY_LOW):
        return None
    codes = [s.sku for d in drafts for s in d.skus]
    return {s.sku: s for s in await uow.catalog.skus_by_codes(merchant_id, codes)} if codes else {}


async def record_writes(
    uow: UnitOfWork,
    merchant: Merchant,
    written: Sequence[tuple[int, ProductDraft, str]],
    stock_before: dict[str, Sku] | None,
) -> None:
    """Events of products written whole (an upsert or an import batch): (product id, draft, change)."""
    await record_products_changed(uow, merchant.id, [(pid, change) for pid, _draft, change in written])
    if stock_before:
        await record_low_stock(
            uow,
            merchant,
            [
                (stock_before[s.sku], s.quantity)
                for _pid, draft, _change in written
                for s in draft.skus
                if s.sku in stock_before
            ],
        )
