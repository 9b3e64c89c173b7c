"""Migration 0011 indexes the catalog that exists, with each database's full-text structures."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import text

from shoppable.storage.db import Database
from shoppable.storage.migrate import upgrade
from tests.conftest import TEST_DATABASE_URL

SEED = [
    "INSERT INTO merchants (id, handle, name, currency, low_stock_threshold, commission_rate_bps,"
    " return_window_days, attribution_window_days, order_sequence, created_at)"
    " VALUES (1, 'shop', 'Shop', 'EUR', 5, 1000, 30, 7, 0, '2026-01-01 00:00:00')",
    "INSERT INTO products (id, merchant_id, handle, title, description, brand, category, status, option_names,"
    " search_text, availability, content_hash, created_at, updated_at) VALUES (1, 1, 'rain', 'Waterproof Jackets',"
    " 'Crème coloured', 'Fjällräv', 'Outerwear', 'ACTIVE', '[\"Size\"]', '', 'IN_STOCK', '',"
    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO skus (id, product_id, merchant_id, sku, position, options, price_minor, currency, quantity,"
    " inventory_policy, availability, updated_at) VALUES (1, 1, 1, 'RAIN-M', 0, '[[\"Size\", \"Medium\"]]', 12000,"
    " 'EUR', 3, 'DENY', 'IN_STOCK', '2026-01-01 00:00:00')",
]


async def _run(url: str, statements: list[str]) -> list[list[tuple]]:
    database = Database(url)
    found = []
    try:
        async with database.engine.begin() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
                found.append([tuple(r) for r in result] if result.returns_rows else [])
    finally:
        await database.dispose()
    return found


async def _check(url: str, match: str) -> None:
    await asyncio.to_thread(upgrade, url, "0007")
    await _run(url, SEED)
    await asyncio.to_thread(upgrade, url, "head")
    rows, matched, words = await _run(
        url,
        [
            "SELECT title_terms, brand_key, option_terms, price_minor, currency, available FROM product_search",
            match,
            "SELECT word FROM search_words ORDER BY word",
        ],
    )
    assert rows == [("waterproof jacket", "fjallrav", "medium", 12000, "EUR", 1)]
    assert matched == [(1,)]
    assert ("creme",) in words and ("fjallrav",) in words


async def test_upgrade_indexes_existing_products_on_sqlite(tmp_path: Path) -> None:
    await _check(
        f"sqlite+aiosqlite:///{tmp_path / 'm.db'}",
        "SELECT rowid FROM product_fts WHERE product_fts MATCH 'jacket AND medium'",
    )


async def test_upgrade_indexes_existing_products_on_postgres() -> None:
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    await _run(TEST_DATABASE_URL, [f'CREATE SCHEMA "{schema}"'])
    try:
        await _check(
            f"{TEST_DATABASE_URL}?search_path={schema}",
            "SELECT product_id FROM product_search WHERE document @@ to_tsquery('simple', 'jacket & medium')",
        )
    finally:
        await _run(TEST_DATABASE_URL, [f'DROP SCHEMA "{schema}" CASCADE'])
