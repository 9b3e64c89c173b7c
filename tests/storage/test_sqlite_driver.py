"""The SQLite driver: reads on the event loop's thread, writes (and reads found slow) in the
connection's own thread, and a reader that tries to write never stalls the loop for long."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from shoppable.storage import sqlite_driver
from shoppable.storage.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")

    @event.listens_for(database.engine.sync_engine, "connect")
    def _thread_function(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    async with database.writer.begin() as connection:
        await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        await connection.execute(text("INSERT INTO t VALUES (1), (2)"))
    yield database
    await database.dispose()


async def test_reads_run_on_the_loop_thread_and_writes_in_another(db: Database) -> None:
    loop_thread = threading.get_ident()
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("SELECT thread_id()"))).scalar() == loop_thread
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 2
    async with db.writer.begin() as connection:
        assert (await connection.execute(text("SELECT thread_id()"))).scalar() != loop_thread
        await connection.execute(text("INSERT INTO t VALUES (3)"))
    # The same pooled connection reads on the loop again after a writing transaction.
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("SELECT thread_id()"))).scalar() == loop_thread
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_a_read_found_slow_moves_off_the_loop(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "SLOW_READ_SECONDS", -1.0)  # every read counts as slow
    loop_thread = threading.get_ident()
    query = text("SELECT thread_id(), (SELECT count(*) FROM t)")
    async with db.engine.connect() as connection:
        first = (await connection.execute(query)).one()
        second = (await connection.execute(query)).one()
    assert first == (loop_thread, 2)  # measured on the loop
    assert second[0] != loop_thread and second[1] == 2  # then run in the connection's thread


async def test_a_reader_that_writes_while_the_lock_is_held_fails_fast(db: Database) -> None:
    async with db.writer.connect() as writer:
        await writer.begin()
        await writer.execute(text("INSERT INTO t VALUES (4)"))  # holds SQLite's write lock
        async with db.engine.connect() as reader:
            started = time.perf_counter()
            with pytest.raises(OperationalError, match="locked"):
                await reader.execute(text("INSERT INTO t VALUES (5)"))
            # The reader's busy timeout (not the writers' 30 s) is all the loop stood still.
            assert time.perf_counter() - started < 5 * sqlite_driver.READER_BUSY_TIMEOUT_MS / 1000
        await writer.commit()
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 3


async def test_statements_of_both_kinds_are_seen_by_the_engine_events(db: Database) -> None:
    seen: list[str] = []
    engine = db.engine.sync_engine
    event.listen(engine, "after_cursor_execute", lambda _c, _cur, statement, *_a: seen.append(statement))
    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    async with db.writer.begin() as connection:
        await connection.execute(text("INSERT INTO t VALUES (6)"))
    assert seen == ["BEGIN", "SELECT 1", "BEGIN IMMEDIATE", "INSERT INTO t VALUES (6)"]
