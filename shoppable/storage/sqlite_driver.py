"""SQLite under the async engine: reads run at once on the event loop, writes in the connection's thread.

aiosqlite runs every call of a connection in that connection's own thread: a statement is four
round trips (cursor, execute, fetch, close), each a hop to the thread and a wake-up of the event
loop. Under load that plumbing cost more of the loop's time than SQLite itself (py-spy on
bench/feed.py, 16 clients: 13% of the loop thread in aiosqlite and the loop's wake-ups, 1.4% in
SQLite), and every hop waited a whole turn of a busy loop (≈50 ms a statement).

A read in WAL mode never waits for a lock, and the reads of a page take a millisecond or two, so a
reading transaction runs its statements directly on the loop, with no thread at all. A writing
transaction (`BEGIN IMMEDIATE`, see `db.make_engine`) may wait for SQLite's one write lock: its
statements run in a thread of the connection's own, as with aiosqlite, so the loop never blocks on
the lock. A read measured slow (the minute's trending aggregate) runs in that thread too from then
on, so that it does not hold up every other request. The mode is chosen by the `begin` event of
each transaction; the connection, its pool and its events stay those of the ordinary
`sqlite+aiosqlite` engine.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine import AdaptedConnection
from sqlalchemy.util.concurrency import await_, in_greenlet

T = TypeVar("T")

READER_BUSY_TIMEOUT_MS = 200
"""How long a reading transaction (which runs on the event loop) may wait for a lock. Reads in WAL
mode take none; a statement that writes without `begin_write` would otherwise hold up the whole
loop for the writers' full timeout, and fails instead."""
SLOW_READ_SECONDS = 0.02
"""A read that took more of the loop's thread's CPU time than this runs in the connection's thread from then on
(by its SQL text): the minute's trending aggregate over the events takes a second on the bench's
data, during which every request of the process would otherwise stand still."""
MAX_SLOW_READS = 1000
WRITER_BUSY_TIMEOUT_MS = 30_000
"""How long a writing transaction (in its own thread) waits for SQLite's write lock."""


async def _now(function: Callable[..., T], *args: Any) -> T:
    return function(*args)


class _Cursor:
    """A DB-API cursor over the connection that buffers its rows, as SQLAlchemy's aiosqlite one does."""

    __slots__ = ("_adapted", "_cursor", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, adapted: InlineSqliteConnection) -> None:
        self._adapted = adapted
        self._cursor: sqlite3.Cursor | None = None
        self._rows: deque[Any] = deque()
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self._adapted.sqlite.cursor()
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        self.description = cursor.description
        self._rows = deque(cursor.fetchall()) if cursor.description else deque()
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid

    def execute(self, operation: str, parameters: Any = None) -> None:
        adapted = self._adapted
        slow = adapted.dbapi.slow_reads
        if adapted.threaded or operation in slow:
            adapted.call(self._run, operation, parameters, False, thread=True)
            return
        # This thread's CPU time, not the clock's: on a busy machine the process is often scheduled
        # out in the middle of a short statement, which is no reason to move it off the loop.
        started = time.thread_time()
        adapted.call(self._run, operation, parameters, False)
        if time.thread_time() - started > SLOW_READ_SECONDS and len(slow) < MAX_SLOW_READS:
            slow.add(operation)

    def executemany(self, operation: str, parameters: Sequence[Any]) -> None:
        self._adapted.call(self._run, operation, parameters, True)

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Any:
        while self._rows:
            yield self._rows.popleft()

    def setinputsizes(self, *_sizes: Any) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            self._adapted.call(cursor.close, inline=True)

    async def _async_soft_close(self) -> None:
        """Called by SQLAlchemy's async results; the rows are buffered already."""


class InlineSqliteConnection(AdaptedConnection):
    """A sqlite3 connection shaped as SQLAlchemy's adapted aiosqlite connection."""

    __slots__ = ("_busy_timeout", "_executor", "_sqlite", "_threaded", "dbapi")

    def __init__(self, dbapi: InlineSqliteDbapi, connection: sqlite3.Connection) -> None:
        self.dbapi = dbapi
        self._sqlite = connection
        self._connection = cast(Any, connection)  # what `driver_connection` answers
        self._threaded = False
        self._busy_timeout: int | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def sqlite(self) -> sqlite3.Connection:
        return self._sqlite

    def for_transaction(self, *, writes: bool) -> None:
        """Called as a transaction begins: a writing one runs in the thread and may wait long for
        the write lock; a reading one runs on the loop and may not."""
        self._threaded = writes
        timeout = WRITER_BUSY_TIMEOUT_MS if writes else READER_BUSY_TIMEOUT_MS
        if timeout != self._busy_timeout:
            self.call(self._sqlite.execute, f"PRAGMA busy_timeout={timeout}")
            self._busy_timeout = timeout

    @property
    def threaded(self) -> bool:
        return self._threaded

    def call(self, function: Callable[..., T], *args: Any, inline: bool = False, thread: bool = False) -> T:
        """`function(*args)` now, or in this connection's thread while a writing transaction runs
        or when `thread` (after what that thread is running: a statement of a cancelled request may
        still be)."""
        if not self._threaded and inline:
            return function(*args)  # needs no await: closing a cursor, not a statement
        if not in_greenlet():  # the pool's clean-up
            if self._executor is not None:
                self._executor.submit(function, *args)
                return None  # type: ignore[return-value]  # closing: nothing to answer
            return function(*args)
        if not (self._threaded or thread):
            # Through `await_` all the same: SQLAlchemy's async engine checks that a statement awaited.
            return await_(_now(function, *args))
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        return await_(asyncio.wrap_future(self._executor.submit(function, *args)))

    @property
    def isolation_level(self) -> str | None:
        return self._sqlite.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._sqlite.isolation_level = value  # type: ignore[assignment]  # None: SQLAlchemy begins

    def create_function(self, *args: Any, **kw: Any) -> None:
        self._sqlite.create_function(*args, **kw)

    def cursor(self, server_side: bool = False) -> _Cursor:
        return _Cursor(self)

    def execute(self, operation: str, parameters: Any = None) -> _Cursor:
        cursor = self.cursor()
        cursor.execute(operation, parameters)
        return cursor

    def commit(self) -> None:
        self.call(self._sqlite.commit)

    def rollback(self) -> None:
        self.call(self._sqlite.rollback)

    def close(self) -> None:
        # In the thread when it has one: a statement of a cancelled request may still run there.
        self._threaded = self._executor is not None
        try:
            self.call(self._sqlite.close)
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None

    def terminate(self) -> None:
        self.close()


class InlineSqliteDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite dialect's DB-API module, connecting with sqlite3 directly."""

    def __init__(self) -> None:
        import aiosqlite

        super().__init__(aiosqlite, sqlite3)
        self.slow_reads: set[str] = set()
        """SQL of the reads measured slower than SLOW_READ_SECONDS (one set per engine)."""

    def connect(self, *arg: Any, **kw: Any) -> InlineSqliteConnection:  # type: ignore[override]
        kw.pop("async_creator_fn", None)
        kw["check_same_thread"] = False  # a writing transaction runs in the connection's thread
        return InlineSqliteConnection(self, sqlite3.connect(*arg, **kw))
