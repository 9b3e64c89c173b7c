"""The SQLite driver: every statement runs whole in the connection's own thread (one hop, never on
the event loop), in order, and the engine's events see all of them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from shoppable.storage.db import Database
from shoppable.storage.sqlite_driver import ThreadedSqliteConnection


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")

    @event.listens_for(database.engine.sync_engine, "connect")
    def _functions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)
        dbapi_connection.create_function("nap", 1, lambda seconds: time.sleep(seconds) or seconds)

    async with database.writer.begin() as connection:
        await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        await connection.execute(text("INSERT INTO t VALUES (1), (2)"))
    yield database
    await database.dispose()


async def test_reads_and_writes_run_off_the_loop_in_the_connections_thread(db: Database) -> None:
    loop_thread = threading.get_ident()
    async with db.engine.connect() as connection:
        reader_thread = (await connection.execute(text("SELECT thread_id()"))).scalar()
        assert reader_thread != loop_thread
        assert (await connection.execute(text("SELECT thread_id()"))).scalar() == reader_thread
        assert [row.x for row in await connection.execute(text("SELECT x FROM t ORDER BY x"))] == [1, 2]
    async with db.writer.begin() as connection:
        assert (await connection.execute(text("SELECT thread_id()"))).scalar() != loop_thread
        await connection.execute(text("INSERT INTO t VALUES (3)"))
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_a_statement_is_one_call_into_the_thread(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = ThreadedSqliteConnection.call

    def counted(self: ThreadedSqliteConnection, function: Any, *args: Any) -> Any:
        calls.append(getattr(function, "__name__", "?"))
        return original(self, function, *args)

    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the connection's BEGIN, first
        monkeypatch.setattr(ThreadedSqliteConnection, "call", counted)
        rows = (await connection.execute(text("SELECT x FROM t ORDER BY x"))).all()
        assert calls == ["_run"]  # execute, fetch and close in one hop (aiosqlite takes four)
    assert [row.x for row in rows] == [1, 2]
    assert calls == ["_run", "rollback"]  # the pool ends the transaction as the connection returns


async def test_a_slow_statement_does_not_stall_the_loop(db: Database) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("SELECT nap(0.5)"))).scalar() == 0.5
    finally:
        ticker.cancel()
    assert ticks >= 10  # the loop kept turning while SQLite worked (it would be 0 on the loop)


async def test_statements_of_both_kinds_are_seen_by_the_engine_events(db: Database) -> None:
    seen: list[str] = []
    engine = db.engine.sync_engine
    event.listen(engine, "after_cursor_execute", lambda _c, _cur, statement, *_a: seen.append(statement))
    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    async with db.writer.begin() as connection:
        await connection.execute(text("INSERT INTO t VALUES (6)"))
    assert seen == ["BEGIN", "SELECT 1", "BEGIN IMMEDIATE", "INSERT INTO t VALUES (6)"]
