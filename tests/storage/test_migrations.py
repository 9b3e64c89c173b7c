"""Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from shoppable.storage.db import Database
from shoppable.storage.migrate import upgrade
from shoppable.storage.tables import metadata
from shoppable.storage.tables.search import include_object
from tests.conftest import TEST_DATABASE_URL


async def _diff(url: str) -> list:
    database = Database(url)
    try:
        async with database.engine.connect() as conn:

            def compare(sync_conn):
                context = MigrationContext.configure(
                    sync_conn, opts={"compare_type": True, "include_object": include_object}
                )
                return compare_metadata(context, metadata)

            return await conn.run_sync(compare)
    finally:
        await database.dispose()


async def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    await asyncio.to_thread(upgrade, url)
    assert await _diff(url) == []


async def test_migrations_match_models_on_postgres() -> None:
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = Database(TEST_DATABASE_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{TEST_DATABASE_URL}?search_path={schema}"
        await asyncio.to_thread(upgrade, url)
        assert await _diff(url) == []
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
