"""Shopify product CSVs, classic and 2024+ templates: variants, continuation rows, images, bad rows."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.formats import FeedError, ParsedProduct, RowError, assembly, parse_shopify_csv
from shoppable.domain.catalog.money import Money
from shoppable.domain.errors import ErrorCode

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

CLASSIC = [
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
    "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty",
    "Variant Inventory Policy", "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
    "Variant Requires Shipping", "Variant Taxable", "Variant Barcode", "Image Src", "Image Position",
    "Image Alt Text", "Gift Card", "SEO Title", "SEO Description", "Variant Image", "Variant Weight Unit",
    "Cost per item", "Status",
]  # fmt: skip

NEW_TEMPLATE = [
    "Title", "URL handle", "Description", "Vendor", "Product category", "Type", "Tags",
    "Published on online store", "Status", "SKU", "Barcode", "Option1 name", "Option1 value",
    "Option1 Linked To", "Option2 name", "Option2 value", "Option2 Linked To", "Option3 name",
    "Option3 value", "Option3 Linked To", "Price", "Compare-at price", "Cost per item", "Charge tax",
    "Tax code", "Unit price total measure", "Unit price total measure unit", "Unit price base measure",
    "Unit price base measure unit", "Inventory tracker", "Inventory quantity",
    "Continue selling when out of stock", "Weight value (grams)", "Weight unit for display",
    "Requires shipping", "Fulfillment service", "Product image URL", "Image position", "Image alt text",
    "Variant image URL", "Gift card", "SEO title", "SEO description",
]  # fmt: skip


def shopify_csv(*rows: dict[str, str], header: list[str] = CLASSIC) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def first(handle: str, title: str, **cells: str) -> dict[str, str]:
    """A product's first row: a single default variant priced 10.00."""
    return {
        "Handle": handle,
        "Title": title,
        "Option1 Name": "Title",
        "Option1 Value": "Default Title",
        "Variant SKU": f"{handle.upper()}-1",
        "Variant Price": "10.00",
        "Variant Inventory Tracker": "shopify",
        "Variant Inventory Qty": "5",
        "Variant Inventory Policy": "deny",
    } | cells


def parse(data: bytes, **kwargs) -> list[ParsedProduct | RowError]:
    return list(parse_shopify_csv(io.BytesIO(data), **kwargs))


def products_of(items: list) -> list[ParsedProduct]:
    return [p for p in items if isinstance(p, ParsedProduct)]


def errors_of(items: list) -> list[tuple[int, str, ErrorCode]]:
    return sorted((e.row, e.field, e.code) for e in items if isinstance(e, RowError))


def only_product(items: list) -> ParsedProduct:
    assert errors_of(items) == []
    [product] = items
    return product


def test_a_product_with_variants_and_continuation_rows():
    # given a shirt in two colours and two sizes, with an image-only continuation row
    rows = [
        {
            "Handle": "wool-overshirt",
            "Title": "Wool Overshirt",
            "Body (HTML)": "<p>Boiled wool,\nboxy fit.</p>",
            "Vendor": "Atelier Nord",
            "Type": "Shirts",
            "Tags": "wool, autumn",
            "Status": "active",
            "Option1 Name": "Color",
            "Option1 Value": "Oat",
            "Option2 Name": "Size",
            "Option2 Value": "S",
            "Variant SKU": "OVS-OAT-S",
            "Variant Inventory Tracker": "shopify",
            "Variant Inventory Qty": "4",
            "Variant Inventory Policy": "deny",
            "Variant Price": "145.00",
            "Variant Compare At Price": "180.00",
            "Variant Barcode": "0841234500016",
            "Image Src": "https://img.test/second.jpg",
            "Image Position": "2",
            "Variant Image": "https://img.test/oat.jpg",
        },
        {
            "Handle": "wool-overshirt",
            "Option1 Value": "Navy",
            "Option2 Value": "M",
            "Variant SKU": "OVS-NAV-M",
            "Variant Inventory Tracker": "shopify",
            "Variant Inventory Qty": "0",
            "Variant Inventory Policy": "continue",
            "Variant Price": "145.00",
            "Image Src": "https://img.test/first.jpg",
            "Image Position": "1",
        },
        {"Handle": "wool-overshirt", "Image Src": "https://img.test/third.jpg", "Image Position": "3"},
    ]
    # when parsed with the shop's currency
    product = only_product(parse(shopify_csv(*rows), currency="EUR"))
    # then it is one product whose SKUs carry the options, and images are in position order
    draft = product.draft
    assert product.lines == (2, 4, 5)  # the description spans lines 2-3
    assert (draft.handle, draft.title, draft.brand, draft.category) == (
        "wool-overshirt",
        "Wool Overshirt",
        "Atelier Nord",
        "Shirts",
    )
    assert draft.description == "<p>Boiled wool,\nboxy fit.</p>"
    assert draft.images == (
        "https://img.test/first.jpg",
        "https://img.test/second.jpg",
        "https://img.test/third.jpg",
        "https://img.test/oat.jpg",
    )
    assert ("tags", "wool, autumn") in draft.extra
    oat, navy = draft.skus
    assert (oat.sku, oat.options, oat.price, oat.compare_at_price, oat.quantity, oat.gtin, oat.image_url) == (
        "OVS-OAT-S",
        (("Color", "Oat"), ("Size", "S")),
        Money(14500, "EUR"),
        Money(18000, "EUR"),
        4,
        "0841234500016",
        "https://img.test/oat.jpg",
    )
    assert (navy.options, navy.quantity, navy.inventory_policy) == (
        (("Color", "Navy"), ("Size", "M")),
        0,
        InventoryPolicy.CONTINUE,
    )


