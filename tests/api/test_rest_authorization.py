"""Who may call every /v1 route, checked through the real app on SQLite and PostgreSQL.

`RULES` has an entry for every (method, path) the Litestar app serves under /v1; a route added
without one fails `test_every_v1_route_has_an_access_rule`. Every merchant route is called
anonymously (401 problem+json), by a stranger, by another shop's member and by another shop's API
key (403 or 404, naming the first shop where the route takes `?merchant=`), then the target is read
back by its owner, unchanged, and finally the owner's call succeeds. Token routes refuse a wrong
token and serve the right one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient

from shoppable.api.app import create_app
from shoppable.graphql.core.ids import decode_id
from shoppable.settings import Settings
from shoppable.storage.db import Database
from tests.authz_world import World, make_world
from tests.conftest import GraphQL
from tests.factories import create_upload, make_image


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background webhook delivery: a retry on its own schedule would change the deliveries this
    test reads back to prove that a refused caller changed nothing."""
    return settings.model_copy(update={"webhooks_in_process": False})


PUBLIC = "PUBLIC"
TOKEN = "TOKEN_HOLDER"  # a secret in the URL: an upload grant, an export download link
MERCHANT = "OWNER_OF(merchant)"  # the shop's people and API keys
ORDER = "OWNER_OF(order's merchant)"

RULES: dict[tuple[str, str], str] = {
    ("GET", "/v1"): PUBLIC,
    ("GET", "/v1/openapi.json"): PUBLIC,
    ("GET", "/v1/{path:str}"): PUBLIC,  # unknown paths: a 404 problem
    ("PUT", "/v1/uploads/{token:str}"): TOKEN,
    ("GET", "/v1/privacy/exports/{export_id:int}/download"): TOKEN,
    ("GET", "/v1/catalog/imports"): MERCHANT,
    ("POST", "/v1/catalog/imports"): MERCHANT,
    ("GET", "/v1/catalog/imports/{import_id:int}"): MERCHANT,
    ("POST", "/v1/catalog/imports/{import_id:int}/cancel"): MERCHANT,
    ("POST", "/v1/catalog/inventory"): MERCHANT,
    ("POST", "/v1/catalog/prices"): MERCHANT,
    ("GET", "/v1/orders"): MERCHANT,
    ("GET", "/v1/orders/{order_id:str}"): ORDER,
    ("POST", "/v1/orders/{order_id:str}/fulfillments"): ORDER,
    ("POST", "/v1/orders/{order_id:str}/cancellation"): ORDER,
    ("POST", "/v1/orders/{order_id:str}/refunds"): ORDER,
    ("GET", "/v1/webhooks/endpoints"): MERCHANT,
    ("POST", "/v1/webhooks/endpoints"): MERCHANT,
    ("GET", "/v1/webhooks/endpoints/{endpoint_id:int}"): MERCHANT,
    ("PATCH", "/v1/webhooks/endpoints/{endpoint_id:int}"): MERCHANT,
    ("DELETE", "/v1/webhooks/endpoints/{endpoint_id:int}"): MERCHANT,
    ("POST", "/v1/webhooks/endpoints/{endpoint_id:int}/rotate-secret"): MERCHANT,
    ("POST", "/v1/webhooks/endpoints/{endpoint_id:int}/test"): MERCHANT,
    ("GET", "/v1/webhooks/deliveries"): MERCHANT,
    ("GET", "/v1/webhooks/deliveries/{delivery_id:int}"): MERCHANT,
    ("POST", "/v1/webhooks/deliveries/{delivery_id:int}/redeliver"): MERCHANT,
}
PROBLEM = "application/problem+json"


def v1_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(secret_key="rest-authorization-0123456789-abcdefghij"))
    return {
        (method, route.path)
        for route in app.routes
        if route.path == "/v1" or route.path.startswith("/v1/")
        for method in route.methods
        if method not in ("OPTIONS", "HEAD")
    }


def test_every_v1_route_has_an_access_rule() -> None:
    routes = v1_routes()
    assert routes - RULES.keys() == set(), (
        f"/v1 routes without an access rule: {sorted(routes - RULES.keys())}"
    )
    assert RULES.keys() - routes == set(), (
        f"RULES lists routes the app no longer has: {sorted(RULES.keys() - routes)}"
    )
    guarded = {route for route, rule in RULES.items() if rule.startswith("OWNER_OF")}
    cased = {(case.method, case.route) for case in CASES}
    assert guarded - cased == set(), f"owner routes without a case: {sorted(guarded - cased)}"


@dataclass(frozen=True)
class Case:
    method: str
    route: str
    path: Callable[[World], str]
    json: Callable[[World], Any] | None = None
    content: bytes | None = None
    params: dict[str, str] = field(default_factory=dict)
    names_merchant: bool = False  # takes ?merchant=<handle>: strangers name the first shop
    read: Callable[[World], str] | None = None  # GET, as the owner, before and after
    secret: Callable[[World], str] | None = (
        None  # a string of the shop's that a stranger's answer must not hold
    )


