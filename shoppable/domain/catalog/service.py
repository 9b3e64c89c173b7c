"""Catalog operations: merchants write products whole; readers see what policy lets them see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shoppable.domain.catalog.drafts import ProductDraft, ProductStatus, validate_product
from shoppable.domain.catalog.ports import CatalogRepository, ProductFilter
from shoppable.domain.catalog.records import Product
from shoppable.domain.catalog.sync import Outcome, SyncPlan, plan_sync
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.ports import IdentityRepository
from shoppable.domain.identity.records import Merchant
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.ports import Transaction

MAX_UPSERT_BATCH = 100


@dataclass(frozen=True)
class UpsertResult:
    product_ids: list[int]
    outcomes: list[Outcome]


async def managed_merchant(identity: IdentityRepository, actor: Actor, merchant_id: int) -> Merchant:
    """The merchant, if the actor may manage its catalog; otherwise NOT_FOUND (no existence leak)."""
    merchant = (
        await identity.get_merchant(merchant_id) if policy.can_manage_catalog(actor, merchant_id) else None
    )
    if merchant is None:
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    return merchant


async def plan(catalog: CatalogRepository, merchant: Merchant, drafts: Sequence[ProductDraft]) -> SyncPlan:
    handles = [d.handle for d in drafts]
    codes = [s.sku for d in drafts for s in d.skus]
    existing = await catalog.existing_products(merchant.id, handles)
    owners = await catalog.sku_owners(merchant.id, codes)
    return plan_sync(drafts, existing, owners, merchant.low_stock_threshold)


async def upsert_products(
    tx: Transaction,
    identity: IdentityRepository,
    catalog: CatalogRepository,
    actor: Actor,
    merchant_id: int,
    drafts: Sequence[ProductDraft],
    conversion_errors: Sequence[FieldError] = (),
) -> UpsertResult:
    """All or nothing: any error in the batch and nothing is written."""
    if len(drafts) > MAX_UPSERT_BATCH:
        raise DomainError.single(
            ("products",), ErrorCode.LIMIT_EXCEEDED, f"At most {MAX_UPSERT_BATCH} products per call."
        )
    await tx.begin_write()
    merchant = await managed_merchant(identity, actor, merchant_id)
    errors = list(conversion_errors)
    # A SKU whose money could not be parsed carries a placeholder; do not report rules about it twice.
    unparsed = {e.field[:4] for e in conversion_errors}
    seen: dict[str, int] = {}
    for index, draft in enumerate(drafts):
        errors.extend(e for e in validate_product(draft, ("products", index)) if e.field[:4] not in unparsed)
        if draft.handle in seen:
            errors.append(
                FieldError(
                    ("products", index, "handle"), ErrorCode.DUPLICATE, "Handle appears twice in this batch."
                )
            )
        seen.setdefault(draft.handle, index)
    if errors:
        raise DomainError(*errors)
    sync = await plan(catalog, merchant, drafts)
    if sync.errors:
        raise DomainError(*(e.under("products") for e in sync.errors))
    written = await catalog.write_products(merchant.id, sync.writes)
    await tx.commit()
    ids_by_index = {w.index: pid for w, pid in zip(sync.writes, written, strict=True)}
    existing = await catalog.existing_products(merchant.id, [d.handle for d in drafts])
    product_ids = [ids_by_index.get(i) or existing[d.handle].id for i, d in enumerate(drafts)]
    return UpsertResult(product_ids=product_ids, outcomes=sync.outcomes)


async def set_product_status(
    tx: Transaction, catalog: CatalogRepository, actor: Actor, product_id: int, status: ProductStatus
) -> Product:
    await tx.begin_write()
    found = await catalog.get_products([product_id])
    product = found[0] if found else None
    if product is None or not policy.can_see_product(actor, product.merchant_id, product.status):
        raise DomainError.single(("productId",), ErrorCode.NOT_FOUND, "No such product.")
    if not policy.can_manage_catalog(actor, product.merchant_id):
        raise DomainError.single(
            ("productId",), ErrorCode.FORBIDDEN, "Only the merchant can change this product."
        )
    if product.status != status:
        await catalog.set_status(product.id, status)
        await tx.commit()
        product = (await catalog.get_products([product_id]))[0]
    return product


def visible_statuses(
    actor: Actor, merchant_id: int | None, requested: ProductStatus | None
) -> frozenset[ProductStatus]:
    """What a listing may show this actor: ACTIVE for everyone, more for the merchant's own catalog."""
    if merchant_id is not None and policy.can_manage_catalog(actor, merchant_id):
        return frozenset({requested}) if requested else frozenset(ProductStatus)
    if requested is not None and requested != ProductStatus.ACTIVE:
        return frozenset()
    return frozenset({ProductStatus.ACTIVE})


async def list_products(
    catalog: CatalogRepository,
    actor: Actor,
    page: PageRequest,
    *,
    merchant_id: int | None = None,
    status: ProductStatus | None = None,
    query: str | None = None,
) -> Page[Product]:
    statuses = visible_statuses(actor, merchant_id, status)
    if not statuses:
        return Page(items=[], keys=[], has_next=False)
    text = (query or "").strip().lower() or None
    return await catalog.list_products(
        ProductFilter(statuses=statuses, merchant_id=merchant_id, query=text), page
    )


def visible_products(actor: Actor, products: Sequence[Product | None]) -> list[Product | None]:
    return [
        p if p is not None and policy.can_see_product(actor, p.merchant_id, p.status) else None
        for p in products
    ]
