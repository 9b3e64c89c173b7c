"""Google Merchant Center product data: tab-separated files and RSS 2.0 / Atom XML feeds.

Items sharing `item_group_id` become the SKUs of one product (handle `slugify(item_group_id)`);
an item without one is a single-SKU product (handle `slugify(id)`). The SKU code is the item's `id`.
A group's title is the words its items' titles share ("Linen Duvet Cover - Sage / Queen" and
"Linen Duvet Cover - Sand / King" give "Linen Duvet Cover"), or the first item's title when they
share too little. Options (named Color, Size, Material, Pattern) are those of color/size/material/pattern
that take at least two values in the group (an item that leaves such a one empty is an error); a single
value (the material of all sizes of a rug, the colour of a single item) goes to `ProductDraft.extra`
instead of becoming a one-choice option.

Google feeds carry no stock counts, so availability maps to a policy and an optional quantity:
in_stock is untracked (quantity None, DENY), out_of_stock is quantity 0 with DENY, preorder is
PREORDER, backorder is quantity 0 with CONTINUE. A `sale_price` becomes the price and the original
`price` the compare-at price (`sale_price_effective_date` is not interpreted). The category is the
first element of `product_type`, else of `google_product_category`; link, condition and the full
category paths go to `ProductDraft.extra`.

TSV headers are matched case-insensitively, with or without the `g:` prefix; errors name columns by
their Google attribute name (`sale_price`). Cells may be quoted ("quoted fields", with "" for a quote
inside), which lets a description hold tabs and line breaks; `additional_image_link` is split on commas. XML is read with defusedxml in chunks through expat; a DTD
may be present but any entity declaration (billion laughs, XXE) or external reference raises FeedError.
XML rows are numbered by the source line of the `<item>`/`<entry>` start tag, read from expat at the
moment the tag is parsed, so errors point into the file just like TSV line numbers do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.drafts import ProductDraft, SkuDraft, slugify
from shoppable.domain.catalog.formats.assembly import (
    DEFAULT_GROUP_WINDOW,
    MAX_FIELD_CHARS,
    Built,
    FeedLedger,
    RowGrouper,
)
from shoppable.domain.catalog.formats.records import FeedError, FeedItem, RowError
from shoppable.domain.catalog.formats.tabular import read_records
from shoppable.domain.catalog.limits import is_web_url
from shoppable.domain.catalog.money import Money, MoneyError, parse_money_text
from shoppable.domain.errors import ErrorCode, Path

GOOGLE_NAMESPACE = "http://base.google.com/ns/1.0"
REQUIRED_COLUMNS = ("id", "title", "price", "availability")
OPTION_COLUMNS = {"color": "Color", "size": "Size", "material": "Material", "pattern": "Pattern"}
_XML_CHUNK = 64 * 1024

# availability value (lower-case, spaces as underscores) -> (quantity, policy)
_AVAILABILITY: dict[str, tuple[int | None, InventoryPolicy]] = {
    "in_stock": (None, InventoryPolicy.DENY),
    "available_for_order": (None, InventoryPolicy.DENY),
    "out_of_stock": (0, InventoryPolicy.DENY),
    "preorder": (None, InventoryPolicy.PREORDER),
    "backorder": (0, InventoryPolicy.CONTINUE),
}


@dataclass(frozen=True)
class _Item:
    """One valid feed item, already converted."""

    line: int
    id: str
    title: str
    price: Money
    compare_at: Money | None
    quantity: int | None
    policy: InventoryPolicy
    image_link: str | None
    images: tuple[str, ...]
    options: Mapping[str, str]
    fields: Mapping[str, str]


@dataclass
class _RawItem:
    """An item as read: attribute name -> text, plus the repeatable additional images."""

    line: int
    fields: dict[str, str] = field(default_factory=dict)
    additional_images: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_google_tsv(stream: BinaryIO, *, group_window: int = DEFAULT_GROUP_WINDOW) -> Iterator[FeedItem]:
    """Parse a Merchant Center tab-separated file (header row first)."""
    records = read_records(stream, delimiter="\t")
    header = next(records, None)
    if header is None:
        return
    columns = [_attribute_name(cell) for cell in header[1]]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise FeedError(
            f"The header row has no {', '.join(missing)} column; "
            f"Google feeds need {', '.join(REQUIRED_COLUMNS)}."
        )
    positions: dict[str, int] = {}
    for index, name in enumerate(columns):
        positions.setdefault(name, index)
    image_positions = [index for index, name in enumerate(columns) if name == "additional_image_link"]

    def raw_items() -> Iterator[_RawItem]:
        for line, cells in records:
            item = _RawItem(line)
            for name, index in positions.items():
                if index < len(cells) and name != "additional_image_link":
                    item.fields[name] = cells[index].strip()
            for index in image_positions:
                if index < len(cells):
                    item.additional_images.extend(
                        url.strip() for url in cells[index].split(",") if url.strip()
                    )
            yield item

    yield from _products(raw_items(), group_window)


def parse_google_xml(stream: BinaryIO, *, group_window: int = DEFAULT_GROUP_WINDOW) -> Iterator[FeedItem]:
    """Parse an RSS 2.0 (`<rss><channel><item>`) or Atom (`<feed><entry>`) Merchant Center feed."""
    yield from _products(_xml_items(stream), group_window)


def _attribute_name(header: str) -> str:
    name = " ".join(header.split()).lower()
    name = name.removeprefix("g:")
    return name.replace(" ", "_").replace("-", "_")


def _products(items: Iterator[_RawItem], group_window: int) -> Iterator[FeedItem]:
    ledger = FeedLedger(_field_name)
    grouper: RowGrouper[_Item] = RowGrouper(_build, ledger, handle_field="item_group_id", window=group_window)
    for raw in items:
        item_id = raw.fields.get("id") or None
        group_id = raw.fields.get("item_group_id") or None
        errors = list(raw.errors)
        item = _convert(raw, errors)
        handle_source = group_id or item_id
        handle = slugify(handle_source) if handle_source else None
        if handle_source and not handle:
            errors.append(
                RowError(
                    raw.line,
                    item_id,
                    "item_group_id" if group_id else "id",
                    ErrorCode.INVALID,
                    f"{handle_source!r} has no letters or digits to make a product handle from.",
                )
            )
        yield from grouper.add(
            handle,
            raw.line,
            None if errors else item,
            product_id=handle_source or "",
            row_id=item_id,
            joins=group_id is not None,
            errors=errors,
            handle_field="item_group_id" if group_id else "id",
        )
    yield from grouper.finish()


def _convert(raw: _RawItem, errors: list[RowError]) -> _Item | None:
    """The item, or None with its problems appended to `errors` (every problem, not just the first)."""
    fields = raw.fields
    item_id = fields.get("id") or None
    before = len(errors)

    def fail(column: str, code: ErrorCode, message: str) -> None:
        errors.append(RowError(raw.line, item_id, column, code, message))

    if not item_id:
        fail("id", ErrorCode.REQUIRED, "Every item needs an id.")
    title = fields.get("title", "")
    if not title:
        fail("title", ErrorCode.REQUIRED, "Every item needs a title.")
    price = _money(fields.get("price", ""), "price", fail, required=True)
    sale = _money(fields.get("sale_price", ""), "sale_price", fail, required=False)
    compare_at = None
    if price is not None and sale is not None:
        if sale.currency != price.currency:
            fail("sale_price", ErrorCode.INVALID, "sale_price must use the same currency as price.")
        elif sale >= price:
            fail("sale_price", ErrorCode.INVALID, "sale_price must be below price.")
        else:
            price, compare_at = sale, price
    availability = "_".join(fields.get("availability", "").lower().split())
    if not availability:
        fail("availability", ErrorCode.REQUIRED, "Every item needs an availability.")
    elif availability not in _AVAILABILITY:
        fail(
            "availability",
            ErrorCode.INVALID,
            f"Unknown availability {fields['availability'][:50]!r}; use in_stock, out_of_stock, preorder or backorder.",
        )
    image_link = fields.get("image_link") or None
    images = [url for url in (image_link, *raw.additional_images) if url]
    for url in images:
        if not is_web_url(url):
            column = "image_link" if url == image_link else "additional_image_link"
            fail(column, ErrorCode.INVALID, f"Image URL {url[:200]!r} must start with https://.")
            break
    if len(errors) > before or price is None or not item_id:
        return None
    quantity, policy = _AVAILABILITY[availability]
    return _Item(
        line=raw.line,
        id=item_id,
        title=title,
        price=price,
        compare_at=compare_at,
        quantity=quantity,
        policy=policy,
        image_link=image_link,
        images=tuple(dict.fromkeys(images)),
        options={name: fields[column] for column, name in OPTION_COLUMNS.items() if fields.get(column)},
        fields=fields,
    )


def _money(
    text: str, column: str, fail: Callable[[str, ErrorCode, str], None], *, required: bool
) -> Money | None:
    if not text:
        if required:
            fail(column, ErrorCode.REQUIRED, f"Every item needs a {column}.")
        return None
    try:
        return parse_money_text(text)
    except MoneyError as exc:
        fail(column, ErrorCode.INVALID, str(exc))
        return None


def _build(handle: str, items: list[_Item]) -> Built | list[RowError]:
    # An attribute is an option only where it tells the group's items apart; a constant one (the
    # material of every size of a rug, the colour of a single item) describes the product instead.
    names = [
        name
        for name in OPTION_COLUMNS.values()
        if len({item.options.get(name, "") for item in items} - {""}) > 1
    ]
    errors = [
        RowError(
            item.line,
            item.id,
            column,
            ErrorCode.REQUIRED,
            f"Other items of group {item.fields.get('item_group_id')!r} set {column}; this one does not.",
        )
        for item in items
        for column, name in OPTION_COLUMNS.items()
        if name in names and name not in item.options
    ]
    if errors:
        return errors
    title = _shared_title([item.title for item in items])
    skus = tuple(
        SkuDraft(
            sku=item.id,
            price=item.price,
            compare_at_price=item.compare_at,
            quantity=item.quantity,
            inventory_policy=item.policy,
            gtin=item.fields.get("gtin") or None,
            mpn=item.fields.get("mpn") or None,
            options=tuple((name, item.options[name]) for name in names),
            title=item.title if item.title != title else None,
            image_url=item.image_link,
        )
        for item in items
    )
    draft = ProductDraft(
        handle=handle,
        title=title,
        skus=skus,
        description=_first(items, "description"),
        brand=_first(items, "brand"),
        category=_category(items),
        images=tuple(dict.fromkeys(url for item in items for url in item.images)),
        extra=tuple(
            (name, value)
            for name in ("link", "condition", "product_type", "google_product_category", "availability_date")
            if (value := _first(items, name))
        )
        + tuple(
            (column, value)
            for column, name in OPTION_COLUMNS.items()
            if name not in names
            and (value := next((i.options[name] for i in items if name in i.options), None))
        ),
    )
    return Built(draft, tuple(item.line for item in items))


def _first(items: Sequence[_Item], column: str) -> str | None:
    return next((item.fields[column] for item in items if item.fields.get(column)), None)


def _category(items: Sequence[_Item]) -> str | None:
    path = _first(items, "product_type") or _first(items, "google_product_category")
    if path is None:
        return None
    return path.split(">")[0].strip() or None


def _shared_title(titles: list[str]) -> str:
    """The words every title starts with, minus trailing separators; the first title if too little is shared."""
    first = titles[0]
    if len(titles) == 1:
        return first
    words = first.split()
    shared = len(words)
    for title in titles[1:]:
        other = title.split()
        shared = min(shared, len(other))
        for index in range(shared):
            if words[index] != other[index]:
                shared = index
                break
    prefix = " ".join(words[:shared]).rstrip(" -–—/|,:(")
    return prefix if len(prefix) >= 3 else first


def _field_name(path: Path) -> str:
    """validate_product paths in the feed's vocabulary."""
    last = next((str(part) for part in reversed(path) if isinstance(part, str)), "")
    if "options" in path:
        last = "options"
    names = {
        "handle": "item_group_id",
        "title": "title",
        "skus": "id",
        "sku": "id",
        "price": "price",
        "compareAtPrice": "sale_price",
        "quantity": "availability",
        "options": "/".join(OPTION_COLUMNS),
        "images": "additional_image_link",
        "image": "image_link",
        "category": "product_type",
    }
    return names.get(last, last)


