"""Catalog operations: merchants write products whole; readers see what policy lets them see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shoppable.domain.catalog.drafts import (
    HANDLE_RE,
    ProductDraft,
    ProductInput,
    ProductStatus,
    currency_errors,
    drafts_from_input,
    validate_product,
)
from shoppable.domain.catalog.ports import CatalogRepository, ProductFilter
from shoppable.domain.catalog.records import Product
from shoppable.domain.catalog.stock import hold_back
from shoppable.domain.catalog.sync import Outcome, SyncPlan, plan_sync
from shoppable.domain.errors import DomainError, ErrorCode, FieldError, Path
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.records import Merchant
from shoppable.domain.identity.service import find_merchant
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.webhooks import catalog_events

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

MAX_UPSERT_BATCH = 100


@dataclass(frozen=True)
class UpsertProducts:
    merchant_id: int
    products: Sequence[ProductInput]


@dataclass(frozen=True)
class UpsertResult:
    products: list[Product]  # in input order
    outcomes: list[Outcome]


async def managed_merchant(
    uow: UnitOfWork, actor: Actor, merchant_id: int, field: Path = ("merchantId",)
) -> Merchant:
    """The merchant, if the actor may manage its catalog; otherwise NOT_FOUND (no existence leak)."""
    merchant = (
        await uow.identity.get_merchant(merchant_id)
        if policy.can_manage_catalog(actor, merchant_id)
        else None
    )
    if merchant is None:
        raise policy.refusal(actor, field, ErrorCode.NOT_FOUND, "No such merchant.")
    return merchant


async def merchant_for(uow: UnitOfWork, actor: Actor, handle: str | None) -> Merchant:
    """The merchant a merchant's-system call acts for: the named one, or the only one the caller manages
    (an API key's). Errors are about the `merchant` parameter of the call."""
    if handle:
        merchant = await find_merchant(uow, handle)
        if merchant is None or not policy.can_manage_catalog(actor, merchant.id):
            raise DomainError.single(
                ("merchant",), ErrorCode.NOT_FOUND, "No merchant with that handle is yours to manage."
            )
        return merchant
    if len(actor.merchant_ids) != 1:
        raise DomainError.single(
            ("merchant",), ErrorCode.REQUIRED, "Name the merchant with `?merchant=<handle>`."
        )
    merchant = await uow.identity.get_merchant(next(iter(actor.merchant_ids)))
    assert merchant is not None  # memberships and keys reference existing merchants
    return merchant


async def plan(catalog: CatalogRepository, merchant: Merchant, drafts: Sequence[ProductDraft]) -> SyncPlan:
    handles = [d.handle for d in drafts]
    codes = [s.sku for d in drafts for s in d.skus]
    await catalog.lock_catalog(merchant.id)
    existing = await catalog.existing_products(merchant.id, handles)
    owners = await catalog.sku_owners(merchant.id, codes)
    return plan_sync(drafts, existing, owners, merchant.low_stock_threshold)


def _batch_errors(
    drafts: Sequence[ProductDraft], money_errors: Sequence[FieldError], currency: str
) -> list[FieldError]:
    """Money that did not parse, every rule a draft breaks, and handles given twice, in input order."""
    errors = list(money_errors)
    # A SKU whose money could not be parsed carries a placeholder; do not report rules about it twice.
    unparsed = {e.field[:4] for e in money_errors}
    seen: set[str] = set()
    for index, draft in enumerate(drafts):
        errors.extend(e for e in validate_product(draft, ("products", index)) if e.field[:4] not in unparsed)
        errors.extend(
            e for e in currency_errors(draft, currency, ("products", index)) if e.field[:4] not in unparsed
        )
        if draft.handle in seen:
            errors.append(
                FieldError(
                    ("products", index, "handle"), ErrorCode.DUPLICATE, "Handle appears twice in this batch."
                )
            )
        seen.add(draft.handle)
    return errors


async def upsert_products(
    uow: UnitOfWork, actor: Actor, command: UpsertProducts, now: datetime
) -> UpsertResult:
    """All or nothing: any error in the batch and nothing is written. Money is read in the currency
    the merchant sells in where a product gives no usable one."""
    if len(command.products) > MAX_UPSERT_BATCH:
        raise DomainError.single(
            ("products",), ErrorCode.LIMIT_EXCEEDED, f"At most {MAX_UPSERT_BATCH} products per call."
        )
    await uow.begin_write()
    merchant = await managed_merchant(uow, actor, command.merchant_id)
    drafts, money_errors = drafts_from_input(command.products, merchant.currency)
    errors = _batch_errors(drafts, money_errors, merchant.currency)
    if errors:
        raise DomainError(*errors)
    sync = await plan(uow.catalog, merchant, drafts)
    if sync.errors:
        raise DomainError(*(e.under("products") for e in sync.errors))
    stock_before = await catalog_events.stock_before_writes(uow, merchant.id, [w.draft for w in sync.writes])
    written = await uow.catalog.write_products(merchant.id, sync.writes)
    await hold_back(uow.catalog, merchant, written, now)
    ids_by_index = {w.index: pid for w, pid in zip(sync.writes, written, strict=True)}
    await catalog_events.record_writes(
        uow,
        merchant,
        [(ids_by_index[w.index], w.draft, sync.outcomes[w.index].value) for w in sync.writes],
        stock_before,
    )
    await uow.commit()
    existing = await uow.catalog.existing_products(merchant.id, [d.handle for d in drafts])
    product_ids = [ids_by_index.get(i) or existing[d.handle].id for i, d in enumerate(drafts)]
    by_id = {p.id: p for p in await uow.catalog.get_products(product_ids)}
    return UpsertResult(products=[by_id[i] for i in product_ids], outcomes=sync.outcomes)


async def set_product_status(
    uow: UnitOfWork, actor: Actor, product_id: int, status: ProductStatus
) -> Product:
    await uow.begin_write()
    found = await uow.catalog.get_products([product_id])
    product = found[0] if found else None
    if product is None or not policy.can_see_product(actor, product.merchant_id, product.status):
        raise policy.refusal(actor, ("productId",), ErrorCode.NOT_FOUND, "No such product.")
    if not policy.can_manage_catalog(actor, product.merchant_id):
        raise policy.refusal(
            actor, ("productId",), ErrorCode.FORBIDDEN, "Only the merchant can change this product."
        )
    if product.status != status:
        await uow.catalog.set_status(product.id, status)
        await catalog_events.record_products_changed(uow, product.merchant_id, [(product.id, "status")])
        await uow.commit()
        product = (await uow.catalog.get_products([product_id]))[0]
    return product


async def product_by_handles(
    uow: UnitOfWork, actor: Actor, merchant_handle: str, handle: str
) -> Product | None:
    merchant = await find_merchant(uow, merchant_handle)
    product_handle = handle.strip().lower()
    if merchant is None or not HANDLE_RE.match(product_handle):
        return None
    product = await uow.catalog.get_products_by_handle(merchant.id, product_handle)
    return visible_products(actor, [product])[0]


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
    uow: UnitOfWork,
    actor: Actor,
    page: PageRequest,
    *,
    merchant_id: int | None = None,
    status: ProductStatus | None = None,
) -> Page[Product]:
    """Newest first, straight from the catalog (shoppers' lists and searches use `domain/search`)."""
    statuses = visible_statuses(actor, merchant_id, status)
    if not statuses:
        return Page(items=[], keys=[], has_next=False)
    return await uow.catalog.list_products(ProductFilter(statuses=statuses, merchant_id=merchant_id), page)


def visible_products(actor: Actor, products: Sequence[Product | None]) -> list[Product | None]:
    return [
        p if p is not None and policy.can_see_product(actor, p.merchant_id, p.status) else None
        for p in products
    ]
