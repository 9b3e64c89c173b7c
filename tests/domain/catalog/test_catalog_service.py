"""Catalog operations on an in-memory unit of work: upserts, status, the merchant of a call, imports."""

from __future__ import annotations

import io
import json

import pytest

from shoppable.domain.catalog import importing, service
from shoppable.domain.catalog.drafts import ProductInput, ProductStatus, SkuInput
from shoppable.domain.catalog.formats import parse_feed
from shoppable.domain.catalog.importing import ImportMode, ImportRequest, ImportStatus
from shoppable.domain.catalog.money import Money, MoneyInput
from shoppable.domain.catalog.service import UpsertProducts
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity.actor import ANONYMOUS, OPERATOR, Actor
from shoppable.domain.identity.records import Merchant
from shoppable.domain.pagination import PageRequest
from tests.domain.in_memory import NOW, InMemoryUnitOfWork

OWNER = Actor(user_id=1, merchant_ids=frozenset({1}))
STRANGER = Actor(user_id=2, merchant_ids=frozenset({2}))


def world() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    uow.identity.merchants[1] = Merchant(1, "northwind", "Northwind", "EUR", 3, NOW)
    uow.identity.merchants[2] = Merchant(2, "lumen", "Lumen", "USD", 3, NOW)
    return uow


def product(handle: str, *prices: str, status: ProductStatus = ProductStatus.ACTIVE) -> ProductInput:
    skus = tuple(
        SkuInput(f"{handle}-{i}", MoneyInput(p, "EUR"), quantity=5, options=(("Size", str(i)),))
        for i, p in enumerate(prices or ("10.00",))
    )
    return ProductInput(handle=handle, title=handle.title(), skus=skus, status=status)


def codes(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[tuple[str | int, ...], ErrorCode]]:
    return [(e.field, e.code) for e in error.value.errors]


async def test_upsert_creates_then_reports_products_in_input_order() -> None:
    uow = world()
    first = await service.upsert_products(
        uow, OWNER, UpsertProducts(1, [product("b"), product("a", "1", "2")]), NOW
    )
    assert [p.handle for p in first.products] == ["b", "a"] and uow.commits == 1
    again = await service.upsert_products(
        uow, OWNER, UpsertProducts(1, [product("a", "1", "3"), product("b")]), NOW
    )
    assert [o.value for o in again.outcomes] == ["updated", "unchanged"]
    assert [p.id for p in again.products] == [first.products[1].id, first.products[0].id]
    prices = sorted(s.price for s in uow.catalog.skus.values() if s.sku.startswith("a-"))
    assert prices == [Money(100, "EUR"), Money(300, "EUR")]


async def test_upsert_is_all_or_nothing_with_every_error_reported() -> None:
    uow = world()
    bad_money = product("money", "x", "2")
    with pytest.raises(DomainError) as refused:
        await service.upsert_products(
            uow,
            OWNER,
            UpsertProducts(1, [bad_money, product("ok"), product("ok"), product("Bad Handle")]),
            NOW,
        )
    assert codes(refused) == [
        (("products", 0, "skus", 0, "price", "amount"), ErrorCode.INVALID),
        (("products", 2, "handle"), ErrorCode.DUPLICATE),
        (("products", 3, "handle"), ErrorCode.INVALID),
    ]
    assert uow.catalog.products == {} and uow.commits == 0


async def test_upsert_for_a_merchant_the_actor_does_not_manage_is_not_found() -> None:
    uow = world()
    for actor, merchant_id in ((STRANGER, 1), (OWNER, 99), (Actor(is_admin=True), 99)):
        with pytest.raises(DomainError) as denied:
            await service.upsert_products(uow, actor, UpsertProducts(merchant_id, [product("x")]), NOW)
        assert codes(denied) == [(("merchantId",), ErrorCode.NOT_FOUND)]
    # Anonymous callers are told to log in, whether or not the merchant exists.
    for merchant_id in (1, 99):
        with pytest.raises(DomainError) as denied:
            await service.upsert_products(uow, ANONYMOUS, UpsertProducts(merchant_id, [product("x")]), NOW)
        assert codes(denied) == [((), ErrorCode.UNAUTHENTICATED)]


async def test_upsert_batch_limit_is_checked_before_anything_else() -> None:
    uow = world()
    with pytest.raises(DomainError) as too_many:
        await service.upsert_products(
            uow, STRANGER, UpsertProducts(1, [product(f"p{i}") for i in range(101)]), NOW
        )
    assert codes(too_many) == [(("products",), ErrorCode.LIMIT_EXCEEDED)] and not uow.writing


async def test_sku_codes_of_another_product_are_a_conflict() -> None:
    uow = world()
    await service.upsert_products(uow, OWNER, UpsertProducts(1, [product("first")]), NOW)
    thief = ProductInput("second", "Second", (SkuInput("first-0", MoneyInput("1", "EUR")),))
    with pytest.raises(DomainError) as clash:
        await service.upsert_products(uow, OWNER, UpsertProducts(1, [thief]), NOW)
    assert codes(clash) == [(("products", 0, "skus", 0, "sku"), ErrorCode.CONFLICT)]


async def test_status_changes_belong_to_the_merchant_and_drafts_stay_hidden() -> None:
    uow = world()
    (live,) = (await service.upsert_products(uow, OWNER, UpsertProducts(1, [product("live")]), NOW)).products
    with pytest.raises(DomainError) as forbidden:
        await service.set_product_status(uow, STRANGER, live.id, ProductStatus.ARCHIVED)
    assert codes(forbidden) == [(("productId",), ErrorCode.FORBIDDEN)]
    drafted = await service.set_product_status(uow, OWNER, live.id, ProductStatus.DRAFT)
    assert drafted.status is ProductStatus.DRAFT
    with pytest.raises(DomainError) as hidden:
        await service.set_product_status(uow, STRANGER, live.id, ProductStatus.ACTIVE)
    assert codes(hidden) == [(("productId",), ErrorCode.NOT_FOUND)]
    assert await service.product_by_handles(uow, STRANGER, "NorthWind", "live") is None
    assert await service.product_by_handles(uow, OWNER, "northwind", " LIVE ") == drafted


