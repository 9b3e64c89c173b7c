"""Streaming CSV/TSV records with the source line each one starts on."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from shoppable.domain.catalog.formats.records import FeedError


def read_records(stream: BinaryIO, *, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield `(first line number, cells)` for every record that is not blank.

    A quoted cell may span lines (Shopify descriptions often do), so the line a record starts on is
    one past where the previous record ended. The caller's stream is left open.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    consumed = 0
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise FeedError(
                    f"The file is not valid UTF-8 (near line {consumed + 1}); save it as UTF-8 and upload it again."
                ) from exc
            except csv.Error as exc:
                raise FeedError(f"Line {consumed + 1} cannot be read: {exc}.") from exc
            start, consumed = consumed + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    finally:
        with contextlib.suppress(ValueError):  # the caller closed the stream already
            text.detach()


def header_key(name: str) -> str:
    """Header cells compared case- and spacing-insensitively: " Variant  SKU" -> "variant sku"."""
    return " ".join(name.split()).lower()