# --- XML -------------------------------------------------------------------------------------------


class _ItemCollector:
    """An expat target that keeps only the direct children of the `<item>` being read.

    Nothing else of the document is kept, so memory stays flat whatever the number of items.
    """

    def __init__(self, current_line: Callable[[], int]) -> None:
        self.current_line = current_line
        self.done: list[_RawItem] = []
        self._depth = 0
        self._item: _RawItem | None = None
        self._item_depth = 0
        self._google_fields: set[str] = set()
        self._field: str | None = None
        self._field_is_google = False
        self._text: list[str] = []
        self._size = 0
        self._href: str | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self._depth += 1
        namespace, name = _split_tag(tag)
        if self._depth == 1 and name not in ("rss", "feed"):
            raise FeedError(
                f"The XML root element is <{name}>; Google feeds are RSS 2.0 <rss> or Atom <feed>."
            )
        if self._item is None:
            if name in ("item", "entry"):
                self._item = _RawItem(self.current_line())
                self._item_depth = self._depth
                self._google_fields = set()
        elif self._depth == self._item_depth + 1:
            self._field = name
            self._field_is_google = namespace == GOOGLE_NAMESPACE
            self._text = []
            self._size = 0
            self._href = attrib.get("href") if name == "link" else None

    def data(self, text: str) -> None:
        if self._field is not None and self._depth == self._item_depth + 1:
            self._size += len(text)
            if self._size <= MAX_FIELD_CHARS:
                self._text.append(text)

    def end(self, tag: str) -> None:
        item = self._item
        if item is not None:
            if self._depth == self._item_depth + 1 and self._field is not None:
                self._store(item)
            elif self._depth == self._item_depth:
                self.done.append(item)
                self._item = None
        self._depth -= 1

    def close(self) -> None:
        return None

    def _store(self, item: _RawItem) -> None:
        name = {"summary": "description", "content": "description"}.get(self._field or "", self._field or "")
        self._field = None
        if self._size > MAX_FIELD_CHARS:
            item.errors.append(
                RowError(
                    item.line,
                    None,
                    name,
                    ErrorCode.TOO_LARGE,
                    f"{name} is longer than {MAX_FIELD_CHARS:,} characters.",
                )
            )
            return
        value = ("".join(self._text).strip() or self._href or "").strip()
        if name == "additional_image_link":
            if value:
                item.additional_images.append(value)
            return
        # A g:-namespaced attribute wins over a plain one (Atom's own <id> and <title> vs g:id, g:title).
        if self._field_is_google and name not in self._google_fields:
            self._google_fields.add(name)
            item.fields[name] = value
        elif name not in item.fields:
            item.fields[name] = value


