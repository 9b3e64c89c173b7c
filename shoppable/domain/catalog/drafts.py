"""Normalized product and SKU records: what every input path (GraphQL upsert, feed imports) produces."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.limits import (
    BRAND_MAX,
    CATEGORY_MAX,
    DESCRIPTION_MAX,
    GTIN_MAX,
    MAX_IMAGES_PER_PRODUCT,
    MPN_MAX,
    OPTION_TEXT_MAX,
    SKU_CODE_MAX,
    SKU_TITLE_MAX,
    STOCK_MAX,
    TITLE_MAX,
    text_problem,
    url_problem,
)
from shoppable.domain.catalog.money import Money, MoneyInput, money_or_error
from shoppable.domain.errors import ErrorCode, FieldError, Path


class ProductStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DRAFT = "DRAFT"
    ARCHIVED = "ARCHIVED"


@dataclass(frozen=True)
class SkuDraft:
    sku: str
    price: Money
    compare_at_price: Money | None = None
    quantity: int | None = None
    inventory_policy: InventoryPolicy = InventoryPolicy.DENY
    gtin: str | None = None
    mpn: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    title: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class ProductDraft:
    handle: str
    title: str
    skus: tuple[SkuDraft, ...]
    description: str | None = None
    brand: str | None = None
    category: str | None = None
    status: ProductStatus = ProductStatus.ACTIVE
    images: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=True)

    @property
    def option_names(self) -> tuple[str, ...]:
        """Option names in first-seen order across SKUs (e.g. ("Color", "Size"))."""
        names: dict[str, None] = {}
        for sku in self.skus:
            for name, _ in sku.options:
                names.setdefault(name, None)
        return tuple(names)


@dataclass(frozen=True)
class SkuInput:
    """A SKU as a merchant sent it through the API: its money not yet parsed."""

    sku: str
    price: MoneyInput
    compare_at_price: MoneyInput | None = None
    quantity: int | None = None
    inventory_policy: InventoryPolicy = InventoryPolicy.DENY
    title: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    image_url: str | None = None
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProductInput:
    handle: str
    title: str
    skus: tuple[SkuInput, ...]
    description: str | None = None
    brand: str | None = None
    category: str | None = None
    status: ProductStatus = ProductStatus.ACTIVE
    images: tuple[str, ...] = ()


def drafts_from_input(
    products: Sequence[ProductInput], currency: str
) -> tuple[list[ProductDraft], list[FieldError]]:
    """Drafts with trimmed text and parsed money, and the money that did not parse.

    A price that does not parse is replaced by a zero placeholder in the currency of the product's
    other prices (else `currency`, the merchant's), so that no other rule trips over it; the caller
    reports the parse error instead.
    """
    drafts: list[ProductDraft] = []
    errors: list[FieldError] = []

    def parsed(value: MoneyInput | None, path: Path) -> Money | None:
        money = None if value is None else money_or_error(value, path)
        if isinstance(money, FieldError):
            errors.append(money)
            return None
        return money

    for p_index, product in enumerate(products):
        at: Path = ("products", p_index, "skus")
        prices = [parsed(sku.price, (*at, s_index, "price")) for s_index, sku in enumerate(product.skus)]
        placeholder = Money(0, next((p.currency for p in prices if p), currency))
        skus = []
        for s_index, (sku, price) in enumerate(zip(product.skus, prices, strict=True)):
            compare_at = parsed(sku.compare_at_price, (*at, s_index, "compareAtPrice"))
            skus.append(
                SkuDraft(
                    sku=sku.sku.strip(),
                    price=price or placeholder,
                    compare_at_price=compare_at if price else None,
                    quantity=sku.quantity,
                    inventory_policy=sku.inventory_policy,
                    title=sku.title,
                    gtin=sku.gtin,
                    mpn=sku.mpn,
                    image_url=sku.image_url,
                    options=tuple((name.strip(), value.strip()) for name, value in sku.options),
                )
            )
        drafts.append(
            ProductDraft(
                handle=product.handle.strip(),
                title=product.title.strip(),
                description=product.description,
                brand=product.brand,
                category=product.category,
                status=product.status,
                images=product.images,
                skus=tuple(skus),
            )
        )
    return drafts, errors


HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")  # at most HANDLE_MAX characters
MAX_SKUS_PER_PRODUCT = 250


def slugify(text: str) -> str:
    """A handle from free text: lower-case ASCII letters, digits and single hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:100].strip("-")


def currency_errors(draft: ProductDraft, currency: str, path: Path = ()) -> list[FieldError]:
    """The one currency rule of every way in (GraphQL upserts, imports, price updates): a merchant
    sells in its own currency, so every price of its products is in it."""
    errors = []
    for index, sku in enumerate(draft.skus):
        for name, money in (("price", sku.price), ("compareAtPrice", sku.compare_at_price)):
            if money is not None and money.currency != currency:
                errors.append(
                    FieldError(
                        (*path, "skus", index, name, "currencyCode"),
                        ErrorCode.INVALID,
                        f"This merchant sells in {currency}; {money.amount} {money.currency} is in another "
                        "currency.",
                    )
                )
    return errors


