"""Small helpers of the storage layer."""

from __future__ import annotations

from collections import namedtuple

import pytest

from shoppable.storage.sql import Prefixed

Row = namedtuple("Row", ["id", "name", "merchant__id", "merchant__name"])


def test_prefixed_reads_a_joined_tables_labelled_columns() -> None:
    row = Row(1, "Product", 7, "Shop")
    merchant = Prefixed(row, "merchant__")
    assert (merchant.id, merchant.name) == (7, "Shop")
    with pytest.raises(AttributeError):
        _ = merchant.handle  # not selected: an error, never the product's own column
    assert Prefixed(row, "").name == "Product"
