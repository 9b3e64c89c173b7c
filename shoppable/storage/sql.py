"""Small SQL helpers every repository shares: bounded IN-lists, insert-or-skip, keyset positions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Table, and_, bindparam, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

from shoppable.domain.pagination import Key
from shoppable.storage.db import SqlTransaction

T = TypeVar("T")

IN_CHUNK = 500
"""Bound IN-lists: SQLite allows 32k parameters, but plans stay cheaper small."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> list[Sequence[T]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


IDS = "ids"
"""The name of the id list that a statement built once with `ids_param` is executed with."""


def ids_param() -> BindParameter[Any]:
    """An IN-list bound at execution (`{IDS: [...]}`), for statements built once and reused.

    Hot reads (a feed page runs a handful) are built once per shape, with `functools.cache`, and
    executed with parameters: building a statement of a few dozen labelled columns and computing
    its cache key costs SQLAlchemy about 1-5 ms each time, executing a built one a few microseconds
    of that."""
    return bindparam(IDS, expanding=True)


class Prefixed:
    """A row's columns named `<prefix><name>`, read as `name` (a joined table's columns, labelled).

    Every attribute is looked up on the row: `__getattribute__` rather than `__getattr__`, which
    Python calls only after its own lookup failed and built an AttributeError (2.4x the time per
    column; a feed page reads a few hundred of them)."""

    __slots__ = ("_pair",)

    def __init__(self, row: Any, prefix: str) -> None:
        object.__setattr__(self, "_pair", (row, prefix))

    def __getattribute__(self, name: str) -> Any:
        row, prefix = object.__getattribute__(self, "_pair")
        return getattr(row, prefix + name)


def table_of(row_type: type[Any]) -> Table:
    """The Core table of a SQLModel `table=True` class."""
    table: Table = row_type.__table__
    return table


def insert_if_absent(tx: SqlTransaction, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent duplicates are skipped, never an error."""
    dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing()


def micros(moment: datetime) -> int:
    """A timestamp as whole microseconds since the epoch: exact, and JSON-safe inside a cursor."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int | str | float) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))


def newest_first_after(sort_column: Any, id_column: Any, after: Key) -> ColumnElement[bool]:
    """Rows after a cursor `(micros(sort value), id)` in (sort DESC, id DESC) order."""
    moment, row_id = from_micros(after[0]), int(after[1])
    return or_(sort_column < moment, and_(sort_column == moment, id_column < row_id))
