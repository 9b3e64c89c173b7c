"""Turning a stream of rows into whole products, with the checks that span the whole file.

Feeds spread one product over several rows (Google rows sharing `item_group_id`, Shopify rows
sharing a handle). Those rows are nearly always adjacent, but nothing forces them to be, and a parser
that must read a million rows in flat memory cannot hold the whole file. `RowGrouper` keeps a product
open while rows of it keep arriving and closes it once `window` rows have passed without one, so rows
of a product at most `window` rows apart still merge. A row that arrives after its product was closed
is reported as DUPLICATE rather than emitted as a second product with the same handle, which an
upsert by handle would let overwrite the first part. One product may span at most
MAX_ROWS_PER_PRODUCT rows, which bounds what an open product holds.

So items are not yielded in line order: a row's errors come as soon as it is read, a product once it
closes (up to `window` rows later, or at the end of the file).

A product is applied whole or not at all: one bad row fails the whole product (its error names the
row and field; the product's other rows are not reported again). Dropping one bad variant row instead
would let an import that syncs SKUs delete that variant from the shop.

`FeedLedger` remembers the handles and SKU codes already used in the file, one set of strings each:
the one part of the state that grows with the file, by roughly 90 bytes per SKU and per product
(about 130 MB for a million rows making 250,000 products).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from shoppable.domain.catalog.drafts import ProductDraft, validate_product
from shoppable.domain.catalog.formats.digests import DigestSet
from shoppable.domain.catalog.formats.records import FeedItem, ParsedProduct, RowError
from shoppable.domain.errors import ErrorCode, Path

DEFAULT_GROUP_WINDOW = 10_000
MAX_ROWS_PER_PRODUCT = 1_000  # a product has at most 250 SKUs; the rest of the room is for image rows
MAX_FIELD_CHARS = 131_072  # the csv module's default field limit; applied to every format

FieldNamer = Callable[[Path], str]


def json_path(path: Path) -> str:
    """("skus", 0, "price") -> "skus[0].price"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Built:
    """A product assembled from its rows; `sku_lines[i]` is the source line of `draft.skus[i]`."""

    draft: ProductDraft
    sku_lines: tuple[int, ...]


class FeedLedger:
    """File-wide checks: every product passes `validate_product` and no SKU code is used twice."""

    def __init__(self, field_name: FieldNamer) -> None:
        self.field_name = field_name
        self.handles = DigestSet()
        self.sku_codes = DigestSet()

    def accept(self, built: Built, lines: Sequence[int], external_id: str) -> list[FeedItem]:
        draft = built.draft
        first_line = min(lines)

        def line_of(path: Path) -> int:
            if len(path) >= 2 and path[0] == "skus" and isinstance(path[1], int):
                return built.sku_lines[path[1]]
            return first_line

        errors = [
            RowError(line_of(e.field), external_id, self.field_name(e.field), e.code, e.message)
            for e in validate_product(draft)
        ]
        for index, sku in enumerate(draft.skus):
            if sku.sku in self.sku_codes:
                errors.append(
                    RowError(
                        built.sku_lines[index],
                        external_id,
                        self.field_name(("skus", index, "sku")),
                        ErrorCode.DUPLICATE,
                        f"SKU code {sku.sku!r} is already used by another product in this file.",
                    )
                )
        if errors:
            errors.sort(key=lambda error: error.row)
            return [replace(error, handle=draft.handle) for error in errors]
        self.sku_codes.update(sku.sku for sku in draft.skus)
        return [ParsedProduct(draft, tuple(sorted(set(lines))), external_id)]


R = TypeVar("R")
Builder = Callable[[str, list[R]], "Built | list[RowError]"]


@dataclass
class _OpenProduct(Generic[R]):
    external_id: str
    joinable: bool
    last_seen: int
    rows: list[R] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    failed: bool = False


