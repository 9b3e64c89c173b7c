"""What every feed parser yields: whole products, or errors that point at a line of the merchant's file."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shoppable.domain.catalog.drafts import ProductDraft
from shoppable.domain.errors import ErrorCode


class FeedFormat(StrEnum):
    JSONL = "jsonl"
    GOOGLE_TSV = "google_tsv"
    GOOGLE_XML = "google_xml"
    SHOPIFY_CSV = "shopify_csv"


class FeedError(Exception):
    """The file as a whole cannot be read (not UTF-8, malformed or hostile XML, missing columns...).

    Parsers stream, so this can be raised after some items were already yielded (a truncated XML
    file fails at its end); the message is meant for the merchant as-is.
    """


@dataclass(frozen=True)
class ParsedProduct:
    """One product that passed every check, with the source lines (or XML item numbers) it came from."""

    draft: ProductDraft
    lines: tuple[int, ...]
    external_id: str


@dataclass(frozen=True)
class RowError:
    """One problem with one row. `field` is named as in the source file (column, or JSON path)."""

    row: int
    external_id: str | None
    field: str
    code: ErrorCode
    message: str


FeedItem = ParsedProduct | RowError