async def test_listings_show_more_only_to_the_merchant() -> None:
    uow = world()
    await service.upsert_products(
        uow, OWNER, UpsertProducts(1, [product("on"), product("off", status=ProductStatus.DRAFT)]), NOW
    )
    page = PageRequest(first=10)

    async def handles(
        actor: Actor, merchant_id: int | None = None, status: ProductStatus | None = None
    ) -> list[str]:
        found = await service.list_products(uow, actor, page, merchant_id=merchant_id, status=status)
        return [p.handle for p in found.items]

    assert await handles(STRANGER, merchant_id=1) == ["on"]
    assert await handles(OWNER, merchant_id=1) == ["off", "on"]
    assert await handles(OWNER, merchant_id=1, status=ProductStatus.DRAFT) == ["off"]
    assert await handles(STRANGER, merchant_id=1, status=ProductStatus.DRAFT) == []
    assert await handles(ANONYMOUS) == ["on"]


async def test_the_merchant_of_a_call_is_the_named_one_or_the_only_one() -> None:
    uow = world()
    key = Actor(api_key_id=9, merchant_ids=frozenset({2}))
    assert (await service.merchant_for(uow, key, None)).handle == "lumen"
    assert (await service.merchant_for(uow, OPERATOR, " NorthWind ")).id == 1
    for actor, handle, code in (
        (key, "northwind", ErrorCode.NOT_FOUND),
        (key, "nobody", ErrorCode.NOT_FOUND),
        (Actor(user_id=5, merchant_ids=frozenset({1, 2})), None, ErrorCode.REQUIRED),
        (Actor(user_id=5), None, ErrorCode.REQUIRED),
    ):
        with pytest.raises(DomainError) as refused:
            await service.merchant_for(uow, actor, handle)
        assert codes(refused) == [(("merchant",), code)]


async def test_imports_are_started_and_seen_only_by_those_who_manage_the_merchant() -> None:
    uow = world()
    request = ImportRequest(1, "jsonl", ImportMode.DELTA, False, "/tmp/feed.jsonl", 10)
    with pytest.raises(DomainError) as denied:
        await importing.start_import(uow, STRANGER, request)
    assert codes(denied) == [(("merchantId",), ErrorCode.NOT_FOUND)] and uow.imports.jobs == {}
    job = await importing.start_import(uow, OWNER, request)
    assert job.status is ImportStatus.QUEUED and uow.commits == 1
    assert await importing.start_import(uow, OPERATOR, request)
    assert await importing.visible_import(uow, OWNER, job.id) == job
    assert await importing.visible_import(uow, STRANGER, job.id) is None
    assert await importing.visible_import(uow, OWNER, 404) is None


def jsonl(*handles: str) -> io.BytesIO:
    lines = [
        {"handle": h, "title": h.title(), "skus": [{"sku": h, "price": "5.00 EUR", "quantity": 1}]}
        for h in handles
    ]
    return io.BytesIO(
        "".join(json.dumps(line) + "\n" for line in lines).encode()
        + b'{"handle": "broken", "title": "No SKUs"}\n'
    )


async def test_a_full_import_applies_the_file_reports_bad_rows_and_archives_what_it_does_not_list() -> None:
    uow = world()
    await service.upsert_products(uow, OWNER, UpsertProducts(1, [product("old")]), NOW)
    merchant = uow.identity.merchants[1]
    job = await importing.start_import(uow, OWNER, ImportRequest(1, "jsonl", ImportMode.FULL, False, "f", 1))
    assert await importing.claim(uow, job) and not await importing.claim(uow, job)
    stream = jsonl("a", "b", "c")
    finished = await importing.run_import(
        uow,
        merchant,
        job,
        parse_feed(stream, "jsonl", currency="EUR"),
        position=stream.tell,
        max_archive_share=0.5,
        clock=lambda: NOW,
    )
    assert finished.status is ImportStatus.COMPLETED_WITH_ERRORS
    counts = finished.counts
    assert (counts.rows, counts.created, counts.archived, counts.failed) == (4, 3, 1, 1)
    assert [e.row for e in await uow.imports.errors_of(job.id)] == [4]
    statuses = {p.handle: p.status for p in uow.catalog.products.values()}
    assert statuses == {"old": ProductStatus.ARCHIVED, "a": ProductStatus.ACTIVE, "b": ProductStatus.ACTIVE,
                        "c": ProductStatus.ACTIVE}  # fmt: skip


async def test_a_full_import_refuses_to_archive_more_than_the_allowed_share() -> None:
    uow = world()
    await service.upsert_products(uow, OWNER, UpsertProducts(1, [product(f"p{i}") for i in range(3)]), NOW)
    job = await importing.start_import(uow, OWNER, ImportRequest(1, "jsonl", ImportMode.FULL, False, "f", 1))
    await importing.claim(uow, job)
    stream = jsonl("p0")
    finished = await importing.run_import(
        uow, uow.identity.merchants[1], job, parse_feed(stream, "jsonl", currency="EUR"),
        position=stream.tell, max_archive_share=0.5, clock=lambda: NOW,
    )  # fmt: skip
    assert finished.counts.archived == 0 and "force=true" in (finished.message or "")
    assert all(p.status is ProductStatus.ACTIVE for p in uow.catalog.products.values())
