"""Deciding what a batch of product drafts changes: create, update, leave alone, or refuse."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from shoppable.domain.catalog.availability import Availability, product_availability, sku_availability
from shoppable.domain.catalog.drafts import ProductDraft
from shoppable.domain.errors import ErrorCode, FieldError


def content_hash(draft: ProductDraft) -> str:
    """Fingerprint of everything a draft sets; equal hashes mean re-applying it would change nothing.

    Built from a tuple of plain values (not `dataclasses.asdict`, which is several times slower):
    imports hash every product of every file.
    """
    skus = tuple(
        (
            s.sku,
            s.price.amount_minor,
            s.price.currency,
            s.compare_at_price.amount_minor if s.compare_at_price else None,
            s.quantity,
            s.inventory_policy.value,
            s.gtin,
            s.mpn,
            s.options,
            s.title,
            s.image_url,
        )
        for s in draft.skus
    )
    payload = (
        draft.handle,
        draft.title,
        draft.description,
        draft.brand,
        draft.category,
        draft.status.value,
        draft.images,
        draft.extra,
        skus,
    )
    return hashlib.blake2b(repr(payload).encode(), digest_size=20).hexdigest()


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class ExistingProduct:
    id: int
    content_hash: str


@dataclass(frozen=True)
class ProductWrite:
    """One product to store whole: its draft, its row id when it exists, and derived values."""

    index: int
    draft: ProductDraft
    product_id: int | None
    content_hash: str
    sku_availability: tuple[Availability, ...]
    availability: Availability


@dataclass(frozen=True)
class SyncPlan:
    writes: list[ProductWrite]
    outcomes: list[Outcome]
    errors: list[FieldError]  # paths start with the draft's index in the batch


def plan_sync(
    drafts: Sequence[ProductDraft],
    existing: dict[str, ExistingProduct],
    sku_owners: dict[str, int],
    low_stock_at: int,
) -> SyncPlan:
    """`existing` maps handle -> stored product, `sku_owners` maps SKU code -> owning product id."""
    writes: list[ProductWrite] = []
    outcomes: list[Outcome] = []
    errors: list[FieldError] = []
    claimed: dict[str, int] = {}
    for index, draft in enumerate(drafts):
        current = existing.get(draft.handle)
        digest = content_hash(draft)
        problems = []
        for sku_index, sku in enumerate(draft.skus):
            owner = sku_owners.get(sku.sku)
            if owner is not None and (current is None or owner != current.id):
                problems.append(
                    FieldError(
                        (index, "skus", sku_index, "sku"),
                        ErrorCode.CONFLICT,
                        f"SKU code {sku.sku!r} already belongs to another product of this merchant.",
                    )
                )
            elif claimed.get(sku.sku, index) != index:
                problems.append(
                    FieldError(
                        (index, "skus", sku_index, "sku"),
                        ErrorCode.DUPLICATE,
                        f"SKU code {sku.sku!r} is used by another product in this batch.",
                    )
                )
            claimed.setdefault(sku.sku, index)
        if problems:
            errors.extend(problems)
            outcomes.append(Outcome.FAILED)
            continue
        if current is not None and current.content_hash == digest:
            outcomes.append(Outcome.UNCHANGED)
            continue
        per_sku = tuple(sku_availability(s.quantity, s.inventory_policy, low_stock_at) for s in draft.skus)
        writes.append(
            ProductWrite(
                index=index,
                draft=draft,
                product_id=current.id if current else None,
                content_hash=digest,
                sku_availability=per_sku,
                availability=product_availability(per_sku),
            )
        )
        outcomes.append(Outcome.UPDATED if current else Outcome.CREATED)
    return SyncPlan(writes=writes, outcomes=outcomes, errors=errors)
