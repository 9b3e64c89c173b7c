"""Our JSON Lines catalog format: mapping, per-line errors, and a generated round-trip."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoppable.domain.catalog.availability import InventoryPolicy
from shoppable.domain.catalog.drafts import ProductDraft, ProductStatus, SkuDraft
from shoppable.domain.catalog.formats import ParsedProduct, RowError, jsonl, parse_jsonl
from shoppable.domain.catalog.money import Money
from shoppable.domain.errors import ErrorCode

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def parse(text: str | bytes) -> list[ParsedProduct | RowError]:
    data = text.encode() if isinstance(text, str) else text
    return list(parse_jsonl(io.BytesIO(data)))


def lines(*products: dict | str) -> str:
    return "\n".join(p if isinstance(p, str) else json.dumps(p) for p in products) + "\n"


def product(handle: str = "trail-jacket", **fields: object) -> dict:
    base: dict = {
        "handle": handle,
        "title": "Trail Jacket",
        "skus": [{"sku": f"{handle}-1", "price": {"amount": "119.00", "currencyCode": "EUR"}}],
    }
    return base | fields


def errors_of(items: list) -> list[tuple[int, str, ErrorCode]]:
    return [(e.row, e.field, e.code) for e in items if isinstance(e, RowError)]


def products_of(items: list) -> list[ParsedProduct]:
    return [p for p in items if isinstance(p, ParsedProduct)]


def test_a_full_product_maps_every_field():
    # given a product with two SKUs, a sale price, options and images
    line = product(
        description="Waterproof.",
        brand="Northwind",
        category="Jackets",
        status="draft",
        images=["https://img.test/a.jpg", "https://img.test/b.jpg"],
        extra={"season": "AW25"},
        skus=[
            {
                "sku": "TJ-RED-M",
                "price": {"amount": "119.00", "currencyCode": "EUR"},
                "compareAtPrice": {"amount": "149", "currencyCode": "EUR"},
                "quantity": 12,
                "inventoryPolicy": "CONTINUE",
                "gtin": "4006381333931",
                "mpn": "TJ-1",
                "options": [{"name": "Color", "value": "Red"}, {"name": "Size", "value": "M"}],
                "image": "https://img.test/red.jpg",
            },
            {
                "sku": "TJ-BLUE-M",
                "price": "99.5 EUR",
                "quantity": None,
                "inventoryPolicy": "PREORDER",
                "options": [{"name": "Color", "value": "Blue"}, {"name": "Size", "value": "M"}],
            },
        ],
    )
    # when it is parsed
    [item] = parse(lines(line))
    # then every field lands in the draft
    assert item == ParsedProduct(
        ProductDraft(
            handle="trail-jacket",
            title="Trail Jacket",
            description="Waterproof.",
            brand="Northwind",
            category="Jackets",
            status=ProductStatus.DRAFT,
            images=("https://img.test/a.jpg", "https://img.test/b.jpg"),
            extra=(("season", "AW25"),),
            skus=(
                SkuDraft(
                    sku="TJ-RED-M",
                    price=Money(11900, "EUR"),
                    compare_at_price=Money(14900, "EUR"),
                    quantity=12,
                    inventory_policy=InventoryPolicy.CONTINUE,
                    gtin="4006381333931",
                    mpn="TJ-1",
                    options=(("Color", "Red"), ("Size", "M")),
                    image_url="https://img.test/red.jpg",
                ),
                SkuDraft(
                    sku="TJ-BLUE-M",
                    price=Money(9950, "EUR"),
                    inventory_policy=InventoryPolicy.PREORDER,
                    options=(("Color", "Blue"), ("Size", "M")),
                ),
            ),
        ),
        lines=(1,),
        external_id="trail-jacket",
    )


@pytest.mark.parametrize(
    ("sku_fields", "field", "code"),
    [
        ({"price": {"amount": "abc", "currencyCode": "EUR"}}, "skus[0].price", ErrorCode.INVALID),
        ({"price": "12,50 EUR"}, "skus[0].price", ErrorCode.INVALID),
        ({"price": {"amount": "12.50", "currencyCode": "XYZ"}}, "skus[0].price", ErrorCode.INVALID),
        ({"price": None}, "skus[0].price", ErrorCode.REQUIRED),
        ({"quantity": -1}, "skus[0].quantity", ErrorCode.INVALID),
        ({"quantity": "7"}, "skus[0].quantity", ErrorCode.INVALID),
        ({"inventoryPolicy": "SOMETIMES"}, "skus[0].inventoryPolicy", ErrorCode.INVALID),
        ({"compareAtPrice": "119.00 EUR"}, "skus[0].compareAtPrice", ErrorCode.INVALID),
        ({"compareAtPrice": "100.00 EUR"}, "skus[0].compareAtPrice", ErrorCode.INVALID),
        ({"sku": ""}, "skus[0].sku", ErrorCode.REQUIRED),
        ({"image": "javascript:alert(1)"}, "skus[0].image", ErrorCode.INVALID),
        ({"options": [{"name": "Color"}]}, "skus[0].options[0]", ErrorCode.INVALID),
    ],
)
def test_a_bad_sku_is_reported_at_its_line_and_path_while_the_rest_parses(sku_fields, field, code):
    # given a good line, a line with one bad SKU field, and another good line
    bad_sku = {"sku": "BAD-1", "price": {"amount": "119.00", "currencyCode": "EUR"}} | sku_fields
    text = lines(product("first"), product("broken", skus=[bad_sku]), product("last"))
    # when parsed
    items = parse(text)
    # then the bad line is reported with the external id, and both good lines become products
    [error] = [e for e in items if isinstance(e, RowError)]
    assert (error.row, error.field, error.code, error.external_id) == (2, field, code, "broken")
    assert [p.draft.handle for p in products_of(items)] == ["first", "last"]


def test_an_unknown_currency_says_so():
    [error] = parse(lines(product(skus=[{"sku": "A", "price": {"amount": "1.00", "currencyCode": "XYZ"}}])))
    assert "Unknown currency" in error.message


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"handle": None}, "handle", ErrorCode.REQUIRED),
        ({"title": ""}, "title", ErrorCode.REQUIRED),
        ({"title": "   "}, "title", ErrorCode.REQUIRED),
        ({"handle": "Not A Handle"}, "handle", ErrorCode.INVALID),
        ({"status": "LIVE"}, "status", ErrorCode.INVALID),
        ({"images": ["ftp://img.test/a.jpg"]}, "images[0]", ErrorCode.INVALID),
        ({"skus": []}, "skus", ErrorCode.REQUIRED),
        ({"title": 42}, "title", ErrorCode.INVALID),
    ],
)
def test_product_level_problems_are_reported(fields, field, code):
    [error] = parse(lines(product(**fields)))
    assert (error.row, error.field, error.code) == (1, field, code)


def test_every_problem_of_a_line_is_reported_not_just_the_first():
    line = product(
        title=None, skus=[{"sku": "A", "price": "x"}, {"sku": "B", "price": "1 EUR", "quantity": -2}]
    )
    assert errors_of(parse(lines(line))) == [
        (1, "title", ErrorCode.REQUIRED),
        (1, "skus[0].price", ErrorCode.INVALID),
        (1, "skus[1].quantity", ErrorCode.INVALID),
    ]


def test_validation_of_the_whole_product_points_at_the_sku():
    # given SKUs that disagree on option names (only validate_product knows this rule)
    skus = [
        {"sku": "A", "price": "1.00 EUR", "options": [{"name": "Color", "value": "Red"}]},
        {"sku": "B", "price": "1.00 EUR", "options": [{"name": "Size", "value": "M"}]},
    ]
    assert errors_of(parse(lines(product(skus=skus)))) == [
        (1, "skus[0].options", ErrorCode.INVALID),
        (1, "skus[1].options", ErrorCode.INVALID),
    ]


def test_invalid_json_and_non_objects_are_reported_per_line():
    text = lines(product("a"), "{not json", "[1, 2]", '"text"', product("b"))
    items = parse(text)
    assert errors_of(items) == [
        (2, "", ErrorCode.INVALID),
        (3, "", ErrorCode.INVALID),
        (4, "", ErrorCode.INVALID),
    ]
    assert [p.draft.handle for p in products_of(items)] == ["a", "b"]


def test_blank_lines_are_skipped_but_counted():
    items = parse("\n" + json.dumps(product("a")) + "\n\n   \n" + json.dumps(product("b")) + "\n")
    assert [(p.draft.handle, p.lines) for p in products_of(items)] == [("a", (2,)), ("b", (5,))]


def test_a_sku_code_used_twice_in_the_file_is_a_duplicate():
    one = product("one", skus=[{"sku": "SHARED", "price": "1.00 EUR"}])
    size = [{"name": "Size", "value": "S"}], [{"name": "Size", "value": "M"}]
    two = product(
        "two",
        skus=[
            {"sku": "OWN", "price": "1.00 EUR", "options": size[0]},
            {"sku": "SHARED", "price": "2.00 EUR", "options": size[1]},
        ],
    )
    items = parse(lines(one, two))
    assert errors_of(items) == [(2, "skus[1].sku", ErrorCode.DUPLICATE)]
    assert [p.draft.handle for p in products_of(items)] == ["one"]


def test_a_handle_used_twice_is_a_duplicate():
    items = parse(lines(product("same"), product("same", skus=[{"sku": "other", "price": "1.00 EUR"}])))
    assert errors_of(items) == [(2, "handle", ErrorCode.DUPLICATE)]


def test_utf8_bom_and_non_ascii_text():
    data = b"\xef\xbb\xbf" + json.dumps(product(title="Fjällräven Överdrag"), ensure_ascii=False).encode()
    [item] = parse(data)
    assert item.draft.title == "Fjällräven Överdrag"


def test_invalid_utf8_fails_only_its_line():
    items = parse(b"\xff\xfe{}\n" + json.dumps(product()).encode())
    assert errors_of(items) == [(1, "", ErrorCode.INVALID)]
    assert len(products_of(items)) == 1


def test_an_oversized_line_is_skipped_without_being_kept(monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 200)
    huge = json.dumps(product("huge", description="x" * 5000))
    items = parse(lines(product("a"), huge, product("b")))
    assert errors_of(items) == [(2, "", ErrorCode.TOO_LARGE)]
    assert [(p.draft.handle, p.lines) for p in products_of(items)] == [("a", (1,)), ("b", (3,))]


def test_deeply_nested_json_is_an_invalid_line():
    assert errors_of(parse("[" * 100_000 + "\n")) == [(1, "", ErrorCode.INVALID)]


def test_the_northwind_example_parses_without_errors():
    with (EXAMPLES / "northwind.jsonl").open("rb") as stream:
        items = list(parse_jsonl(stream))
    assert errors_of(items) == []
    drafts = [p.draft for p in items]
    assert len(drafts) == 12
    skus = [sku for draft in drafts for sku in draft.skus]
    assert {sku.price.currency for sku in skus} == {"EUR"}
    assert any(sku.compare_at_price for sku in skus)
    assert any(sku.quantity == 0 for sku in skus)
    assert all(draft.option_names in (("Color", "Size"), ("Color",)) for draft in drafts)


# --- properties ---------------------------------------------------------------------------------------

_words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s)
_handles = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_currencies = st.sampled_from(["EUR", "USD", "JPY", "KWD"])


@st.composite
def _products(draw: st.DrawFn) -> ProductDraft:
    currency = draw(_currencies)
    sizes = draw(st.lists(_words, min_size=1, max_size=4, unique=True))
    skus = []
    for index, size in enumerate(sizes):
        price = draw(st.integers(0, 10**9))
        compare = draw(st.none() | st.integers(price + 1, price + 10**6))
        skus.append(
            SkuDraft(
                sku=f"SKU-{index}-{draw(_handles)}",
                price=Money(price, currency),
                compare_at_price=None if compare is None else Money(compare, currency),
                quantity=draw(st.none() | st.integers(0, 10**6)),
                inventory_policy=draw(st.sampled_from(list(InventoryPolicy))),
                options=(("Size", size),) if len(sizes) > 1 else (),
                title=draw(st.none() | _words),
            )
        )
    return ProductDraft(
        handle=draw(_handles),
        title=draw(_words),
        skus=tuple(skus),
        # NUL is refused in every text field (PostgreSQL text cannot hold it); see test_limits.py
        description=draw(st.none() | st.text(min_size=1, max_size=200).filter(lambda t: "\x00" not in t)),
        brand=draw(st.none() | _words),
        status=draw(st.sampled_from(list(ProductStatus))),
        images=tuple(
            draw(st.lists(_handles.map(lambda h: f"https://img.test/{h}.jpg"), unique=True, max_size=3))
        ),
    )


def _to_json(draft: ProductDraft) -> dict:
    def money(value: Money | None) -> dict | None:
        return None if value is None else {"amount": value.amount, "currencyCode": value.currency}

    return {
        "handle": draft.handle,
        "title": draft.title,
        "description": draft.description,
        "brand": draft.brand,
        "status": draft.status.value,
        "images": list(draft.images),
        "skus": [
            {
                "sku": sku.sku,
                "title": sku.title,
                "price": money(sku.price),
                "compareAtPrice": money(sku.compare_at_price),
                "quantity": sku.quantity,
                "inventoryPolicy": sku.inventory_policy.value,
                "options": [{"name": name, "value": value} for name, value in sku.options],
            }
            for sku in draft.skus
        ],
    }


@settings(max_examples=40, deadline=None)
@given(st.lists(_products(), min_size=1, max_size=4, unique_by=lambda d: d.handle))
def test_generated_products_round_trip(drafts):
    # SKU codes must be unique across the file: prefix them with the product's position
    drafts = [
        ProductDraft(
            **{**d.__dict__, "skus": tuple(SkuDraft(**{**s.__dict__, "sku": f"{i}-{s.sku}"}) for s in d.skus)}
        )
        for i, d in enumerate(drafts)
    ]
    text = "".join(json.dumps(_to_json(d), ensure_ascii=False) + "\n" for d in drafts)
    assert [p.draft for p in parse(text)] == drafts


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data):
    for item in parse(data):
        assert isinstance(item, (ParsedProduct, RowError))