def validate_product(draft: ProductDraft, path: Path = ()) -> list[FieldError]:
    """Every rule a product must meet before it may be stored, reported with input paths."""
    errors: list[FieldError] = []

    def err(sub: Path, code: ErrorCode, message: str) -> None:
        errors.append(FieldError((*path, *sub), code, message))

    def check_text(sub: Path, name: str, value: str | None, max_chars: int) -> None:
        problem = None if value is None else text_problem(value, max_chars)
        if problem is not None:
            code = ErrorCode.TOO_LARGE if len(value or "") > max_chars else ErrorCode.INVALID
            err(sub, code, f"{name} {problem}")

    if not draft.handle:
        err(("handle",), ErrorCode.REQUIRED, "Handle is required.")
    elif not HANDLE_RE.match(draft.handle):
        err(("handle",), ErrorCode.INVALID, "Handle must be 1-100 lower-case letters, digits or hyphens.")
    if not draft.title.strip():
        err(("title",), ErrorCode.REQUIRED, "Title is required.")
    else:
        check_text(("title",), "Title", draft.title, TITLE_MAX)
    check_text(("description",), "Description", draft.description, DESCRIPTION_MAX)
    check_text(("brand",), "Brand", draft.brand, BRAND_MAX)
    check_text(("category",), "Category", draft.category, CATEGORY_MAX)
    if len(draft.images) > MAX_IMAGES_PER_PRODUCT:
        err(("images",), ErrorCode.LIMIT_EXCEEDED, f"A product has at most {MAX_IMAGES_PER_PRODUCT} images.")
    for index, url in enumerate(draft.images):
        if problem := url_problem(url):
            err(("images", index), ErrorCode.INVALID, problem)
    if not draft.skus:
        err(("skus",), ErrorCode.REQUIRED, "A product needs at least one SKU.")
    elif len(draft.skus) > MAX_SKUS_PER_PRODUCT:
        err(("skus",), ErrorCode.LIMIT_EXCEEDED, f"A product has at most {MAX_SKUS_PER_PRODUCT} SKUs.")
    seen_codes: set[str] = set()
    seen_combos: set[tuple[tuple[str, str], ...]] = set()
    currencies = {sku.price.currency for sku in draft.skus}
    option_names = draft.option_names
    for index, sku in enumerate(draft.skus):
        at: Path = ("skus", index)
        if not sku.sku.strip():
            err((*at, "sku"), ErrorCode.REQUIRED, "SKU code is required.")
        elif text_problem(sku.sku, SKU_CODE_MAX):
            check_text((*at, "sku"), "SKU code", sku.sku, SKU_CODE_MAX)
        elif sku.sku in seen_codes:
            err((*at, "sku"), ErrorCode.DUPLICATE, f"SKU code {sku.sku!r} appears twice.")
        seen_codes.add(sku.sku)
        check_text((*at, "title"), "SKU title", sku.title, SKU_TITLE_MAX)
        check_text((*at, "gtin"), "GTIN", sku.gtin, GTIN_MAX)
        check_text((*at, "mpn"), "MPN", sku.mpn, MPN_MAX)
        if sku.image_url is not None and (problem := url_problem(sku.image_url)):
            err((*at, "image"), ErrorCode.INVALID, problem)
        for o_index, (name, value) in enumerate(sku.options):
            check_text((*at, "options", o_index, "name"), "Option name", name, OPTION_TEXT_MAX)
            check_text((*at, "options", o_index, "value"), "Option value", value, OPTION_TEXT_MAX)
        if sku.quantity is not None and sku.quantity < 0:
            err((*at, "quantity"), ErrorCode.INVALID, "Quantity cannot be negative.")
        elif sku.quantity is not None and sku.quantity > STOCK_MAX:
            err((*at, "quantity"), ErrorCode.INVALID, f"Quantity cannot be above {STOCK_MAX:,}.")
        if sku.compare_at_price is not None:
            if sku.compare_at_price.currency != sku.price.currency:
                err(
                    (*at, "compareAtPrice"),
                    ErrorCode.INVALID,
                    "Compare-at price must use the price's currency.",
                )
            elif sku.compare_at_price.amount_minor <= sku.price.amount_minor:
                err((*at, "compareAtPrice"), ErrorCode.INVALID, "Compare-at price must be above the price.")
        if len(currencies) > 1 and sku.price.currency != draft.skus[0].price.currency:
            err((*at, "price"), ErrorCode.INVALID, "All SKUs of a product must share one currency.")
        names = tuple(name for name, _ in sku.options)
        if len(set(names)) != len(names):
            err((*at, "options"), ErrorCode.DUPLICATE, "An option name appears twice on one SKU.")
        elif set(names) != set(option_names):
            err((*at, "options"), ErrorCode.INVALID, "Every SKU must set the same option names.")
        elif len(draft.skus) > 1:
            combo = tuple(sorted(sku.options))
            if combo in seen_combos:
                err((*at, "options"), ErrorCode.DUPLICATE, "Two SKUs have the same option values.")
            seen_combos.add(combo)
    return errors
