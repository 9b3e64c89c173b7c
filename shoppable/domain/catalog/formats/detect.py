"""Recognising a feed's format from its first bytes, and one entry point that parses any of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from shoppable.domain.catalog.formats.google import parse_google_tsv, parse_google_xml
from shoppable.domain.catalog.formats.jsonl import parse_jsonl
from shoppable.domain.catalog.formats.records import FeedError, FeedFormat, FeedItem
from shoppable.domain.catalog.formats.shopify import parse_shopify_csv
from shoppable.domain.catalog.formats.tabular import header_key

HEAD_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"


def detect_format(head: bytes) -> FeedFormat:
    """The format of a feed starting with `head` (a few KB are enough; the header row must be whole)."""
    text = head.removeprefix(_BOM).decode("utf-8", errors="replace").lstrip()
    if text.startswith("<"):
        return FeedFormat.GOOGLE_XML
    if text.startswith("{"):
        return FeedFormat.JSONL
    first_line = text.splitlines()[0] if text else ""
    if "\t" in first_line:
        names = {header_key(cell).removeprefix("g:") for cell in first_line.split("\t")}
        if {"id", "title"} <= names:
            return FeedFormat.GOOGLE_TSV
    cells = next(csv.reader([first_line]), [])
    if {"handle", "url handle"} & {header_key(cell) for cell in cells}:
        return FeedFormat.SHOPIFY_CSV
    raise FeedError(
        "The file's format is not recognised: upload JSON Lines, a Google Merchant Center TSV or XML feed, "
        "or a Shopify product CSV (with its header row)."
    )


def parse_feed(
    stream: BinaryIO, fmt: FeedFormat | str | None = None, *, currency: str = "USD"
) -> Iterator[FeedItem]:
    """Parse `stream` as `fmt`, or as the format its first bytes show. `currency` prices Shopify CSVs.

    Detection happens now (it reads the head of the stream); the parsing itself streams as the result
    is iterated, and may raise FeedError part-way through.
    """
    if fmt is None:
        head = stream.read(HEAD_BYTES)
        format_ = detect_format(head)
        stream = io.BufferedReader(_Prefixed(head, stream))
    else:
        try:
            format_ = FeedFormat(fmt)
        except ValueError:
            known = ", ".join(f.value for f in FeedFormat)
            raise FeedError(f"Unknown feed format {fmt!r}; expected one of {known}.") from None
    if format_ is FeedFormat.JSONL:
        return parse_jsonl(stream)
    if format_ is FeedFormat.GOOGLE_TSV:
        return parse_google_tsv(stream)
    if format_ is FeedFormat.GOOGLE_XML:
        return parse_google_xml(stream)
    return parse_shopify_csv(stream, currency=currency)


class _Prefixed(io.RawIOBase):
    """Bytes already read from a stream, followed by the rest of that stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    # io hands readinto a bytearray or memoryview; typeshed's Buffer protocol cannot be sliced into.
    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Closing our view does not close the caller's stream."""
        self._head = memoryview(b"")
        super().close()