def test_default_title_means_no_options_and_an_empty_tracker_means_untracked():
    product = only_product(parse(shopify_csv(first("tote", "Tote", **{"Variant Inventory Tracker": ""}))))
    [sku] = product.draft.skus
    assert (sku.options, sku.quantity, sku.price) == ((), None, Money(1000, "USD"))


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", ProductStatus.DRAFT),
        ("Archived", ProductStatus.ARCHIVED),
        ("active", ProductStatus.ACTIVE),
        ("", ProductStatus.ACTIVE),
    ],
)
def test_status(status, expected):
    assert only_product(parse(shopify_csv(first("a", "A", Status=status)))).draft.status is expected


def test_the_2024_template_is_read_by_its_own_column_names():
    rows = [
        {
            "Title": "Linen Wrap Dress",
            "URL handle": "linen-wrap-dress",
            "Description": "<p>Washed linen.</p>",
            "Vendor": "Atelier Nord",
            "Product category": "Apparel & Accessories > Clothing > Dresses",
            "Status": "Draft",
            "SKU": "LWD-S",
            "Option1 name": "Size",
            "Option1 value": "S",
            "Price": "119.00",
            "Compare-at price": "159.00",
            "Inventory tracker": "shopify",
            "Inventory quantity": "3",
            "Continue selling when out of stock": "TRUE",
            "Product image URL": "https://img.test/dress.jpg",
            "Image position": "1",
            "Variant image URL": "https://img.test/dress-s.jpg",
        },
        {
            "URL handle": "linen-wrap-dress",
            "SKU": "LWD-M",
            "Option1 value": "M",
            "Price": "119.00",
            "Inventory tracker": "shopify",
            "Inventory quantity": "0",
            "Continue selling when out of stock": "FALSE",
        },
    ]
    draft = only_product(parse(shopify_csv(*rows, header=NEW_TEMPLATE))).draft
    assert (draft.handle, draft.status, draft.category) == (
        "linen-wrap-dress",
        ProductStatus.DRAFT,
        "Dresses",
    )
    assert draft.images == ("https://img.test/dress.jpg", "https://img.test/dress-s.jpg")
    small, medium = draft.skus
    assert (small.sku, small.compare_at_price, small.inventory_policy, small.image_url) == (
        "LWD-S",
        Money(15900, "USD"),
        InventoryPolicy.CONTINUE,
        "https://img.test/dress-s.jpg",
    )
    assert (medium.options, medium.quantity, medium.inventory_policy) == (
        (("Size", "M"),),
        0,
        InventoryPolicy.DENY,
    )


def test_headers_are_matched_case_insensitively_and_unknown_columns_ignored():
    header = ["handle", "TITLE", "variant  price", "Metafield: custom.fabric [single_line_text_field]"]
    data = shopify_csv(
        {"handle": "a", "TITLE": "A", "variant  price": "5.00", header[3]: "linen"}, header=header
    )
    assert only_product(parse(data)).draft.skus[0].price == Money(500, "USD")


def test_variants_without_sku_codes_get_deterministic_ones():
    rows = [
        first(
            "scarf", "Scarf", **{"Option1 Name": "Color", "Option1 Value": "Forest Green", "Variant SKU": ""}
        ),
        {"Handle": "scarf", "Option1 Value": "Camel", "Variant Price": "10.00"},
        first("plain", "Plain", **{"Variant SKU": ""}),
    ]
    codes = [s.sku for p in parse(shopify_csv(*rows)) for s in p.draft.skus]
    assert codes == ["scarf-forest-green", "scarf-camel", "plain"]


def test_an_empty_handle_is_made_from_the_title():
    assert only_product(parse(shopify_csv(first("", "Cashmere Beanie")))).draft.handle == "cashmere-beanie"