class RowGrouper(Generic[R]):
    """Collects the rows of each product (keyed by handle) and yields products as they close."""

    def __init__(
        self,
        build: Builder[R],
        ledger: FeedLedger,
        *,
        handle_field: str,
        window: int = DEFAULT_GROUP_WINDOW,
    ) -> None:
        self._build = build
        self._ledger = ledger
        self._handle_field = handle_field
        self._window = window
        self._open: OrderedDict[str, _OpenProduct[R]] = OrderedDict()
        self._seen = 0

    def add(
        self,
        handle: str | None,
        line: int,
        row: R | None,
        *,
        product_id: str,
        row_id: str | None,
        joins: bool = True,
        errors: Sequence[RowError] = (),
        handle_field: str | None = None,
    ) -> Iterator[FeedItem]:
        """Add one source row. `row` is None exactly when `errors` explain why it is unusable.

        `joins=False` marks a row that is a whole product by itself (a Google item without
        `item_group_id`): it never merges with another row of the same handle. `handle_field`
        names the column the handle came from, when it is not the grouper's usual one.
        """
        self._seen += 1
        yield from _tagged(
            self._add_row(
                handle, line, row, product_id, row_id, joins, errors, handle_field or self._handle_field
            ),
            handle,
        )
        yield from self._close_stale()

    def _add_row(
        self,
        handle: str | None,
        line: int,
        row: R | None,
        product_id: str,
        row_id: str | None,
        joins: bool,
        errors: Sequence[RowError],
        field_name: str,
    ) -> Iterator[FeedItem]:
        if not handle:
            yield from errors
        elif handle in self._open:
            yield from self._add_to_open(handle, line, row, row_id, joins, errors, field_name)
        elif handle in self._ledger.handles:
            yield from errors
            first = self._ledger.handles.value_of(handle)
            where = f"line {first:,}" if first else "an earlier line"
            yield RowError(
                line,
                row_id,
                field_name,
                ErrorCode.DUPLICATE,
                f"Product {handle!r} first appeared at {where} and its rows ended before this one. "
                f"A product's rows must come within {self._window:,} rows of each other (best: "
                "together); otherwise use another handle.",
            )
        else:
            product = _OpenProduct[R](product_id, joinable=joins, last_seen=self._seen, lines=[line])
            if errors or row is None:
                product.failed = True
                yield from errors
            else:
                product.rows.append(row)
            self._open[handle] = product
            if not joins:
                yield from self._close(handle)

    def finish(self) -> Iterator[FeedItem]:
        """Close every product still open; call once after the last row."""
        while self._open:
            yield from self._close(next(iter(self._open)))

    def _add_to_open(
        self,
        handle: str,
        line: int,
        row: R | None,
        row_id: str | None,
        joins: bool,
        errors: Sequence[RowError],
        field_name: str,
    ) -> Iterator[FeedItem]:
        product = self._open[handle]
        if not (joins and product.joinable):
            yield from errors
            yield RowError(
                line,
                row_id,
                field_name,
                ErrorCode.DUPLICATE,
                f"Another product in this file already uses the handle {handle!r}.",
            )
            return
        self._open.move_to_end(handle)
        product.last_seen = self._seen
        product.lines.append(line)
        if errors or row is None:
            product.failed = True
            product.rows.clear()
            yield from errors
        elif product.failed:
            pass
        elif len(product.rows) >= MAX_ROWS_PER_PRODUCT:
            product.failed = True
            product.rows.clear()
            yield RowError(
                line,
                row_id,
                field_name,
                ErrorCode.LIMIT_EXCEEDED,
                f"Product {handle!r} has more than {MAX_ROWS_PER_PRODUCT:,} rows.",
            )
        else:
            product.rows.append(row)

    def _close_stale(self) -> Iterator[FeedItem]:
        while self._open:
            handle, product = next(iter(self._open.items()))
            if self._seen - product.last_seen < self._window:
                return
            yield from self._close(handle)

    def _close(self, handle: str) -> Iterator[FeedItem]:
        product = self._open.pop(handle)
        self._ledger.handles.add(handle, min(product.lines) if product.lines else 0)
        if product.failed:
            return
        built = self._build(handle, product.rows)
        if isinstance(built, list):
            yield from _tagged(built, handle)
            return
        yield from self._ledger.accept(built, product.lines, product.external_id)


def _tagged(items: Iterable[FeedItem], handle: str | None) -> Iterator[FeedItem]:
    """Row errors marked with the product they belong to."""
    for item in items:
        if handle and isinstance(item, RowError) and item.handle is None:
            yield replace(item, handle=handle)
        else:
            yield item
