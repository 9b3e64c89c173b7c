"""REST `/v1/orders` for merchants' systems, through the real HTTP app on both databases: reading,
polling by `updatedSince`, fulfilment, cancellation and refunds, idempotency keys, who may see what,
and every bad input answered with a problem, never a 500."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate

from shoppable.domain.commerce.order_feed import POLL_SETTLE
from shoppable.graphql.core.ids import encode_id
from tests.commerce_world import QUANTITY, Caller, Shop, make_shop
from tests.conftest import GraphQL
from tests.factories import create_api_key, create_merchant, sign_up

PROBLEM = "application/problem+json"


class Rest:
    """Calls /v1 as a merchant's API key or a user's token (or nobody)."""

    def __init__(self, client: AsyncTestClient[Any], token: str | None) -> None:
        self.client, self.token = client, token

    def headers(self, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return headers | ({"Idempotency-Key": key} if key else {})

    async def get(self, path: str, **params: Any) -> Any:
        return await self.client.get(path, params=params, headers=self.headers())

    async def post(self, path: str, body: Any = None, key: str | None = None) -> Any:
        if body is None:
            return await self.client.post(path, headers=self.headers(key))
        return await self.client.post(path, json=body, headers=self.headers(key))


async def buy(shopper: Caller, *lines: tuple[str, int, str | None]) -> dict[str, Any]:
    for sku_id, quantity, post_id in lines:
        assert (await shopper.add(sku_id, quantity, post_id=post_id))["userErrors"] == []
    placed = await shopper.buy()
    assert placed["userErrors"] == [], placed
    [order] = placed["orders"]
    return order


async def shop_with_key(gql: GraphQL, client: AsyncTestClient[Any]) -> tuple[Shop, Rest]:
    shop = await make_shop(gql, client, jacket_stock=20)
    key = await create_api_key(gql, shop.owner["token"], shop.merchant["id"])
    return shop, Rest(client, key)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def test_orders_read_the_same_as_graphql(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    order = await buy(shopper, (shop.skus["jacket-0"], 2, shop.post_id), (shop.skus["scarf-0"], 1, None))

    listed = await api.get("/v1/orders")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    [rest] = body["orders"]
    assert rest["id"] == order["id"] and rest["number"] == order["number"] == "#1001"
    assert rest["merchantId"] == shop.merchant["id"]
    assert (rest["status"], rest["financialStatus"], rest["fulfillmentStatus"]) == (
        "OPEN",
        "PAID",
        "UNFULFILLED",
    )
    assert rest["total"] == order["total"] == {"amount": "260.00", "currencyCode": "EUR"}
    assert rest["refunded"] == {"amount": "0.00", "currencyCode": "EUR"}
    assert {line["id"] for line in rest["lines"]} == {line["id"] for line in order["lines"]}
    by_sku = {line["sku"]: line for line in rest["lines"]}
    jacket = by_sku["jacket-0"]
    assert jacket["skuId"] == shop.skus["jacket-0"] and jacket["productId"] == shop.products["jacket"]
    assert (jacket["quantity"], jacket["price"]) == (2, {"amount": "120.00", "currencyCode": "EUR"})
    assert jacket["attribution"]["creatorId"] == shop.creator_profile["id"]
    assert jacket["attribution"]["postId"] == shop.post_id
    assert jacket["attribution"]["commissionRate"] == "0.10"
    assert by_sku["scarf-0"]["attribution"] is None  # the scarf was not tagged in any post

    one = await api.get(f"/v1/orders/{order['id']}")
    assert one.status_code == 200 and one.json() == rest
    # The merchant's people use their own bearer tokens.
    owner = Rest(client, shop.owner["token"])
    assert (await owner.get(f"/v1/orders/{order['id']}")).json() == rest
    assert (await owner.get("/v1/orders", status="open")).json()["orders"] == [rest]
    assert (await owner.get("/v1/orders", status="CANCELLED")).json()["orders"] == []


async def test_fulfil_cancel_and_refund(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    merchant_gql = Caller(client, shop.owner["token"])
    shipped = await buy(shopper, (shop.skus["jacket-0"], 2, shop.post_id), (shop.skus["boots-0"], 1, None))
    jacket_line = next(line for line in shipped["lines"] if line["sku"]["sku"] == "jacket-0")

    partial = await api.post(f"/v1/orders/{shipped['id']}/fulfillments", {"lineIds": [jacket_line["id"]]})
    assert partial.status_code == 200, partial.text
    assert partial.json()["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    assert_problem(await api.post(f"/v1/orders/{shipped['id']}/cancellation", {"reason": "x"}), 409)
    again = await api.post(f"/v1/orders/{shipped['id']}/fulfillments", {"lineIds": [jacket_line["id"]]})
    assert_problem(again, 409)
    everything = await api.post(f"/v1/orders/{shipped['id']}/fulfillments")  # no body: every open line
    assert everything.status_code == 200, everything.text
    assert (everything.json()["status"], everything.json()["fulfillmentStatus"]) == ("COMPLETED", "FULFILLED")

    refunded = await api.post(
        f"/v1/orders/{shipped['id']}/refunds", {"lines": [{"lineId": jacket_line["id"], "quantity": 1}]}
    )
    assert refunded.status_code == 200, refunded.text
    body = refunded.json()
    assert body["financialStatus"] == "PARTIALLY_REFUNDED"
    assert body["refunded"] == {"amount": "120.00", "currencyCode": "EUR"}
    assert {line["sku"]: line["refundedQuantity"] for line in body["lines"]} == {"jacket-0": 1, "boots-0": 0}

    cancelled_stock = (await merchant_gql(QUANTITY, {"id": shop.skus["scarf-0"]}))["node"][
        "quantityAvailable"
    ]
    open_order = await buy(shopper, (shop.skus["scarf-0"], 3, None))
    cancelled = await api.post(
        f"/v1/orders/{open_order['id']}/cancellation", {"reason": "Out of wrapping paper"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["financialStatus"]) == ("CANCELLED", "REFUNDED")
    assert cancelled.json()["cancelReason"] == "Out of wrapping paper"
    after = (await merchant_gql(QUANTITY, {"id": shop.skus["scarf-0"]}))["node"]["quantityAvailable"]
    assert after == cancelled_stock  # the three units went back
    assert_problem(await api.post(f"/v1/orders/{open_order['id']}/cancellation"), 409)


async def test_idempotency_keys_replay_the_first_answer(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    order = await buy(shopper, (shop.skus["jacket-0"], 3, shop.post_id))
    [line] = order["lines"]
    path = f"/v1/orders/{order['id']}/refunds"
    body = {"lines": [{"lineId": line["id"], "quantity": 1}]}

    first = await api.post(path, body, key="refund-1")
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    replay = await api.post(path, body, key="refund-1")
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert first.json()["lines"][0]["refundedQuantity"] == 1
    reused = await api.post(path, {"lines": [{"lineId": line["id"], "quantity": 2}]}, key="refund-1")
    assert assert_problem(reused, 422)["errors"][0]["field"] == ["Idempotency-Key"]
    assert_problem(await api.post(path, body, key="bad key\n"), 400)

    # Twenty concurrent calls with one new key refund once, and all answer the same.
    def call() -> tuple[int, Any]:
        request = client.build_request("POST", path, json=body, headers=api.headers("refund-2"))
        response = client._transport.handle_request(request)  # type: ignore[attr-defined]  # private, untyped
        response.read()
        return response.status_code, response.json()

    answers = await asyncio.gather(*(asyncio.to_thread(call) for _ in range(20)))
    assert {status for status, _ in answers} == {200}, answers
    assert len({str(answer) for _, answer in answers}) == 1
    now = (await api.get(f"/v1/orders/{order['id']}")).json()
    assert now["lines"][0]["refundedQuantity"] == 2
    assert now["refunded"] == {"amount": "240.00", "currencyCode": "EUR"}

    # A key is scoped to its order and operation: the same key elsewhere is a new request.
    other = await buy(shopper, (shop.skus["boots-0"], 1, None))
    fulfilled = await api.post(f"/v1/orders/{other['id']}/fulfillments", {}, key="refund-1")
    assert fulfilled.status_code == 200 and fulfilled.json()["id"] == other["id"]
    assert (
        await api.post(f"/v1/orders/{other['id']}/fulfillments", {}, key="refund-1")
    ).json() == fulfilled.json()


async def test_racing_fulfilments_and_cancellations_apply_one(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    order = await buy(shopper, (shop.skus["jacket-0"], 1, shop.post_id))

    def call(operation: str) -> int:
        path = f"/v1/orders/{order['id']}/{operation}"
        request = client.build_request("POST", path, json={}, headers=api.headers())
        response = client._transport.handle_request(request)  # type: ignore[attr-defined]  # private, untyped
        response.read()
        return int(response.status_code)

    operations = ["fulfillments", "cancellation"] * 5
    statuses = await asyncio.gather(*(asyncio.to_thread(call, operation) for operation in operations))
    assert sorted(statuses) == [200] + [409] * 9, statuses
    final = (await api.get(f"/v1/orders/{order['id']}")).json()
    assert (final["status"], final["fulfillmentStatus"]) in {
        ("COMPLETED", "FULFILLED"),
        ("CANCELLED", "UNFULFILLED"),
    }


async def test_polling_by_updated_since_resumes_and_misses_nothing(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    services = client.app.state.services
    clock = {"now": datetime.now(UTC)}
    services.clock = lambda: clock["now"]

    def tick(seconds: float = 1) -> None:
        clock["now"] += timedelta(seconds=seconds)

    started = clock["now"]
    placed = []
    for _ in range(5):
        tick()
        placed.append(await buy(shopper, (shop.skus["scarf-0"], 1, None)))

    async def walk(**params: Any) -> tuple[list[dict[str, Any]], str]:
        seen, pages = [], 0
        while True:
            response = await api.get("/v1/orders", first=2, **params)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += page["orders"]
            pages += 1
            assert page["pageInfo"]["endCursor"]  # polling always hands back where to resume
            params = {"after": page["pageInfo"]["endCursor"]}
            if not page["pageInfo"]["hasNextPage"]:
                return seen, params["after"]
            assert pages < 10

    seen, cursor = await walk(updatedSince=started.isoformat())
    assert [o["id"] for o in seen] == [o["id"] for o in placed]  # oldest change first
    assert [o["updatedAt"] for o in seen] == sorted(o["updatedAt"] for o in seen)

    # Later, the merchant ships the second order; the poll resumes from the cursor. Changes made in
    # the minute before the last walk began are delivered again (at least once), never lost.
    tick(5)
    assert (await api.post(f"/v1/orders/{placed[1]['id']}/fulfillments")).status_code == 200
    seen, cursor = await walk(after=cursor)
    assert seen[-1]["id"] == placed[1]["id"] and seen[-1]["fulfillmentStatus"] == "FULFILLED"
    assert {o["id"] for o in seen} <= {o["id"] for o in placed}

    # Resuming re-delivers what changed within the settle window before the last walk began; the
    # walk after that, begun well past the window, sends only what changed.
    tick(POLL_SETTLE.total_seconds() * 3)
    seen, cursor = await walk(after=cursor)
    assert {o["id"] for o in seen} == {o["id"] for o in placed}
    tick()
    seen, cursor = await walk(after=cursor)
    assert seen == []
    tick()
    assert (await api.post(f"/v1/orders/{placed[3]['id']}/cancellation")).status_code == 200
    seen, cursor = await walk(after=cursor)
    assert [(o["id"], o["status"]) for o in seen] == [(placed[3]["id"], "CANCELLED")]

    # A change stamped before the newest one already delivered (its transaction committed late) is
    # still delivered by the next poll.
    tick(1)
    seen, cursor = await walk(after=cursor)  # a walk starts now and finds nothing new
    assert [o["id"] for o in seen] == [placed[3]["id"]]  # within the settle window: again
    clock["now"] -= timedelta(seconds=3)
    assert (await api.post(f"/v1/orders/{placed[4]['id']}/fulfillments")).status_code == 200
    tick(3)
    seen, cursor = await walk(after=cursor)
    assert placed[4]["id"] in {o["id"] for o in seen}

    # The cursor carries its query: repeating it is fine, changing it is a mistake.
    assert (await api.get("/v1/orders", after=cursor, updatedSince=started.isoformat())).status_code == 200
    assert_problem(await api.get("/v1/orders", after=cursor, status="OPEN"), 400)
    assert_problem(await api.get("/v1/orders", after=cursor, updatedSince=clock["now"].isoformat()), 400)


async def test_newest_first_pages(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    placed = [await buy(shopper, (shop.skus["scarf-0"], 1, None)) for _ in range(3)]
    first = (await api.get("/v1/orders", first=2)).json()
    assert [o["id"] for o in first["orders"]] == [placed[2]["id"], placed[1]["id"]]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await api.get("/v1/orders", first=2, after=first["pageInfo"]["endCursor"])).json()
    assert [o["id"] for o in rest["orders"]] == [placed[0]["id"]]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_a_page_costs_the_same_statements_whatever_its_size(
    gql: GraphQL, client: AsyncTestClient[Any], count_statements: Any
) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    for _ in range(6):
        await buy(shopper, (shop.skus["scarf-0"], 1, None), (shop.skus["boots-0"], 1, None))
    counts = {}
    for first in (2, 6):
        for params in ({}, {"updatedSince": "2000-01-01T00:00:00Z"}):
            count_statements.count = 0
            page = (await api.get("/v1/orders", first=first, **params)).json()
            assert len(page["orders"]) == first and all(len(o["lines"]) == 2 for o in page["orders"])
            counts[(first, bool(params))] = count_statements.count
    assert counts[(2, False)] == counts[(6, False)] and counts[(2, True)] == counts[(6, True)], counts


async def test_only_the_merchants_own_orders(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper_account = await sign_up(gql)
    shopper = Caller(client, shopper_account["token"])
    order = await buy(shopper, (shop.skus["jacket-0"], 1, None))
    line_id = order["lines"][0]["id"]

    rival_owner = await sign_up(gql)
    rival = await create_merchant(gql, rival_owner["token"], currency="EUR")
    rival_api = Rest(client, await create_api_key(gql, rival_owner["token"], rival["id"]))
    for caller in (rival_api, Rest(client, rival_owner["token"])):
        assert_problem(await caller.get(f"/v1/orders/{order['id']}"), 404)
        assert_problem(await caller.post(f"/v1/orders/{order['id']}/fulfillments"), 404)
        assert_problem(await caller.post(f"/v1/orders/{order['id']}/cancellation"), 404)
        refund = {"lines": [{"lineId": line_id, "quantity": 1}]}
        assert_problem(await caller.post(f"/v1/orders/{order['id']}/refunds", refund, key="k"), 404)
        assert (await caller.get("/v1/orders")).json()["orders"] == []
    # Someone else's cursor is no way in either.
    cursor = (await api.get("/v1/orders", updatedSince="2000-01-01T00:00:00Z")).json()["pageInfo"][
        "endCursor"
    ]
    assert_problem(await rival_api.get("/v1/orders", after=cursor), 400)

    # The buyer is no merchant: REST orders are for shops.
    buyer = Rest(client, shopper_account["token"])
    assert_problem(await buyer.get("/v1/orders"), 403)
    assert_problem(await buyer.get(f"/v1/orders/{order['id']}"), 404)
    assert_problem(await buyer.post(f"/v1/orders/{order['id']}/cancellation"), 404)

    anonymous = Rest(client, None)
    for response in (
        await anonymous.get("/v1/orders"),
        await anonymous.get(f"/v1/orders/{order['id']}"),
        await anonymous.post(f"/v1/orders/{order['id']}/fulfillments"),
        await Rest(client, "shp_not_a_key").get("/v1/orders"),
    ):
        assert_problem(response, 401)
    untouched = (await api.get(f"/v1/orders/{order['id']}")).json()
    assert (untouched["status"], untouched["fulfillmentStatus"]) == ("OPEN", "UNFULFILLED")


async def test_bad_input_is_a_problem_never_a_500(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop, api = await shop_with_key(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    order = await buy(shopper, (shop.skus["jacket-0"], 2, None))
    line_id = order["lines"][0]["id"]
    for params in (
        {"status": "SHIPPED"},
        {"updatedSince": "yesterday"},
        {"updatedSince": "2026-01-31T09:00:00"},  # no time zone
        {"updatedSince": "0001-01-01T00:00:00+05:00"},  # before year 1 in UTC
        {"after": "not-a-cursor"},
        {"after": "eyJ4IjoxfQ.c2ln"},
        {"first": "0"},
        {"first": "101"},
        {"first": "many"},
        {"first": "99999999999999999999999"},
    ):
        assert_problem(await api.get("/v1/orders", **params), 400)
    newest = (await api.get("/v1/orders", first=1)).json()
    assert newest["pageInfo"]["endCursor"] is None
    for order_id in ("nope", "T3JkZXI6MA", "T3JkZXI6OTk5OTk5OTk5OTk5OTk5OTk5OTk5", shop.products["jacket"]):
        assert_problem(await api.get(f"/v1/orders/{order_id}"), 404)
        assert_problem(await api.post(f"/v1/orders/{order_id}/cancellation"), 404)

    refunds = f"/v1/orders/{order['id']}/refunds"
    for body, status in (
        ({}, 400),
        ({"lines": "all"}, 400),
        ({"lines": [{"lineId": line_id}]}, 400),
        ({"lines": [{"lineId": line_id, "quantity": 1, "extra": True}]}, 400),
        ({"lines": [{"lineId": line_id, "quantity": 1.5}]}, 400),
        ({"lines": []}, 422),
        ({"lines": [{"lineId": line_id, "quantity": 3}]}, 422),
        ({"lines": [{"lineId": line_id, "quantity": 0}]}, 422),
        ({"lines": [{"lineId": line_id, "quantity": -1}]}, 422),
        ({"lines": [{"lineId": line_id, "quantity": 2**70}]}, 422),
        ({"lines": [{"lineId": line_id, "quantity": 1}, {"lineId": line_id, "quantity": 2}]}, 422),
        ({"lines": [{"lineId": "broken", "quantity": 1}]}, 422),
        ({"lines": [{"lineId": shop.skus["boots-0"], "quantity": 1}]}, 422),
        ({"lines": [{"lineId": line_id, "quantity": 1}] * 51}, 422),
    ):
        problem = assert_problem(await api.post(refunds, body), status)
        if status == 422:
            assert problem["errors"][0]["field"][0] == "lines", problem
    bad_json = await client.post(refunds, content=b"{", headers=api.headers())
    assert_problem(bad_json, 400)
    too_big = await client.post(refunds, content=b"[" + b"1," * 70_000 + b"1]", headers=api.headers())
    assert_problem(too_big, 413)
    fulfil = f"/v1/orders/{order['id']}/fulfillments"
    assert_problem(await api.post(fulfil, {"lineIds": ["x"]}), 422)
    assert_problem(await api.post(fulfil, {"lineIds": "x"}), 400)
    assert_problem(await api.post(f"/v1/orders/{order['id']}/cancellation", {"reason": "x" * 501}), 422)
    unchanged = (await api.get(f"/v1/orders/{order['id']}")).json()
    assert (unchanged["status"], unchanged["refunded"]["amount"]) == ("OPEN", "0.00")


async def test_openapi_documents_the_orders_api(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    paths = document["paths"]
    assert {"/v1/orders", "/v1/orders/{order_id}", "/v1/orders/{order_id}/refunds"} <= set(paths)
    refund_body = paths["/v1/orders/{order_id}/refunds"]["post"]["requestBody"]
    assert refund_body["content"]["application/json"]["schema"]["$ref"].endswith("RefundRequest")
    parameters = {p["name"] for p in paths["/v1/orders"]["get"]["parameters"]}
    assert {"status", "updatedSince", "first", "after", "merchant"} <= parameters


async def test_a_json_body_nested_too_deeply_is_malformed_json(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    """`[[[…` a thousand levels deep: the decoder's RecursionError used to escape as a 500."""
    _shop, api = await shop_with_key(gql, client)
    order = encode_id("Order", 1)
    for action in ("fulfillments", "cancellation", "refunds"):
        response = await client.post(
            f"/v1/orders/{order}/{action}",
            content=b"[" * 5000 + b"]" * 5000,
            headers=api.headers() | {"Content-Type": "application/json"},
        )
        assert_problem(response, 400)
