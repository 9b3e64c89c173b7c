"""SQLite under the async engine: one thread hop per statement instead of aiosqlite's four.

aiosqlite runs every call of a connection in that connection's own thread, and SQLAlchemy's adapter
makes four such calls for a statement (cursor, execute, fetch, close): four hops to the thread and
four wake-ups of the event loop. Under load that plumbing cost more of the loop's time than SQLite
itself (py-spy on bench/feed.py with 16 clients: 13% of the loop thread in aiosqlite and the loop's
wake-ups, 1.4% in SQLite), and on a busy loop every hop waited a whole turn (≈50 ms a statement).

Here a statement runs whole in the connection's thread (execute and fetch every row, in one call),
so it costs one hop. Nothing runs SQL on the event loop: a slow read or a writer waiting for SQLite's
write lock (`busy_timeout`) never stalls the other requests. The connection, its pool and its
events stay those of the ordinary `sqlite+aiosqlite` engine; only the DB-API module is ours, since
aiosqlite's API offers no way to run execute and fetch as one call.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine import AdaptedConnection
from sqlalchemy.util.concurrency import await_, in_greenlet

T = TypeVar("T")


class _Cursor:
    """A DB-API cursor over the connection that buffers its rows, as SQLAlchemy's aiosqlite one does."""

    __slots__ = ("_adapted", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, adapted: ThreadedSqliteConnection) -> None:
        self._adapted = adapted
        self._rows: deque[Any] = deque()
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        """In the connection's thread: the statement, its rows and its cursor's end, in one go."""
        cursor = self._adapted.sqlite.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            else:
                cursor.execute(operation, () if parameters is None else parameters)
            self.description = cursor.description
            self._rows = deque(cursor.fetchall()) if cursor.description else deque()
            self.rowcount = cursor.rowcount
            self.lastrowid = cursor.lastrowid
        finally:
            cursor.close()

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._adapted.call(self._run, operation, parameters, False)

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
        self._rows.clear()  # the sqlite3 cursor was closed in the thread, with its statement

    async def _async_soft_close(self) -> None:
        """Called by SQLAlchemy's async results; the rows are buffered already."""


class ThreadedSqliteConnection(AdaptedConnection):
    """A sqlite3 connection shaped as SQLAlchemy's adapted aiosqlite connection, used only from a
    thread of its own (one worker: its statements run in order, as on one aiosqlite connection)."""

    __slots__ = ("_executor", "_sqlite")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._sqlite = connection
        self._connection = cast(Any, connection)  # what `driver_connection` answers
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    @property
    def sqlite(self) -> sqlite3.Connection:
        return self._sqlite

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in the connection's thread, awaited by the calling greenlet."""
        if not in_greenlet():  # the pool's clean-up, outside any request: nothing waits for it
            return self._executor.submit(function, *args).result()
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
        # In the thread: a statement of a cancelled request may still be running there.
        try:
            self.call(self._sqlite.close)
        finally:
            self._executor.shutdown(wait=False)

    def terminate(self) -> None:
        self.close()


class ThreadedSqliteDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite dialect's DB-API module, connecting with sqlite3 directly."""

    def __init__(self) -> None:
        import aiosqlite

        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> ThreadedSqliteConnection:  # type: ignore[override]
        kw.pop("async_creator_fn", None)
        kw["check_same_thread"] = False  # opened here, used in the connection's thread
        return ThreadedSqliteConnection(sqlite3.connect(*arg, **kw))