def _split_tag(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name.lower()
    return None, tag.lower()


def _xml_items(stream: BinaryIO) -> Iterator[_RawItem]:
    collector = _ItemCollector(lambda: 0)
    parser = DefusedXMLParser(target=collector, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    collector.current_line = lambda: parser.parser.CurrentLineNumber
    try:
        while chunk := stream.read(_XML_CHUNK):
            parser.feed(chunk)
            yield from collector.done
            collector.done.clear()
        parser.close()
    except DefusedXmlException as exc:
        raise FeedError(_defused_message(exc)) from exc
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise FeedError(f"The XML is malformed at line {line}, column {column + 1}: {reason}.") from exc
    except (ValueError, LookupError) as exc:
        raise FeedError(f"The XML cannot be read: {exc}.") from exc
    yield from collector.done


def _defused_message(exc: DefusedXmlException) -> str:
    kind = type(exc).__name__
    if kind == "EntitiesForbidden":
        return (
            f"The XML declares an entity ({getattr(exc, 'name', '?')}); entity declarations are refused "
            "because they enable entity-expansion (billion laughs) and external-entity (XXE) attacks."
        )
    if kind == "ExternalReferenceForbidden":
        return "The XML references an external resource; external references are refused (XXE)."
    if kind == "DTDForbidden":
        return "The XML contains a DTD (DOCTYPE), which is refused."
    return f"The XML uses a construct that is refused for safety: {kind}."
