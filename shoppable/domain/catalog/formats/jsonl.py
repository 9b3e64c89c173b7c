"""Our own JSON Lines catalog format: one product per line.

```
{"handle": "trail-jacket", "title": "Trail Jacket", "description": "...", "brand": "...",
 "category": "Jackets", "status": "ACTIVE", "images": ["https://..."], "extra": {"key": "value"},
 "skus": [{"sku": "TJ-RED-M", "price": {"amount": "119.00", "currencyCode": "EUR"},
           "compareAtPrice": null, "quantity": 12, "inventoryPolicy": "DENY", "gtin": null,
           "mpn": null, "title": null, "options": [{"name": "Color", "value": "Red"}],
           "image": "https://..."}]}
```
A price is also accepted as the string "119.00 EUR". Errors name JSON paths such as `skus[0].price`.
Blank lines are skipped; line numbers count every physical line. Lines are read as bytes with a
length cap, so one enormous line cannot exhaust memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, BinaryIO, Literal, overload

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.drafts import ProductDraft, ProductStatus, SkuDraft
from shoppable.domain.catalog.formats.assembly import Built, FeedLedger, json_path
from shoppable.domain.catalog.formats.records import FeedItem, RowError
from shoppable.domain.catalog.limits import is_web_url
from shoppable.domain.catalog.money import Money, MoneyError, parse_money, parse_money_text
from shoppable.domain.errors import ErrorCode, Path

MAX_LINE_BYTES = 4 * 1024 * 1024
_READ_CHUNK = 64 * 1024
_BOM = b"\xef\xbb\xbf"


class _Invalid(Exception):
    def __init__(self, path: Path, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.path, self.code, self.message = path, code, message


def parse_jsonl(stream: BinaryIO) -> Iterator[FeedItem]:
    """Yield a ParsedProduct or the RowErrors of every non-blank line, in file order."""
    ledger = FeedLedger(json_path)
    for line_number, raw in _lines(stream):
        if raw is None:
            yield RowError(
                line_number, None, "", ErrorCode.TOO_LARGE, f"Line is longer than {MAX_LINE_BYTES:,} bytes."
            )
            continue
        if line_number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if not raw.strip():
            continue
        yield from _parse_line(line_number, raw, ledger)


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Physical lines; None stands for a line over the cap, which is skipped without being kept."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(_READ_CHUNK)
            yield number, None
        else:
            yield number, raw


def _parse_line(line: int, raw: bytes, ledger: FeedLedger) -> Iterator[FeedItem]:
    try:
        data = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        yield RowError(line, None, "", ErrorCode.INVALID, "Line is not valid UTF-8.")
        return
    except (ValueError, RecursionError) as exc:
        yield RowError(line, None, "", ErrorCode.INVALID, f"Line is not valid JSON: {exc}.")
        return
    if not isinstance(data, dict):
        yield RowError(line, None, "", ErrorCode.INVALID, "Each line must be one JSON object (a product).")
        return
    handle_value = data.get("handle")
    external_id = handle_value if isinstance(handle_value, str) and handle_value else None
    draft, problems = _draft(data)
    if draft is None:
        for problem in problems:
            yield RowError(
                line, external_id, json_path(problem.path), problem.code, problem.message, external_id
            )
        return
    if (first := ledger.handles.value_of(draft.handle)) is not None:
        yield RowError(
            line,
            external_id,
            "handle",
            ErrorCode.DUPLICATE,
            f"Handle {draft.handle!r} is already used at line {first:,}.",
            draft.handle,
        )
        return
    ledger.handles.add(draft.handle, line)
    yield from ledger.accept(Built(draft, (line,) * len(draft.skus)), [line], draft.handle)


def _draft(data: dict[str, Any]) -> tuple[ProductDraft | None, list[_Invalid]]:
    """Every problem of the line is reported (not just the first); no draft when there is any."""
    problems: list[_Invalid] = []

    def attempt(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except _Invalid as problem:
            problems.append(problem)
            return None

    handle = attempt(_text, data, ("handle",), True)
    title = attempt(_text, data, ("title",), True)
    description = attempt(_text, data, ("description",), False)
    brand = attempt(_text, data, ("brand",), False)
    category = attempt(_text, data, ("category",), False)
    status = attempt(_status, data.get("status"))
    images = attempt(_images, data.get("images"))
    extra = attempt(_extra, data.get("extra"))
    skus_value = data.get("skus")
    skus: list[SkuDraft] = []
    if not isinstance(skus_value, list) or not skus_value:
        problems.append(_Invalid(("skus",), ErrorCode.REQUIRED, "A product needs a non-empty list of SKUs."))
    else:
        for index, value in enumerate(skus_value):
            sku = attempt(_sku, value, ("skus", index))
            if sku is not None:
                skus.append(sku)
    if problems:
        return None, problems
    draft = ProductDraft(
        handle=handle,
        title=title,
        skus=tuple(skus),
        description=description,
        brand=brand,
        category=category,
        status=status,
        images=images,
        extra=extra,
    )
    return draft, []


@overload
def _text(data: dict[str, Any], path: Path, required: Literal[True]) -> str: ...


@overload
def _text(data: dict[str, Any], path: Path, required: bool) -> str | None: ...


def _text(data: dict[str, Any], path: Path, required: bool) -> str | None:
    """The string at `path[-1]` (a key) of `data`; a required one is never None."""
    value = data.get(str(path[-1]))
    if value is None or value == "":
        if required:
            raise _Invalid(path, ErrorCode.REQUIRED, f"{path[-1]} is required.")
        return None
    if not isinstance(value, str):
        raise _Invalid(path, ErrorCode.INVALID, f"{path[-1]} must be a string.")
    return value


def _status(value: Any) -> ProductStatus:
    if value is None:
        return ProductStatus.ACTIVE
    if isinstance(value, str) and value.upper() in ProductStatus.__members__:
        return ProductStatus[value.upper()]
    raise _Invalid(("status",), ErrorCode.INVALID, "status must be ACTIVE, DRAFT or ARCHIVED.")


def _images(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid(("images",), ErrorCode.INVALID, "images must be a list of URLs.")
    for index, url in enumerate(value):
        if not isinstance(url, str) or not is_web_url(url):
            raise _Invalid(("images", index), ErrorCode.INVALID, "Image URL must start with https://.")
    return tuple(dict.fromkeys(value))


def _extra(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _Invalid(("extra",), ErrorCode.INVALID, "extra must be an object of strings.")
    return tuple(value.items())


def _sku(value: Any, path: Path) -> SkuDraft:
    if not isinstance(value, dict):
        raise _Invalid(path, ErrorCode.INVALID, "Each SKU must be a JSON object.")
    code = _text(value, (*path, "sku"), True)
    price = _money(value.get("price"), (*path, "price"))
    if price is None:
        raise _Invalid((*path, "price"), ErrorCode.REQUIRED, "price is required.")
    compare_at = _money(value.get("compareAtPrice"), (*path, "compareAtPrice"))
    if compare_at is not None and compare_at.currency == price.currency and compare_at <= price:
        raise _Invalid(
            (*path, "compareAtPrice"), ErrorCode.INVALID, "Compare-at price must be above the price."
        )
    quantity = value.get("quantity")
    if quantity is not None:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise _Invalid((*path, "quantity"), ErrorCode.INVALID, "quantity must be a whole number or null.")
        if quantity < 0:
            raise _Invalid((*path, "quantity"), ErrorCode.INVALID, "Quantity cannot be negative.")
    policy_value = value.get("inventoryPolicy") or "DENY"
    if not isinstance(policy_value, str) or policy_value.upper() not in InventoryPolicy.__members__:
        raise _Invalid(
            (*path, "inventoryPolicy"),
            ErrorCode.INVALID,
            "inventoryPolicy must be DENY, CONTINUE or PREORDER.",
        )
    image = _text(value, (*path, "image"), False)
    if image is not None and not is_web_url(image):
        raise _Invalid((*path, "image"), ErrorCode.INVALID, "Image URL must start with https://.")
    return SkuDraft(
        sku=code,
        price=price,
        compare_at_price=compare_at,
        quantity=quantity,
        inventory_policy=InventoryPolicy[policy_value.upper()],
        gtin=_text(value, (*path, "gtin"), False),
        mpn=_text(value, (*path, "mpn"), False),
        options=_options(value.get("options"), (*path, "options")),
        title=_text(value, (*path, "title"), False),
        image_url=image,
    )


def _money(value: Any, path: Path) -> Money | None:
    try:
        if value is None:
            return None
        if isinstance(value, str):
            return parse_money_text(value)
        if isinstance(value, dict):
            amount, currency = value.get("amount"), value.get("currencyCode")
            if isinstance(amount, (int, Decimal)) and not isinstance(amount, bool):
                amount = str(amount)
            if isinstance(amount, str) and isinstance(currency, str):
                return parse_money(amount, currency)
    except MoneyError as exc:
        raise _Invalid(path, ErrorCode.INVALID, str(exc)) from exc
    raise _Invalid(
        path, ErrorCode.INVALID, 'Price must be {"amount": "19.90", "currencyCode": "EUR"} or "19.90 EUR".'
    )


def _options(value: Any, path: Path) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Invalid(path, ErrorCode.INVALID, "options must be a list of {name, value} objects.")
    options = []
    for index, option in enumerate(value):
        name = option.get("name") if isinstance(option, dict) else None
        text = option.get("value") if isinstance(option, dict) else None
        if not (isinstance(name, str) and name.strip() and isinstance(text, str) and text.strip()):
            raise _Invalid((*path, index), ErrorCode.INVALID, "Each option needs a non-empty name and value.")
        options.append((name.strip(), text.strip()))
    return tuple(options)