@pytest.mark.parametrize(
    ("cells", "field", "code"),
    [
        ({"Variant Price": "19,90"}, "Variant Price", ErrorCode.INVALID),
        ({"Variant Price": "abc"}, "Variant Price", ErrorCode.INVALID),
        ({"Variant Price": ""}, "Variant Price", ErrorCode.REQUIRED),
        ({"Variant Compare At Price": "10.00"}, "Variant Compare At Price", ErrorCode.INVALID),
        ({"Variant Compare At Price": "9.00"}, "Variant Compare At Price", ErrorCode.INVALID),
        ({"Variant Inventory Qty": "-3"}, "Variant Inventory Qty", ErrorCode.INVALID),
        ({"Variant Inventory Qty": "many"}, "Variant Inventory Qty", ErrorCode.INVALID),
        ({"Variant Inventory Policy": "sometimes"}, "Variant Inventory Policy", ErrorCode.INVALID),
        ({"Image Src": "//img.test/a.jpg"}, "Image Src", ErrorCode.INVALID),
        ({"Handle": "", "Title": ""}, "Handle", ErrorCode.REQUIRED),
        ({"Handle": "Bad Handle!"}, "Handle", ErrorCode.INVALID),
        ({"Variant SKU": "FIRST-1"}, "Variant SKU", ErrorCode.DUPLICATE),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_column_while_the_rest_parses(cells, field, code):
    data = shopify_csv(first("first", "First"), first("bad", "Bad") | cells, first("last", "Last"))
    items = parse(data)
    assert errors_of(items) == [(3, field, code)]
    assert [p.draft.handle for p in products_of(items)] == ["first", "last"]


def test_a_first_row_without_title_is_reported_against_the_title_column():
    rows = [{"Handle": "nameless", "Variant SKU": "N-1", "Variant Price": "5.00"}]
    assert errors_of(parse(shopify_csv(*rows))) == [(2, "Title", ErrorCode.REQUIRED)]


def test_an_option_value_without_an_option_name_is_reported():
    rows = [
        first("shirt", "Shirt", **{"Option1 Name": "Size", "Option1 Value": "S"}),
        {"Handle": "shirt", "Option1 Value": "M", "Option2 Value": "Red", "Variant Price": "10.00"},
    ]
    assert errors_of(parse(shopify_csv(*rows))) == [(3, "Option2 Value", ErrorCode.INVALID)]


def test_one_bad_variant_fails_the_whole_product():
    rows = [
        first("shirt", "Shirt", **{"Option1 Name": "Size", "Option1 Value": "S"}),
        {"Handle": "shirt", "Option1 Value": "M", "Variant SKU": "SHIRT-M", "Variant Price": "1O.00"},
        first("other", "Other"),
    ]
    items = parse(shopify_csv(*rows))
    assert errors_of(items) == [(3, "Variant Price", ErrorCode.INVALID)]
    assert [p.draft.handle for p in products_of(items)] == ["other"]


def test_a_product_spread_over_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(assembly, "MAX_ROWS_PER_PRODUCT", 3)
    images = [{"Handle": "a", "Image Src": f"https://img.test/{n}.jpg"} for n in range(4)]
    items = parse(shopify_csv(first("a", "A"), *images, first("b", "B")))
    assert errors_of(items) == [(5, "Handle", ErrorCode.LIMIT_EXCEEDED)]
    assert [p.draft.handle for p in products_of(items)] == ["b"]


def test_an_unknown_currency_or_missing_columns_fail_the_file():
    with pytest.raises(FeedError, match="currency"):
        parse(shopify_csv(first("a", "A")), currency="EURO")
    with pytest.raises(FeedError, match="Variant Price"):
        parse(b"Handle,Title\na,A\n")


def test_a_bom_and_windows_line_endings_are_handled():
    data = b"\xef\xbb\xbf" + shopify_csv(first("a", "Caf\u00e9")).replace(b"\n", b"\r\n")
    assert only_product(parse(data)).draft.title == "Caf\u00e9"


def test_the_atelier_example_parses_without_errors():
    with (EXAMPLES / "atelier-shopify.csv").open("rb") as stream:
        items = list(parse_shopify_csv(stream, currency="EUR"))
    assert errors_of(items) == []
    drafts = {p.draft.handle: p.draft for p in items}
    assert len(drafts) == 8
    assert drafts["silk-blouse"].status is ProductStatus.DRAFT
    assert drafts["leather-tote"].skus[0].options == ()
    assert len(drafts["leather-tote"].images) == 3
    assert drafts["wool-overshirt"].option_names == ("Color", "Size")
    assert drafts["merino-scarf"].skus[0].quantity is None


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_nothing_but_feed_error(data):
    with contextlib.suppress(FeedError):
        for item in parse(data):
            assert isinstance(item, (ParsedProduct, RowError))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=6))
def test_arbitrary_cells_under_a_valid_header_raise_nothing(rows):
    out = io.StringIO()
    csv.writer(out).writerows([["Handle", "Title", "Variant Price", "Option1 Value", "Image Src"], *rows])
    for item in parse(out.getvalue().encode()):
        assert isinstance(item, (ParsedProduct, RowError))