def endpoint(w: World) -> int:
    pk = decode_id(w.endpoint_id, "WebhookEndpoint")
    assert pk is not None
    return pk


def delivery(w: World) -> int:
    pk = decode_id(w.delivery_id, "WebhookDelivery")
    assert pk is not None
    return pk


def order_path(w: World) -> str:
    return f"/v1/orders/{w.order_id}"


def endpoint_path(w: World) -> str:
    return f"/v1/webhooks/endpoints/{endpoint(w)}"


def import_path(w: World) -> str:
    return f"/v1/catalog/imports/{w.import_id}"


def delivery_path(w: World) -> str:
    return f"/v1/webhooks/deliveries/{delivery(w)}"


def order_case(method: str, suffix: str, body: Callable[[World], Any] | None = None) -> Case:
    route = "/v1/orders/{order_id:str}" + suffix
    return Case(method, route, lambda w: order_path(w) + suffix, body, read=order_path)


def endpoint_case(method: str, suffix: str, body: Callable[[World], Any] | None = None) -> Case:
    route = "/v1/webhooks/endpoints/{endpoint_id:int}" + suffix
    return Case(method, route, lambda w: endpoint_path(w) + suffix, body, read=endpoint_path)


# Order matters: the owner's own calls change what later cases see (deletion last).
CASES: list[Case] = [
    Case(
        "GET",
        "/v1/catalog/imports",
        lambda w: "/v1/catalog/imports",
        names_merchant=True,
        secret=lambda w: f'"id":{w.import_id}',
    ),
    Case("GET", "/v1/catalog/imports/{import_id:int}", import_path),
    Case(
        "POST",
        "/v1/catalog/imports",
        lambda w: "/v1/catalog/imports",
        content=b'{"handle": "x", "title": "X"}\n',
        params={"format": "jsonl", "mode": "full"},
        names_merchant=True,
        read=lambda w: "/v1/catalog/imports",
    ),
    Case(
        "POST",
        "/v1/catalog/imports/{import_id:int}/cancel",
        lambda w: import_path(w) + "/cancel",
        read=import_path,
    ),
    Case(
        "POST",
        "/v1/catalog/inventory",
        lambda w: "/v1/catalog/inventory",
        lambda w: {"items": [{"sku": "scarf-0", "quantity": 0}]},
        names_merchant=True,
    ),
    Case(
        "POST",
        "/v1/catalog/prices",
        lambda w: "/v1/catalog/prices",
        lambda w: {"items": [{"sku": "scarf-0", "price": {"amount": "0.01", "currencyCode": "EUR"}}]},
        names_merchant=True,
    ),
    Case("GET", "/v1/orders", lambda w: "/v1/orders", names_merchant=True, secret=lambda w: w.order_id),
    Case("GET", "/v1/orders/{order_id:str}", order_path),
    order_case("POST", "/fulfillments", lambda w: {}),
    order_case("POST", "/refunds", lambda w: {"lines": [{"lineId": w.order_line_id, "quantity": 1}]}),
    order_case("POST", "/cancellation", lambda w: {"reason": "mine"}),
    Case(
        "GET",
        "/v1/webhooks/endpoints",
        lambda w: "/v1/webhooks/endpoints",
        names_merchant=True,
        secret=lambda w: "hooks.example",
    ),
    Case(
        "POST",
        "/v1/webhooks/endpoints",
        lambda w: "/v1/webhooks/endpoints",
        lambda w: {"url": "https://evil.example/", "events": ["ORDER_CREATED"]},
        names_merchant=True,
        read=lambda w: "/v1/webhooks/endpoints",
    ),
    Case("GET", "/v1/webhooks/endpoints/{endpoint_id:int}", endpoint_path),
    endpoint_case("PATCH", "", lambda w: {"url": "https://evil.example/", "events": ["ORDER_CANCELLED"]}),
    endpoint_case("POST", "/rotate-secret"),
    endpoint_case("POST", "/test"),
    Case(
        "GET",
        "/v1/webhooks/deliveries",
        lambda w: "/v1/webhooks/deliveries",
        names_merchant=True,
        secret=lambda w: str(delivery(w)),
    ),
    Case("GET", "/v1/webhooks/deliveries/{delivery_id:int}", delivery_path),
    Case(
        "POST",
        "/v1/webhooks/deliveries/{delivery_id:int}/redeliver",
        lambda w: delivery_path(w) + "/redeliver",
        read=delivery_path,
    ),
    endpoint_case("DELETE", ""),
]

OWNER_STATE_ANSWERS = {
    "POST /v1/catalog/imports/{import_id:int}/cancel": (409,),  # the import already ended
    "POST /v1/orders/{order_id:str}/cancellation": (409,),  # fulfilled by the case before
}
CATALOG_READ = """query($h: String!) { merchant(handle: $h) { products(first: 20, status: null) { edges { node {
  handle status skus { edges { node { sku quantityAvailable price { amount } } } } } } } } }"""


