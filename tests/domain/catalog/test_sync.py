"""Planning a batch of drafts against the stored catalog: create, update, leave alone, or refuse."""

from __future__ import annotations

from dataclasses import replace

from shoppable.domain.catalog.availability import Availability, InventoryPolicy
from shoppable.domain.catalog.drafts import ProductDraft, SkuDraft
from shoppable.domain.catalog.money import Money
from shoppable.domain.catalog.sync import ExistingProduct, Outcome, content_hash, plan_sync
from shoppable.domain.errors import ErrorCode


def draft(
    handle: str, *quantities: int | None, policy: InventoryPolicy = InventoryPolicy.DENY
) -> ProductDraft:
    skus = tuple(
        SkuDraft(f"{handle}-{i}", Money(1000, "EUR"), quantity=q, inventory_policy=policy)
        for i, q in enumerate(quantities or (10,))
    )
    return ProductDraft(handle=handle, title=handle.title(), skus=skus)


def test_content_hash_changes_with_any_value_and_only_then() -> None:
    base = draft("tee", 3)
    assert content_hash(base) == content_hash(draft("tee", 3))
    changed = [
        replace(base, title="Other"),
        replace(base, images=("https://img.example/1.jpg",)),
        replace(base, skus=(replace(base.skus[0], quantity=4),)),
        replace(base, skus=(replace(base.skus[0], price=Money(1001, "EUR")),)),
    ]
    assert len({content_hash(d) for d in [base, *changed]}) == 5


def test_new_changed_and_unchanged_products() -> None:
    new, same, changed = draft("new"), draft("same"), draft("changed", 1)
    existing = {
        "same": ExistingProduct(1, content_hash(same)),
        "changed": ExistingProduct(2, content_hash(draft("changed", 2))),
    }
    plan = plan_sync([new, same, changed], existing, {"same-0": 1, "changed-0": 2}, low_stock_at=5)
    assert plan.outcomes == [Outcome.CREATED, Outcome.UNCHANGED, Outcome.UPDATED]
    assert [(w.index, w.product_id) for w in plan.writes] == [(0, None), (2, 2)]
    assert plan.errors == []


def test_availability_is_derived_with_the_merchants_low_stock_threshold() -> None:
    plan = plan_sync(
        [draft("a", 0, 3, 9), draft("b", 0, policy=InventoryPolicy.CONTINUE), draft("c", 0)], {}, {}, 3
    )
    a, b, c = plan.writes
    assert a.sku_availability == (Availability.OUT_OF_STOCK, Availability.LOW_STOCK, Availability.IN_STOCK)
    assert a.availability is Availability.IN_STOCK
    assert b.availability is Availability.BACKORDER and c.availability is Availability.OUT_OF_STOCK


def test_a_sku_code_of_another_product_or_twice_in_the_batch_fails_its_product_only() -> None:
    thief = draft("thief")
    thief = replace(thief, skus=(replace(thief.skus[0], sku="owned-0"),))
    first, second = draft("first"), draft("second")
    second = replace(second, skus=(replace(second.skus[0], sku="first-0"),))
    plan = plan_sync([thief, first, second], {}, {"owned-0": 77}, low_stock_at=5)
    assert plan.outcomes == [Outcome.FAILED, Outcome.CREATED, Outcome.FAILED]
    assert [(e.field, e.code) for e in plan.errors] == [
        ((0, "skus", 0, "sku"), ErrorCode.CONFLICT),
        ((2, "skus", 0, "sku"), ErrorCode.DUPLICATE),
    ]
    assert [w.index for w in plan.writes] == [1]


def test_a_product_keeps_its_own_sku_codes() -> None:
    mine = draft("mine", 4)
    plan = plan_sync([mine], {"mine": ExistingProduct(5, "old")}, {"mine-0": 5}, low_stock_at=5)
    assert plan.outcomes == [Outcome.UPDATED] and plan.errors == []
