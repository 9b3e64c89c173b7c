"""Engine, connections and transactions.

Strawberry resolves sibling fields concurrently, and one connection must never run two statements at
once, so every statement goes through `SqlTransaction.execute`, which holds a per-unit lock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

import msgspec
from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Connection, Engine, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

if TYPE_CHECKING:
    from shoppable.storage.uow import SqlUnitOfWork

T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_JSON_DECODER = msgspec.json.Decoder()


def json_loads(text: str | bytes) -> Any:
    """How JSON columns are read: msgspec's decoder, about 4x the standard library's on the small
    documents a card reads (SKU options, hashtags), which PostgreSQL pages decode by the hundred.

    The standard library stays the arbiter: what msgspec refuses (NaN, numbers beyond a double, lone
    surrogates, which `json.dumps` can write) is read by `json.loads` as before, so no stored value
    becomes unreadable."""
    try:
        return _JSON_DECODER.decode(text)
    except (msgspec.MsgspecError, UnicodeError):  # UnicodeError: text that is not UTF-8 encodable
        return json.loads(text)


def _sqlite_pool(url: str) -> dict[str, Any]:
    """A connection per request in flight (16 clients, a few background jobs) stays open: a SQLite
    connection is cheap to keep and opening one runs the pragmas again."""
    database = make_url(url).database
    if database in (None, "", ":memory:"):
        return {}  # one connection, shared (StaticPool): the only way to share an in-memory database
    return {"pool_size": 20, "max_overflow": 20}


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """`?search_path=name` on a PostgreSQL URL confines the app to one schema (tests use a schema each).

    Bound parameters are left out of error messages and logs (`hide_parameters`): they hold emails,
    password hashes and tokens.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            json_deserializer=json_loads,
            connect_args={"timeout": 30},
            **_sqlite_pool(url),
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the lock up front: SQLite then queues them instead of failing one of two
            # read-then-write transactions with "database is locked". Readers stay concurrent (WAL).
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    parsed = make_url(url)
    search_path = parsed.query.get("search_path")
    connect_args: dict[str, Any] = {}
    if search_path:
        parsed = parsed.difference_update_query(["search_path"])
        connect_args["server_settings"] = {"search_path": str(search_path)}
    return create_async_engine(
        parsed,
        echo=echo,
        hide_parameters=True,
        json_deserializer=json_loads,
        pool_size=20,
        max_overflow=20,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


class Database:
    """Owns the engine; hands out units of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.writer = (
            self.engine.execution_options(sqlite_immediate=True) if url.startswith("sqlite") else self.engine
        )
        self._sync_writer: Engine | None = None
        self.outbox_listeners: list[Callable[[], None]] = []
        """Called after a commit that queued webhook deliveries (the in-process worker wakes up)."""

    def sqlite_sync_writer(self) -> Engine | None:
        """A synchronous engine on the same SQLite file, for short writes run whole in one worker
        thread (`SqlTransaction.write_at_once`); None on PostgreSQL and for in-memory databases."""
        parsed = make_url(self.url)
        if not self.url.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
            return None
        if self._sync_writer is None:
            engine = create_engine(
                parsed.set(drivername="sqlite"),
                hide_parameters=True,
                json_deserializer=json_loads,
                connect_args={"timeout": 30, "check_same_thread": False},
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
            self._sync_writer = engine
        return self._sync_writer

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self, *, write: bool = False) -> SqlUnitOfWork:
        # Imported here: the unit of work builds the repositories, which are built on SqlTransaction.
        from shoppable.storage.uow import SqlUnitOfWork

        return SqlUnitOfWork(self, write=write)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._sync_writer is not None:
            self._sync_writer.dispose()


class SqlTransaction:
    """One connection, one transaction at a time; rolls back unless `commit()` was called.

    Repositories speak SQLAlchemy Core, so a plain connection (no ORM session) is all they need.
    """

    def __init__(self, db: Database, *, write: bool = False) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._write = write
        self._writer_for_life = write

    @property
    def dialect(self) -> str:
        return self.db.dialect

    async def _open(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await (self.db.writer if self._write else self.db.engine).connect()
        return self._connection

    async def begin_write(self) -> None:
        """Called by every operation that writes, before its first read.

        On SQLite a read transaction cannot safely become a write one under concurrency, so the
        read-only connection (holding nothing but reads) is released and a writer one is taken. On
        PostgreSQL, which locks rows and reads each statement at read committed, the open transaction
        simply goes on to write: releasing its connection only cost a rollback, a checkout, a ping and
        a BEGIN (a feed page's write, each time).
        """
        if self._write:
            return
        self._write = True
        if self.db.dialect != "sqlite":
            return
        async with self._lock:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        async with self._lock:
            connection = await self._open()
            if params is None:
                return await connection.execute(statement)
            return await connection.execute(statement, params)

    async def copy_rows(self, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]) -> None:
        """PostgreSQL COPY of many rows in this transaction: the fast path for bulk imports.

        Values must be what the driver expects for each column (JSON as text, aware datetimes).
        """
        async with self._lock:
            connection = await self._open()
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None  # an open connection has its driver's
            if not driver.is_in_transaction():
                await connection.exec_driver_sql("SELECT 1")  # let SQLAlchemy open its transaction first
            await driver.copy_records_to_table(table, records=list(records), columns=list(columns))

    async def commit(self) -> None:
        async with self._lock:
            back_to_reading = not self._writer_for_life and self.db.dialect == "sqlite"
            if self._connection is not None:
                await self._connection.commit()
                if back_to_reading:
                    # Back to reading: a writer connection would take SQLite's write lock again for
                    # the reads that follow (building the response) and make every writer wait.
                    await self._connection.close()
                    self._connection = None
            if back_to_reading:
                self._write = False

    async def write_at_once(self, write: Callable[[Connection], T]) -> T:
        """Run `write` (plain synchronous SQLAlchemy on a connection) as one burst of statements.

        On a SQLite file it runs whole in a worker thread, as its own transaction, committed when it
        returns (and rolled back if it raises): SQLite has one write lock for the whole database, and
        a transaction that yields to the event loop between its statements holds that lock for as
        many loop turns as it has statements. Under load each turn is long, and every other writer
        queued behind it (bench/feed.py measured 375 ms per `BEGIN IMMEDIATE` at 16 clients). On
        PostgreSQL, which locks rows, it runs in this transaction, committed by `commit()` as usual;
        so it does on SQLite when this transaction already writes.
        """
        engine = self.db.sqlite_sync_writer()
        if engine is None or self._writer_for_life or self._connection is not None:
            # PostgreSQL; or this transaction holds SQLite's write lock already (a writer unit of
            # work, or statements since `begin_write`): a second connection would wait on it.
            async with self._lock:
                connection = await self._open()
                return await connection.run_sync(write)

        def run() -> T:
            with engine.begin() as connection:
                return write(connection)

        return await asyncio.to_thread(run)

    async def rollback(self) -> None:
        async with self._lock:
            if self._connection is not None:
                await self._connection.rollback()

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()  # closing a connection rolls back whatever was not committed
