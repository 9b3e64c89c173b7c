"""What every feed parser yields: whole products, or errors that point at a line of the merchant's file."""

from __future__ import annotations

from dataclasses import dataclass, replace
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


ERROR_EXTERNAL_ID_MAX = 255
ERROR_FIELD_MAX = 255


@dataclass(frozen=True)
class RowError:
    """One problem with one row. `field` is named as in the source file (column, or JSON path).

    `handle` is the product the row belongs to, when the row got far enough to tell: a full import
    must not archive a product whose rows are in the file, even when they failed.
    """

    row: int
    external_id: str | None
    field: str
    code: ErrorCode
    message: str
    handle: str | None = None

    def storable(self) -> RowError:
        """Fit for the error table: the parts copied from the merchant's file are clipped to their
        columns and lose NUL characters, which PostgreSQL text cannot hold."""
        external_id = _clean(self.external_id, ERROR_EXTERNAL_ID_MAX) if self.external_id else None
        field = _clean(self.field, ERROR_FIELD_MAX)
        message = self.message.replace("\x00", "\ufffd")
        if (external_id, field, message) == (self.external_id, self.field, self.message):
            return self
        return replace(self, external_id=external_id, field=field, message=message)


def _clean(text: str, max_chars: int) -> str:
    return text.replace("\x00", "\ufffd")[:max_chars]


FeedItem = ParsedProduct | RowError
