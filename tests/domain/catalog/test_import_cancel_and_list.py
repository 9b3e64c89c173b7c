"""Listing a merchant's imports and cancelling them, queued or running, on in-memory repositories."""

from __future__ import annotations

import pytest

from shoppable.domain.catalog import importing
from shoppable.domain.catalog.formats import parse_feed
from shoppable.domain.catalog.importing import BATCH_PRODUCTS, ImportMode, ImportRequest, ImportStatus
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.pagination import PageRequest
from shoppable.domain.webhooks import service as webhooks
from shoppable.domain.webhooks.events import WebhookEvent
from tests.domain.catalog.test_catalog_service import OWNER, STRANGER, jsonl, world
from tests.domain.in_memory import NOW


def request() -> ImportRequest:
    return ImportRequest(1, "jsonl", ImportMode.DELTA, False, "f", 1)


async def test_imports_are_listed_newest_first_in_keyset_pages_for_the_merchant_only() -> None:
    uow = world()
    jobs = [await importing.start_import(uow, OWNER, request()) for _ in range(5)]
    first = await importing.list_imports(uow, OWNER, 1, PageRequest(first=2))
    assert [j.id for j in first.items] == [jobs[4].id, jobs[3].id] and first.has_next
    rest = await importing.list_imports(uow, OWNER, 1, PageRequest(first=10, after=first.keys[-1]))
    assert [j.id for j in rest.items] == [jobs[2].id, jobs[1].id, jobs[0].id] and not rest.has_next
    with pytest.raises(DomainError) as denied:
        await importing.list_imports(uow, STRANGER, 1, PageRequest())
    assert denied.value.errors[0].code is ErrorCode.NOT_FOUND


async def test_a_queued_import_is_cancelled_at_once_and_never_runs() -> None:
    uow = world()
    await webhooks.create_endpoint(
        uow, OWNER, webhooks.NewEndpoint(1, "https://erp.example.com/h", [WebhookEvent.CATALOG_IMPORT_FINISHED]),
        allow_private=False,
    )  # fmt: skip
    job = await importing.start_import(uow, OWNER, request())
    with pytest.raises(DomainError) as denied:
        await importing.cancel_import(uow, STRANGER, job.id)
    assert denied.value.errors[0].code is ErrorCode.NOT_FOUND
    cancelled = await importing.cancel_import(uow, OWNER, job.id)
    assert cancelled.status is ImportStatus.CANCELLED and cancelled.finished_at is not None
    assert not await importing.claim(uow, cancelled)
    [delivery] = uow.webhooks.deliveries.values()
    assert delivery.event_type == "catalog_import.finished" and '"status":"cancelled"' in delivery.payload
    with pytest.raises(DomainError) as again:
        await importing.cancel_import(uow, OWNER, job.id)
    assert again.value.errors[0].code is ErrorCode.CONFLICT


async def test_a_running_import_stops_after_the_batch_it_is_writing() -> None:
    uow = world()
    job = await importing.start_import(uow, OWNER, request())
    await importing.claim(uow, job)
    stream = jsonl(*(f"p{i}" for i in range(BATCH_PRODUCTS * 2 + 10)))
    batches = 0

    async def cancel_during_first_batch(_progress: object) -> None:
        nonlocal batches
        batches += 1
        if batches == 1:
            await importing.cancel_import(uow, OWNER, job.id)

    running = await uow.imports.get(job.id)
    assert running is not None
    finished = await importing.run_import(
        uow, uow.identity.merchants[1], running, parse_feed(stream, "jsonl", currency="EUR"),
        position=stream.tell, max_archive_share=0.5, clock=lambda: NOW, on_progress=cancel_during_first_batch,
    )  # fmt: skip
    assert finished.status is ImportStatus.CANCELLED and "Cancelled" in (finished.message or "")
    assert finished.counts.created == BATCH_PRODUCTS  # the first batch whole, nothing after it
    assert len(uow.catalog.products) == BATCH_PRODUCTS


async def test_one_currency_rule_for_imports_and_upserts() -> None:
    import io
    import json

    from shoppable.domain.catalog import service
    from shoppable.domain.catalog.service import UpsertProducts
    from tests.domain.catalog.test_catalog_service import product

    uow = world()  # merchant 1 sells in EUR
    job = await importing.start_import(uow, OWNER, request())
    await importing.claim(uow, job)
    lines = [
        {"handle": "eur", "title": "Eur", "skus": [{"sku": "E", "price": "5.00 EUR"}]},
        {"handle": "usd", "title": "Usd", "skus": [{"sku": "U", "price": "5.00 USD"}]},
    ]
    stream = io.BytesIO("".join(json.dumps(x) + "\n" for x in lines).encode())
    finished = await importing.run_import(
        uow, uow.identity.merchants[1], job, parse_feed(stream, "jsonl", currency="EUR"),
        position=stream.tell, max_archive_share=0.5, clock=lambda: NOW,
    )  # fmt: skip
    assert (finished.counts.created, finished.counts.failed) == (1, 1)
    [error] = await uow.imports.errors_of(job.id)
    assert error.row == 2 and "sells in EUR" in error.message
    usd = product("usd-too")
    usd = type(usd)(usd.handle, usd.title, (type(usd.skus[0])("X", type(usd.skus[0].price)("5.00", "USD")),))
    with pytest.raises(DomainError) as refused:
        await service.upsert_products(uow, OWNER, UpsertProducts(1, [usd]), NOW)
    assert refused.value.errors[0].field == ("products", 0, "skus", 0, "price", "currencyCode")


async def test_counts_are_per_line_and_errors_come_in_line_order_with_the_first_occurrence() -> None:
    import io

    uow = world()
    job = await importing.start_import(uow, OWNER, request())
    await importing.claim(uow, job)
    text = (
        '{"handle": "a", "title": "A", "skus": [{"sku": "A1", "price": "5.00 EUR"}]}\n'
        '{"handle": "b", "title": "", "skus": [{"sku": "B1", "price": "-1 EUR"}]}\n'
        '{"handle": "a", "title": "A again", "skus": [{"sku": "A2", "price": "5.00 EUR"}]}\n'
        "{broken\n"
        '{"handle": "c", "title": "C", "skus": [{"sku": "C1", "price": "5.00 EUR"}]}\n'
    )
    stream = io.BytesIO(text.encode())
    finished = await importing.run_import(
        uow, uow.identity.merchants[1], job, parse_feed(stream, "jsonl", currency="EUR"),
        position=stream.tell, max_archive_share=0.5, clock=lambda: NOW,
    )  # fmt: skip
    counts = finished.counts
    assert (counts.rows, counts.failed, counts.created) == (5, 3, 2)  # 5 lines, 3 refused, 2 products
    found = await uow.imports.errors_of(job.id)
    assert [e.row for e in found] == sorted(e.row for e in found)
    duplicate = next(e for e in found if e.row == 3)
    assert "line 1" in duplicate.message
