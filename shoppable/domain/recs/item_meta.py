"""Item metadata the production ranker blends in: who made an item, what it is, what it costs, how new it is.

Everything is optional: a catalogue without metadata still gets co-engagement and popularity,
and an item without a creator simply earns no creator affinity.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shoppable.domain.recs.interactions import IdIndex, parse_timestamp

ITEM_COLUMNS = ("item_id", "creator_id", "category", "price", "created_at")


@dataclass(frozen=True)
class ItemRecord:
    item_id: str
    creator_id: str | None = None
    category: str | None = None
    price: float | None = None
    created_at: float | None = None  # epoch seconds


@dataclass(frozen=True, eq=False)
class ItemMeta:
    """Arrays aligned with an item vocabulary; -1 / NaN mark unknown values."""

    creator: np.ndarray  # int32 index into `creators`, -1 unknown
    category: np.ndarray  # int32 index into `categories`, -1 unknown
    price: np.ndarray  # float64, NaN unknown
    created_at: np.ndarray  # float64 epoch seconds, NaN unknown
    creators: IdIndex
    categories: IdIndex

    @classmethod
    def empty(cls, n_items: int) -> ItemMeta:
        return cls.from_records([""] * n_items, [])

    @classmethod
    def from_records(cls, item_ids: Sequence[str], records: Iterable[ItemRecord]) -> ItemMeta:
        """Align records with `item_ids` (the model's item vocabulary); records of other items are ignored."""
        positions = {item_id: position for position, item_id in enumerate(item_ids)}
        n_items = len(item_ids)
        creator = np.full(n_items, -1, dtype=np.int32)
        category = np.full(n_items, -1, dtype=np.int32)
        price = np.full(n_items, np.nan)
        created_at = np.full(n_items, np.nan)
        creators = IdIndex()
        categories = IdIndex()
        for record in records:
            position = positions.get(record.item_id)
            if position is None:
                continue
            if record.creator_id:
                creator[position] = creators.add(record.creator_id)
            if record.category:
                category[position] = categories.add(record.category)
            if record.price is not None:
                price[position] = record.price
            if record.created_at is not None:
                created_at[position] = record.created_at
        return cls(creator, category, price, created_at, creators, categories)

    @property
    def n_items(self) -> int:
        return len(self.creator)


def load_items_csv(path: Path | str) -> list[ItemRecord]:
    """Read `item_id[,creator_id][,category][,price][,created_at]` (header required; empty cells are unknown)."""
    path = Path(path)
    records: list[ItemRecord] = []
    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise ValueError(f"{path}: line 1: empty file, expected a header with item_id")
        names = [name.strip().lower() for name in header]
        if "item_id" not in names:
            raise ValueError(f"{path}: line 1: header lacks column item_id (found {', '.join(names)})")
        columns = {name: names.index(name) for name in ITEM_COLUMNS if name in names}
        width = max(columns.values()) + 1
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) < width:
                raise ValueError(f"{path}: line {line}: expected {width} fields, found {len(row)}")

            def cell(name: str, row: list[str] = row) -> str:
                position = columns.get(name)
                return row[position].strip() if position is not None else ""

            item_id = cell("item_id")
            if not item_id:
                raise ValueError(f"{path}: line {line}: empty item_id")
            if item_id in seen:
                raise ValueError(f"{path}: line {line}: duplicate item_id {item_id!r}")
            seen.add(item_id)
            price: float | None = None
            if cell("price"):
                try:
                    price = float(cell("price"))
                except ValueError:
                    raise ValueError(
                        f"{path}: line {line}: price {cell('price')!r} is not a number"
                    ) from None
                if not math.isfinite(price) or price < 0:
                    raise ValueError(f"{path}: line {line}: price {cell('price')!r} must be >= 0")
            created_at: float | None = None
            if cell("created_at"):
                try:
                    created_at = parse_timestamp(cell("created_at"))
                except ValueError as error:
                    raise ValueError(f"{path}: line {line}: created_at: {error}") from None
            records.append(
                ItemRecord(item_id, cell("creator_id") or None, cell("category") or None, price, created_at)
            )
    return records
