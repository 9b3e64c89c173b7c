"""Shopify product CSV exports, both the classic template (Handle, Variant SKU, Variant Price...) and the
2024+ one (URL handle, SKU, Price, Continue selling when out of stock...).

Headers are matched case-insensitively and unknown columns are ignored. Rows sharing a handle form one
product: the first row carries the product fields (Title, Body...), continuation rows with an empty
Title add variants and/or images (an image-only row has no SKU, price or option value). Option names
come from the first row of the product that sets them; the "Title" / "Default Title" option means no
options. An empty handle on a row with a Title is derived from the title, as Shopify does.

Shopify CSVs carry no currency, so the merchant's currency is an argument. Prices use a dot decimal
separator ("19.90"); anything else is an INVALID price. An empty inventory tracker means stock is not
tracked (quantity None). Status draft -> DRAFT, archived -> ARCHIVED, anything else ACTIVE. The
category is the merchant's Type, else the last segment of Shopify's Product Category; Barcode is the
GTIN; tags, SEO fields and the like go to `ProductDraft.extra`. Images are ordered by Image Position,
then variant images not already among them.

Shopify allows variants without an SKU code; we need one, so an empty code becomes
`handle` (no options) or `handle-<slug of the option values>` (e.g. `linen-shirt-blue-m`): deterministic,
so a re-import updates the same SKU, and stable when variants are reordered, unlike an index.

Errors name the column as written in the file's header.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.drafts import SKU_CODE_MAX, ProductDraft, ProductStatus, SkuDraft, slugify
from shoppable.domain.catalog.formats.assembly import (
    DEFAULT_GROUP_WINDOW,
    Built,
    FeedLedger,
    RowGrouper,
)
from shoppable.domain.catalog.formats.records import FeedError, FeedItem, RowError
from shoppable.domain.catalog.formats.tabular import header_key, read_records
from shoppable.domain.catalog.limits import is_web_url
from shoppable.domain.catalog.money import Money, MoneyError, is_currency, parse_money
from shoppable.domain.errors import ErrorCode, Path

# our name -> accepted header names (classic template first, then the 2024+ template)
COLUMNS: dict[str, tuple[str, ...]] = {
    "handle": ("handle", "url handle"),
    "title": ("title",),
    "description": ("body (html)", "body html", "description"),
    "vendor": ("vendor",),
    "product_category": ("product category", "standard product type"),
    "type": ("type", "custom product type"),
    "tags": ("tags",),
    "published": ("published", "published on online store"),
    "status": ("status",),
    "option1_name": ("option1 name",),
    "option1_value": ("option1 value",),
    "option2_name": ("option2 name",),
    "option2_value": ("option2 value",),
    "option3_name": ("option3 name",),
    "option3_value": ("option3 value",),
    "sku": ("variant sku", "sku"),
    "tracker": ("variant inventory tracker", "inventory tracker"),
    "quantity": ("variant inventory qty", "inventory quantity"),
    "policy": ("variant inventory policy", "continue selling when out of stock"),
    "price": ("variant price", "price"),
    "compare_at": ("variant compare at price", "compare-at price", "compare at price"),
    "barcode": ("variant barcode", "barcode"),
    "image_src": ("image src", "product image url"),
    "image_position": ("image position",),
    "variant_image": ("variant image", "variant image url"),
    "gift_card": ("gift card",),
    "seo_title": ("seo title",),
    "seo_description": ("seo description",),
}
REQUIRED = ("handle", "title", "price")
_VARIANT_FIELDS = (
    "sku",
    "price",
    "compare_at",
    "quantity",
    "barcode",
    *(f"option{n}_value" for n in (1, 2, 3)),
)
_DEFAULT_TITLE = "default title"
_POLICIES = {
    "deny": InventoryPolicy.DENY,
    "false": InventoryPolicy.DENY,
    "no": InventoryPolicy.DENY,
    "continue": InventoryPolicy.CONTINUE,
    "true": InventoryPolicy.CONTINUE,
    "yes": InventoryPolicy.CONTINUE,
}
_Fail = Callable[[str, ErrorCode, str], None]
_STATUSES = {"draft": ProductStatus.DRAFT, "archived": ProductStatus.ARCHIVED}


@dataclass(frozen=True)
class _Variant:
    sku: str
    price: Money
    compare_at: Money | None
    quantity: int | None
    policy: InventoryPolicy
    barcode: str | None
    values: tuple[str, str, str]  # option values by position; "" where unset
    image: str | None


@dataclass(frozen=True)
class _Row:
    line: int
    cells: dict[str, str]  # our name -> stripped cell, only the columns the file has
    variant: _Variant | None
    image: tuple[float, int, str] | None  # (position, line, url)


def parse_shopify_csv(
    stream: BinaryIO, *, currency: str = "USD", group_window: int = DEFAULT_GROUP_WINDOW
) -> Iterator[FeedItem]:
    """Parse a Shopify product CSV whose prices are in `currency` (the shop's currency)."""
    code = (currency or "").strip().upper()
    if not is_currency(code):
        raise FeedError(f"Unknown currency code {currency!r} for the Shopify prices.")
    records = read_records(stream, delimiter=",")
    header = next(records, None)
    if header is None:
        return
    positions, names = _columns(header[1])
    ledger = FeedLedger(lambda path: _field_name(path, names))
    build = functools.partial(_build, columns=names)
    grouper: RowGrouper[_Row] = RowGrouper(build, ledger, handle_field=names["handle"], window=group_window)
    for line, cells in records:
        values = {key: cells[index].strip() for key, index in positions.items() if index < len(cells)}
        handle = values.get("handle", "").lower() or slugify(values.get("title", ""))
        if not handle:
            missing = RowError(
                line, None, names["handle"], ErrorCode.REQUIRED, "A row needs a handle or a title."
            )
            yield from grouper.add(None, line, None, product_id="", row_id=None, errors=[missing])
            continue
        errors: list[RowError] = []
        row = _row(line, values, handle, code, names, errors)
        yield from grouper.add(
            handle,
            line,
            None if errors else row,
            product_id=handle,
            row_id=values.get("sku") or handle,
            errors=errors,
        )
    yield from grouper.finish()


def _columns(header: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Where each known column is, and its name as written (for error messages)."""
    by_key: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(header):
        by_key.setdefault(header_key(cell), (index, cell.strip()))
    positions: dict[str, int] = {}
    names: dict[str, str] = {}
    for key, accepted in COLUMNS.items():
        for name in accepted:
            if name in by_key:
                positions[key], names[key] = by_key[name]
                break
        else:
            names[key] = COLUMNS[key][0].title()
    missing = [COLUMNS[key][0].title() for key in REQUIRED if key not in positions]
    if missing:
        raise FeedError(
            f"The header row has no {', '.join(missing)} column; a Shopify product CSV needs "
            "Handle (or URL handle), Title and Variant Price (or Price)."
        )
    return positions, names


def _row(
    line: int,
    values: dict[str, str],
    handle: str,
    currency: str,
    names: dict[str, str],
    errors: list[RowError],
) -> _Row:
    def fail(key: str, code: ErrorCode, message: str) -> None:
        errors.append(RowError(line, values.get("sku") or handle, names[key], code, message))

    variant = None
    if any(values.get(key) for key in _VARIANT_FIELDS):
        before = len(errors)
        variant = _variant(values, handle, currency, fail)
        if len(errors) > before:
            variant = None
    image = None
    if src := values.get("image_src"):
        if not is_web_url(src):
            fail("image_src", ErrorCode.INVALID, f"Image URL {src[:200]!r} must start with https://.")
        position = values.get("image_position", "")
        image = (float(position) if position.isdigit() else float("inf"), line, src)
    return _Row(line, values, variant, image)


def _variant(values: dict[str, str], handle: str, currency: str, fail: _Fail) -> _Variant | None:
    """The row's variant, or None once `fail` has been told every problem."""
    price = _money(values.get("price", ""), "price", currency, fail, required=True)
    compare_at = _money(values.get("compare_at", ""), "compare_at", currency, fail, required=False)
    if price is not None and compare_at is not None and compare_at <= price:
        fail("compare_at", ErrorCode.INVALID, "Compare-at price must be above the price.")
    quantity = None
    tracked = bool(values.get("tracker")) if "tracker" in values else bool(values.get("quantity"))
    if tracked:
        text = values.get("quantity", "") or "0"
        try:
            quantity = int(text)
        except ValueError:
            fail("quantity", ErrorCode.INVALID, f"Inventory quantity {text[:50]!r} is not a whole number.")
        else:
            if quantity < 0:
                fail("quantity", ErrorCode.INVALID, "Inventory quantity cannot be negative.")
    policy_text = values.get("policy", "").lower() or "deny"
    if policy_text not in _POLICIES:
        fail(
            "policy",
            ErrorCode.INVALID,
            f"Unknown inventory policy {policy_text[:50]!r}; use deny or continue.",
        )
    image = values.get("variant_image") or None
    if image is not None and not is_web_url(image):
        fail("variant_image", ErrorCode.INVALID, f"Image URL {image[:200]!r} must start with https://.")
    option_values = (_option_value(values, 1), _option_value(values, 2), _option_value(values, 3))
    if price is None or policy_text not in _POLICIES:
        return None
    return _Variant(
        sku=values.get("sku") or _generated_code(handle, option_values),
        price=price,
        compare_at=compare_at,
        quantity=quantity,
        policy=_POLICIES[policy_text],
        barcode=values.get("barcode") or None,
        values=option_values,
        image=image,
    )


def _option_value(values: dict[str, str], position: int) -> str:
    value = values.get(f"option{position}_value", "")
    return "" if value.lower() == _DEFAULT_TITLE else value


def _money(text: str, key: str, currency: str, fail: _Fail, *, required: bool) -> Money | None:
    if not text:
        if required:
            fail(key, ErrorCode.REQUIRED, "A variant needs a price.")
        return None
    try:
        return parse_money(text, currency)
    except MoneyError as exc:
        fail(key, ErrorCode.INVALID, f"{exc} Use a dot as the decimal separator, e.g. 19.90.")
        return None


def _generated_code(handle: str, option_values: tuple[str, ...]) -> str:
    suffix = slugify(" ".join(value for value in option_values if value))
    code = f"{handle}-{suffix}" if suffix else handle
    return code[:SKU_CODE_MAX]


def _build(handle: str, rows: list[_Row], *, columns: dict[str, str]) -> Built | list[RowError]:
    product = next((row for row in rows if row.cells.get("title")), rows[0])
    cells = product.cells
    names = _option_names(rows)  # the options' names, not the columns'
    variants = [(row.line, row.variant) for row in rows if row.variant is not None]
    errors = [
        RowError(
            line,
            variant.sku,
            columns[f"option{position + 1}_value"],
            ErrorCode.INVALID,
            f"Option{position + 1} Value is set but no row of {handle!r} names Option{position + 1}.",
        )
        for line, variant in variants
        for position, value in enumerate(variant.values)
        if value and not names[position]
    ]
    if errors:
        return errors
    skus = [
        SkuDraft(
            sku=variant.sku,
            price=variant.price,
            compare_at_price=variant.compare_at,
            quantity=variant.quantity,
            inventory_policy=variant.policy,
            gtin=variant.barcode,
            options=tuple((name, value) for name, value in zip(names, variant.values, strict=True) if value),
            image_url=variant.image,
        )
        for _, variant in variants
    ]
    product_images = [url for _, _, url in sorted(row.image for row in rows if row.image is not None)]
    variant_images = [sku.image_url for sku in skus if sku.image_url]
    draft = ProductDraft(
        handle=handle,
        title=cells.get("title", ""),
        skus=tuple(skus),
        description=cells.get("description") or None,
        brand=cells.get("vendor") or None,
        category=cells.get("type") or _last_segment(cells.get("product_category", "")),
        status=_STATUSES.get(cells.get("status", "").lower(), ProductStatus.ACTIVE),
        images=tuple(dict.fromkeys([*product_images, *variant_images])),
        extra=tuple(
            (key, cells[key])
            for key in ("product_category", "tags", "published", "gift_card", "seo_title", "seo_description")
            if cells.get(key)
        ),
    )
    return Built(draft, tuple(line for line, _ in variants))


def _option_names(rows: list[_Row]) -> tuple[str, str, str]:
    """Per position, the first name any row gives; "" where none does or it is Shopify's "Title"."""
    names = []
    for n in (1, 2, 3):
        name = next((row.cells[f"option{n}_name"] for row in rows if row.cells.get(f"option{n}_name")), "")
        names.append("" if n == 1 and name.lower() == "title" and _only_default(rows) else name)
    return names[0], names[1], names[2]


def _only_default(rows: list[_Row]) -> bool:
    return all(not row.variant.values[0] for row in rows if row.variant is not None)


def _last_segment(path: str) -> str | None:
    return path.split(">")[-1].strip() or None


def _field_name(path: Path, names: dict[str, str]) -> str:
    """validate_product paths in the file's own column names."""
    last = next((str(part) for part in reversed(path) if isinstance(part, str)), "")
    if "options" in path:
        last = "options"
    key = {
        "handle": "handle",
        "title": "title" if len(path) == 1 else "option1_value",  # a SKU's title is made of its options
        "description": "description",
        "brand": "vendor",
        "category": "type",
        "images": "image_src",
        "skus": "price",
        "sku": "sku",
        "price": "price",
        "compareAtPrice": "compare_at",
        "quantity": "quantity",
        "gtin": "barcode",
        "image": "variant_image",
        "options": "option1_value",
    }.get(last)
    return names[key] if key else last
