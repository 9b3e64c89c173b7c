"""Product search through the real app, on SQLite (FTS5) and PostgreSQL (tsvector): ranking, typos,
stemming, filters and facets, cursors for every sort, hidden products, the index following every write,
and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.api.test_catalog_imports import post_import, wait_for
from tests.conftest import GraphQL
from tests.factories import create_api_key, create_merchant, sign_up, upsert

SEARCH = """
query($q: String, $first: Int, $after: String, $filter: ProductFilter, $sort: ProductSort, $m: String) {
  products(query: $q, first: $first, after: $after, filter: $filter, sort: $sort, merchantHandle: $m) {
    totalCount
    edges { cursor node { handle title availability } }
    pageInfo { hasNextPage endCursor }
  }
}"""
FACETS = """
query($q: String, $filter: ProductFilter) {
  products(query: $q, first: 1, filter: $filter) {
    totalCount facets { name values { value label count min { amount currencyCode } max { amount } } }
  }
}"""


def item(handle: str, title: str, price: str = "20.00", quantity: int = 5, **extra: Any) -> dict[str, Any]:
    options = extra.pop("options", [{"name": "Size", "value": "M"}])
    return {
        "handle": handle,
        "title": title,
        "brand": extra.pop("brand", "Acme"),
        "category": extra.pop("category", "Misc"),
        "skus": [
            {
                "sku": f"{handle}-1",
                "price": {"amount": price, "currencyCode": extra.pop("currency", "EUR")},
                "quantity": quantity,
                "options": options,
            }
        ],
        **extra,
    }


CATALOG = [
    item("rain-jacket", "Waterproof Rain Jacket", "120.00", brand="Nordkapp", category="Jackets",
         description="Taped seams and a hood."),
    item("fleece", "Fleece Pullover", "60.00", brand="Nordkapp", category="Sweaters",
         description="Wear it under any jacket for warmth."),
    item("down-jacket", "Down Jacket", "220.00", brand="Fjällräv", category="Jackets",
         description="Warm down filling."),
    item("sold-jacket", "Waterproof Shell Jacket", "140.00", quantity=0, brand="Nordkapp", category="Jackets"),
    item("creme", "Crème Brûlée Candle", "18.00", brand="Maison", category="Home"),
    item("boots", "Hiking Boots", "150.00", brand="Fjällräv", category="Shoes",
         options=[{"name": "Colour", "value": "Burgundy"}]),
    item("socks", "Wool Socks", "12.00", brand="Acme", category="Socks"),
    item("mug", "Enamel Mug", "9.00", brand="Acme", category="Home"),
]  # fmt: skip


async def shop(gql: GraphQL, products: list[dict[str, Any]] = CATALOG) -> dict[str, Any]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], currency="EUR")
    payload = await upsert(gql, owner["token"], merchant["id"], products)
    assert payload["userErrors"] == [], payload["userErrors"]
    return {"owner": owner, "merchant": merchant, "ids": {p["handle"]: p["id"] for p in payload["products"]}}


async def handles(
    gql: GraphQL, query: str | None = None, token: str | None = None, **variables: Any
) -> list[str]:
    body = await gql(SEARCH, {"q": query, "first": 50, **variables}, token=token)
    return [e["node"]["handle"] for e in body["data"]["products"]["edges"]]


async def test_ranking_typos_stemming_accents_and_prefixes(gql: GraphQL) -> None:
    await shop(gql)
    found = await handles(gql, "jacket")
    # A title match beats a description mention; the sold-out jacket comes after every buyable match.
    assert found.index("rain-jacket") < found.index("fleece")
    assert found.index("down-jacket") < found.index("fleece")
    assert found[-1] == "sold-jacket"
    assert set(found) == {"rain-jacket", "down-jacket", "fleece", "sold-jacket"}
    assert await handles(gql, "waterproof jackets") == ["rain-jacket", "sold-jacket"]  # plural stemmed
    typo = await handles(gql, "jakcet")  # a typo still finds: every jacket, title matches first
    assert set(typo[:2]) == {"rain-jacket", "down-jacket"} and "sold-jacket" in typo
    assert "rain-jacket" in await handles(gql, "watreproof")
    assert await handles(gql, "creme brulee") == ["creme"]  # accents folded both ways
    assert await handles(gql, "CRÈME") == ["creme"]
    assert await handles(gql, "hik") == ["boots"]  # the last word as a prefix
    assert await handles(gql, "burgundy") == ["boots"]  # option values
    assert set(await handles(gql, "fjallrav")) == {"boots", "down-jacket"}  # brand "Fjällräv"
    assert await handles(gql, "zzqx") == []


async def test_hidden_products_never_surface_and_status_changes_follow(gql: GraphQL) -> None:
    made = await shop(gql, [*CATALOG, item("secret", "Secret Jacket", status="DRAFT")])
    assert "secret" not in await handles(gql, "jacket")
    assert "secret" not in await handles(gql, "secret")
    # The merchant sees its drafts in its own catalog, nobody else does.
    mine = await handles(gql, "secret", token=made["owner"]["token"], m=made["merchant"]["handle"])
    assert mine == ["secret"]
    assert await handles(gql, "secret", m=made["merchant"]["handle"]) == []
    archive = (
        """mutation($i: SetProductStatusInput!) { setProductStatus(input: $i) { userErrors { code } } }"""
    )
    body = await gql(archive, {"i": {"productId": made["ids"]["rain-jacket"], "status": "ARCHIVED"}},
                     token=made["owner"]["token"])  # fmt: skip
    assert body["data"]["setProductStatus"]["userErrors"] == []
    assert "rain-jacket" not in await handles(gql, "jacket")
    assert "rain-jacket" not in await handles(gql, None)


async def test_filters_and_facets_agree_with_counts(gql: GraphQL) -> None:
    await shop(gql)
    body = await gql(FACETS, {"q": "jacket"})
    result = body["data"]["products"]
    assert result["totalCount"] == 4
    facets = {f["name"]: {v["value"]: v for v in f["values"]} for f in result["facets"]}
    assert {k: v["count"] for k, v in facets["category"].items()} == {"jackets": 3, "sweaters": 1}
    assert facets["category"]["jackets"]["label"] == "Jackets"
    assert sum(v["count"] for v in facets["brand"].values()) == 4
    assert sum(v["count"] for v in facets["priceBand"].values()) == 4
    assert sum(v["count"] for v in facets["merchant"].values()) == 4
    # Each facet value's count is the total when filtering by it (facets skip their own filter).
    for name, key in (("category", "categories"), ("brand", "brands")):
        for value, entry in facets[name].items():
            filtered = await gql(FACETS, {"q": "jacket", "filter": {key: [entry["label"]]}})
            assert filtered["data"]["products"]["totalCount"] == entry["count"], (name, value)
            same = {
                f["name"]: {v["value"]: v["count"] for v in f["values"]}
                for f in filtered["data"]["products"]["facets"]
            }
            assert same[name] == {k: v["count"] for k, v in facets[name].items()}
    for band in facets["priceBand"].values():
        price = {"priceMin": band["min"]}
        if band["max"]:
            cents = int(band["max"]["amount"].replace(".", "")) - 1
            price["priceMax"] = {"amount": f"{cents // 100}.{cents % 100:02d}", "currencyCode": "EUR"}
        filtered = await gql(FACETS, {"q": "jacket", "filter": price})
        assert filtered["data"]["products"]["totalCount"] == band["count"], band
    only = await gql(FACETS, {"q": "jacket", "filter": {"availableOnly": True, "brands": ["nordkapp"]}})
    assert only["data"]["products"]["totalCount"] == 2
    cheap = await handles(gql, None, filter={"priceMax": {"amount": "18.00", "currencyCode": "EUR"}})
    assert set(cheap) == {"creme", "socks", "mug"}
    # Another currency: compared through indicative rates (18 EUR is about 207 SEK).
    in_sek = await handles(gql, None, filter={"priceMax": {"amount": "200", "currencyCode": "SEK"}})
    assert set(in_sek) == {"socks", "mug"}


@pytest.mark.parametrize("sort", ["RELEVANCE", "NEWEST", "PRICE_ASC", "PRICE_DESC"])
async def test_cursors_stay_valid_for_every_sort(gql: GraphQL, sort: str) -> None:
    await shop(gql)
    for query in ("jacket", None):
        everything = await handles(gql, query, sort=sort)
        paged: list[str] = []
        after = None
        while True:
            body = await gql(SEARCH, {"q": query, "first": 2, "after": after, "sort": sort})
            page = body["data"]["products"]
            paged.extend(e["node"]["handle"] for e in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert paged == everything and len(set(paged)) == len(paged), (query, sort)
    if sort == "PRICE_ASC":
        assert everything[:3] == ["mug", "socks", "creme"]
    first = await gql(SEARCH, {"q": "jacket", "first": 1, "sort": sort})
    cursor = first["data"]["products"]["pageInfo"]["endCursor"]
    other = "NEWEST" if sort != "NEWEST" else "PRICE_ASC"
    refused = await gql(SEARCH, {"q": "jacket", "after": cursor, "sort": other}, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_index_follows_stock_price_and_import_writes(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    made = await shop(gql)
    key = await create_api_key(gql, made["owner"]["token"], made["merchant"]["id"])
    headers = {"Authorization": f"Bearer {key}"}
    response = await client.post(
        "/v1/catalog/inventory", json={"items": [{"sku": "rain-jacket-1", "quantity": 0}]}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert "rain-jacket" not in await handles(gql, "jacket", filter={"availableOnly": True})
    assert (await handles(gql, "jacket"))[-2:] in (
        ["rain-jacket", "sold-jacket"],
        ["sold-jacket", "rain-jacket"],
    )
    response = await client.post(
        "/v1/catalog/prices",
        json={"items": [{"sku": "mug-1", "price": {"amount": "999.00", "currencyCode": "EUR"}}]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert (await handles(gql, None, sort="PRICE_DESC"))[0] == "mug"
    feed = [
        {"handle": "parka", "title": "Arctic Parka", "brand": "Polar", "extra": {"tags": "insulated, expedition"},
         "skus": [{"sku": "PARKA", "price": {"amount": "300.00", "currencyCode": "EUR"}, "quantity": 3}]},
    ]  # fmt: skip
    body = "".join(json.dumps(p) + "\n" for p in feed).encode()
    done = await wait_for(client, key, (await post_import(client, key, body))["id"])
    assert done["status"] == "succeeded", done
    assert await handles(gql, "expedition") == ["parka"]  # feed tags are searched
    assert await handles(gql, "parkas") == ["parka"]


@pytest.mark.parametrize(
    "query",
    ['"', "*", ":", "(", ")", "^", "-", "NEAR", 'NEAR(a b)', "a:*", "title:x", "' OR 1=1 --", "!!&|",
     "🧥", "🧥 jacket", "\\", "%_", "ﬁsh", "a" * 200, "x " * 100],
)  # fmt: skip
async def test_odd_queries_never_fail(gql: GraphQL, query: str) -> None:
    await shop(gql, CATALOG[:2])
    body = await gql(FACETS, {"q": query})
    assert body["data"]["products"]["totalCount"] >= 0
    assert "jacket" not in query or body["data"]["products"]["totalCount"] >= 1


@pytest.mark.parametrize("query", ["a" * 201, "jacket\x00", "x" * 100_000])
async def test_unusable_queries_are_bad_input(gql: GraphQL, query: str) -> None:
    body = await gql(SEARCH, {"q": query}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_bad_filters_are_bad_input(gql: GraphQL) -> None:
    for bad in (
        {"categories": ["x"] * 21},
        {"brands": ["a\x00"]},
        {"priceMin": {"amount": "-1", "currencyCode": "EUR"}},
        {
            "priceMin": {"amount": "1", "currencyCode": "EUR"},
            "priceMax": {"amount": "1", "currencyCode": "USD"},
        },
        {
            "priceMin": {"amount": "10", "currencyCode": "EUR"},
            "priceMax": {"amount": "1", "currencyCode": "EUR"},
        },
        {"currency": "XYZ"},
    ):
        body = await gql(SEARCH, {"filter": bad}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad


async def test_search_statement_count_is_constant(
    gql: GraphQL, client: AsyncTestClient[Any], count_statements: Any
) -> None:
    made = await shop(gql, [item(f"jacket-{i}", f"Jacket {i}", price=f"{10 + i}.00") for i in range(60)])
    query = """query($first: Int, $q: String) { products(query: $q, first: $first) { totalCount
      facets { name values { value count } } edges { node { handle merchant { handle }
      skus { edges { node { sku price { amount } } } } } } } }"""
    counts = {}
    for first in (5, 50):
        client.app.state.services.search_counts.clear()  # both counted afresh
        count_statements.count = 0
        body = await gql(query, {"first": first, "q": "jacket"})
        assert len(body["data"]["products"]["edges"]) == first
        counts[first] = count_statements.count
    assert counts[5] == counts[50], counts
    assert made["merchant"]["handle"]


async def test_repeated_counts_come_from_the_cache_until_the_catalog_changes(
    gql: GraphQL, count_statements: Any
) -> None:
    """Total and facets: the grouped pass and the own-filter facet once; afterwards only the version is
    read, until a write bumps it."""
    made = await shop(gql)
    query = """query($filter: ProductFilter) { products(first: 5, filter: $filter) { totalCount
      facets { name values { value count } } edges { node { handle } } } }"""
    variables = {"filter": {"brands": ["Acme"]}}
    runs = []
    for _ in range(2):
        count_statements.count = 0
        body = await gql(query, variables)
        runs.append(count_statements.count)
    assert runs[1] == runs[0] - 2, runs  # facet_table and the brand facet's own count
    first = body["data"]["products"]
    assert first["totalCount"] == 2
    payload = await upsert(
        gql, made["owner"]["token"], made["merchant"]["id"], [item("candle", "Candle", brand="Acme")]
    )
    assert payload["userErrors"] == [], payload
    count_statements.count = 0
    body = await gql(query, variables)
    assert count_statements.count == runs[0]
    assert body["data"]["products"]["totalCount"] == 3
    # Another brand's page: its brand facet (counted without the brand filter) is the same one.
    count_statements.count = 0
    other = await gql(query, {"filter": {"brands": ["Nordkapp"]}})
    assert count_statements.count == runs[0] - 1
    brands = {f["name"]: f["values"] for f in other["data"]["products"]["facets"]}["brand"]
    assert brands == {f["name"]: f["values"] for f in body["data"]["products"]["facets"]}["brand"]
    assert {v["value"]: v["count"] for v in brands}["acme"] == 3


async def test_popularity_lifts_equal_matches_but_never_a_sold_out_product(
    gql: GraphQL, database: Any
) -> None:
    from datetime import UTC, datetime

    from shoppable.domain.search.upkeep import refresh_popularity

    made = await shop(
        gql,
        [
            item("socks-a", "Wool Socks"),
            item("socks-b", "Wool Socks"),
            item("socks-c", "Wool Socks", quantity=0),
        ],
    )
    assert await handles(gql, "wool socks") == ["socks-b", "socks-a", "socks-c"]  # newest first among equals
    track = """mutation($i: TrackEventsInput!) { trackEvents(input: $i) { accepted userErrors { field code message } } }"""
    now = datetime.now(UTC).isoformat()
    for n in range(3):
        shopper = await sign_up(gql)
        consent = "mutation { updateConsent(input: {analytics: true}) { consent { analytics } } }"
        await gql(consent, token=shopper["token"])
        events = [
            {
                "eventId": f"e{n}-{handle}-{kind}",
                "type": kind,
                "occurredAt": now,
                "subjectId": made["ids"][handle],
            }
            for handle in ("socks-a", "socks-c")
            for kind in ("VIEW", "CLICK", "ADD_TO_CART")
        ]
        body = await gql(track, {"i": {"events": events}}, token=shopper["token"])
        assert body["data"]["trackEvents"]["accepted"] == 6, body
    async with database.unit_of_work(write=True) as uow:  # what the hourly `search_popularity` job runs
        assert await refresh_popularity(uow, datetime.now(UTC)) == 2
    assert await handles(gql, "wool socks") == ["socks-a", "socks-b", "socks-c"]


async def test_the_merchants_language_decides_stemming(gql: GraphQL) -> None:
    made = await shop(gql, [item("jacka", "Vattentäta jackor"), item("byxor", "Byxor")])
    assert await handles(gql, "jacka") == []  # English stemming: "jackor" and "jacka" differ
    update = """mutation($i: UpdateMerchantInput!) { updateMerchant(input: $i) {
      settings { language } userErrors { field code } } }"""
    bad = await gql(
        update, {"i": {"merchantId": made["merchant"]["id"], "language": "xx"}}, token=made["owner"]["token"]
    )
    assert bad["data"]["updateMerchant"]["userErrors"] == [{"field": ["language"], "code": "INVALID"}]
    stranger = await sign_up(gql)
    refused = await gql(
        update, {"i": {"merchantId": made["merchant"]["id"], "language": "sv"}}, token=stranger["token"]
    )
    assert refused["data"]["updateMerchant"]["userErrors"][0]["code"] == "NOT_FOUND"
    body = await gql(
        update, {"i": {"merchantId": made["merchant"]["id"], "language": "sv"}}, token=made["owner"]["token"]
    )
    assert body["data"]["updateMerchant"]["settings"]["language"] == "sv"
    assert await handles(gql, "jacka") == ["jacka"]
    assert await handles(gql, "vattentät jacka") == ["jacka"]
