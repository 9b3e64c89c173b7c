"""Small helpers every SQL repository shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlmodel import SQLModel

IN_CHUNK = 500  # bound IN-lists: SQLite allows 32k parameters, but plans stay cheaper small


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class, for repositories that speak SQLAlchemy Core."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # set by SQLModel's metaclass, not declared
    return table
