"""`data` of the catalog events: product updated, inventory low, catalog import finished."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from shoppable.domain.ids import global_id
from shoppable.domain.webhooks.events import MAX_SKUS_IN_PAYLOAD, money_json

if TYPE_CHECKING:
    from shoppable.domain.catalog.importing import ImportJob
    from shoppable.domain.catalog.records import Product, Sku


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