async def call(
    client: AsyncTestClient[Any], case: Case, world: World, token: str | None, *, merchant: str | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = dict(case.params)
    if merchant:
        params["merchant"] = merchant
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if case.json is not None:
        kwargs["json"] = case.json(world)
    elif case.content is not None:
        kwargs["content"] = case.content
    return await client.request(case.method, case.path(world), **kwargs)


async def snapshot(client: AsyncTestClient[Any], gql: GraphQL, case: Case, world: World) -> Any:
    owner = {"Authorization": f"Bearer {world.key_a}"}
    read = (await client.get(case.read(world), headers=owner)).json() if case.read else None
    catalog = await gql(CATALOG_READ, {"h": world.shop.merchant["handle"]}, token=world.shop.owner["token"])
    return read, catalog


async def test_merchant_routes_refuse_everyone_else(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    world = await make_world(gql, client, database)  # one world for both (building it is most of the time)
    await check_token_routes_serve_the_holder_only(gql, client, world)
    holes: list[str] = []
    strangers = {**world.callers(), "buyer": world.buyer["token"]}
    for case in CASES:
        label = f"{case.method} {case.route}"
        before = await snapshot(client, gql, case, world)
        for name, token in strangers.items():
            merchant = world.shop.merchant["handle"] if case.names_merchant else None
            response = await call(client, case, world, token, merchant=merchant)
            if token is None:
                if response.status_code != 401 or not response.headers.get("content-type", "").startswith(
                    PROBLEM
                ):
                    holes.append(f"{label}: anonymous got {response.status_code} {response.text[:200]}")
                continue
            if response.status_code not in (403, 404):
                holes.append(f"{label}: {name} got {response.status_code} {response.text[:200]}")
            if case.names_merchant and token is not None:
                # Without naming a shop, the caller acts on its own (if any): never on the first shop.
                own = await call(client, case, world, token)
                if case.secret and case.secret(world) in own.text:
                    holes.append(f"{label}: {name} sees the shop's data: {own.text[:200]}")
        after = await snapshot(client, gql, case, world)
        if after != before:
            holes.append(f"{label}: changed by a refused caller:\n  {before}\n  {after}")
        response = await call(client, case, world, world.key_a)
        # The owner is let in: a 2xx, or the resource's own state saying no (an import that already
        # ended cannot be cancelled, a shipped order not cancelled): never 401, 403 or 404.
        if not (
            200 <= response.status_code < 300 or response.status_code in OWNER_STATE_ANSWERS.get(label, ())
        ):
            holes.append(f"{label}: the shop's key got {response.status_code} {response.text[:200]}")
        elif case.secret and case.secret(world) not in response.text:
            holes.append(f"{label}: the owner does not see their data: {response.text[:200]}")
    assert holes == [], "\n".join(holes)


async def check_token_routes_serve_the_holder_only(
    gql: GraphQL, client: AsyncTestClient[Any], world: World
) -> None:
    link = urlsplit(world.export_url)
    assert link.path.startswith("/v1/privacy/exports/") and link.query.startswith("token=")
    holder = await client.get(f"{link.path}?{link.query}")
    assert holder.status_code in (200, 202), holder.text
    secret = link.query.removeprefix("token=")
    # Another first character (a fixed one would be the real token whenever the token starts with it).
    forged = ("B" if secret[0] == "A" else "A") + secret[1:]
    for token in (None, world.buyer["token"], world.key_b):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        wrong = await client.get(f"{link.path}?token={forged}", headers=headers)
        assert wrong.status_code == 404, wrong.text
        assert (await client.get(link.path, headers=headers)).status_code in (400, 404)

    photo = make_image(30, 20)
    grant = await create_upload(gql, world.stranger["token"], photo)
    forged = grant["url"][:-4] + ("AAAA" if not grant["url"].endswith("AAAA") else "BBBB")
    refused = await client.put(
        forged, content=photo, headers={h["name"]: h["value"] for h in grant["headers"]}
    )
    assert refused.status_code in (400, 401, 403, 404), refused.text
    sent = await client.put(
        grant["url"], content=photo, headers={h["name"]: h["value"] for h in grant["headers"]}
    )
    assert sent.status_code in (201, 204), sent.text


async def test_public_routes_answer_anyone(client: AsyncTestClient[Any]) -> None:
    assert (await client.get("/v1")).status_code == 200
    assert (await client.get("/v1/openapi.json")).status_code == 200
    # Litestar's OpenAPI router owns /v1/{path}: unknown paths are a 404 problem, as every REST error is.
    for path in ("/v1/no-such-thing", "/v1/docs", "/v1/orders/x/y/z"):
        missing = await client.get(path)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"].startswith("application/problem+json"), path
        assert missing.json()["status"] == 404
