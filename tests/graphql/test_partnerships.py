"""A disclosed partnership names the merchant only once the merchant's people confirm it; the feed's
reason follows the same rule. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import GraphQL
from tests.factories import (
    POST_FIELDS,
    USER_ERRORS,
    become_creator,
    create_api_key,
    create_merchant,
    create_post,
    product_input,
    publish_post,
    sign_up,
    upload_media,
    upsert,
)

CONFIRM = f"""mutation($input: PostIdInput!) {{
  confirmPartnership(input: $input) {{ post {{ {POST_FIELDS} }} {USER_ERRORS} }} }}"""
DECLINE = f"""mutation($input: PostIdInput!) {{
  declinePartnership(input: $input) {{ post {{ {POST_FIELDS} }} {USER_ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdatePostInput!) {{ updatePost(input: $input) {{ post {{ {POST_FIELDS} }} {USER_ERRORS} }} }}"""
POST = f"""query($id: ID!) {{ post(id: $id) {{ {POST_FIELDS} }} }}"""
FEED = """query { feed(first: 20, mode: NON_PERSONALIZED) { edges { reasons { code text } node { ... on Post { id } } } } }"""


def codes(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]]


async def feed_reasons(gql: GraphQL, post_id: str) -> list[str]:
    edges = (await gql(FEED))["data"]["feed"]["edges"]
    return [
        r["text"]
        for e in edges
        if e["node"].get("id") == post_id
        for r in e["reasons"]
        if r["code"] == "PAID_PARTNERSHIP"
    ]


async def test_the_partner_is_named_only_after_the_merchant_confirms(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    client.app.state.services.snapshots.ttl = 0  # the everyone-feed is otherwise up to a minute old
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], handle="northwind", name="Northwind Outfitters")
    product = (await upsert(gql, owner["token"], merchant["id"], [product_input("jacket")]))["products"][0]
    creator = await sign_up(gql)
    await become_creator(gql, creator["token"], "ana.style")
    media = await upload_media(gql, client, creator["token"])
    disclosure = {"kind": "PAID_PARTNERSHIP", "partnerId": merchant["id"]}
    tags = [{"productId": product["id"], "mediaIndex": 0, "x": 0.5, "y": 0.5}]
    created = await create_post(
        gql, creator["token"], mediaIds=[media["id"]], productTags=tags, disclosure=disclosure
    )
    post_id = created["post"]["id"]
    shopper, stranger = await sign_up(gql), await sign_up(gql)

    # Before publication nobody but the creator sees the post, so the merchant cannot answer yet.
    early = (await gql(CONFIRM, {"input": {"postId": post_id}}, token=owner["token"]))["data"][
        "confirmPartnership"
    ]
    assert codes(early) == [(("postId",), "NOT_FOUND")]
    await publish_post(gql, creator["token"], post_id)
    seen = (await gql(POST, {"id": post_id}, token=shopper["token"]))["data"]["post"]["disclosure"]
    assert seen == {
        "kind": "PAID_PARTNERSHIP",
        "label": "Paid partnership",
        "partnershipStatus": "PENDING",
        "partner": None,
    }
    assert await feed_reasons(gql, post_id) == ["Paid partnership"]

    # Only the merchant's people answer: not a stranger, not the creator, not the merchant's API key.
    api_key = await create_api_key(gql, owner["token"], merchant["id"])
    for token in (stranger["token"], creator["token"], api_key, None):
        body = await gql(CONFIRM, {"input": {"postId": post_id}}, token=token)
        assert body["data"]["confirmPartnership"]["post"] is None, token
        assert codes(body["data"]["confirmPartnership"])[0][1] in {"NOT_FOUND", "UNAUTHENTICATED"}, token
    merchant_view = (await gql(POST, {"id": post_id}, token=owner["token"]))["data"]["post"]["disclosure"]
    assert merchant_view["partner"] == {"id": merchant["id"], "name": "Northwind Outfitters"}

    confirmed = (await gql(CONFIRM, {"input": {"postId": post_id}}, token=owner["token"]))["data"][
        "confirmPartnership"
    ]
    assert confirmed["userErrors"] == []
    assert confirmed["post"]["disclosure"]["label"] == "Paid partnership with Northwind Outfitters"
    seen = (await gql(POST, {"id": post_id}, token=shopper["token"]))["data"]["post"]["disclosure"]
    assert seen == {
        "kind": "PAID_PARTNERSHIP",
        "label": "Paid partnership with Northwind Outfitters",
        "partnershipStatus": "CONFIRMED",
        "partner": {"id": merchant["id"], "name": "Northwind Outfitters"},
    }
    assert await feed_reasons(gql, post_id) == ["Paid partnership with Northwind Outfitters"]

    declined = (await gql(DECLINE, {"input": {"postId": post_id}}, token=owner["token"]))["data"][
        "declinePartnership"
    ]
    assert declined["userErrors"] == []
    seen = (await gql(POST, {"id": post_id}, token=shopper["token"]))["data"]["post"]["disclosure"]
    assert (seen["label"], seen["partnershipStatus"], seen["partner"]) == (
        "Paid partnership",
        "DECLINED",
        None,
    )
    assert await feed_reasons(gql, post_id) == ["Paid partnership"]


async def test_a_changed_disclosure_asks_the_merchant_again(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], handle="northwind", name="Northwind")
    creator = await sign_up(gql)
    await become_creator(gql, creator["token"])
    media = await upload_media(gql, client, creator["token"])
    created = await create_post(
        gql,
        creator["token"],
        mediaIds=[media["id"]],
        disclosure={"kind": "GIFTED", "partnerId": merchant["id"]},
    )
    post_id = created["post"]["id"]
    await publish_post(gql, creator["token"], post_id)
    confirmed = await gql(CONFIRM, {"input": {"postId": post_id}}, token=owner["token"])
    assert confirmed["data"]["confirmPartnership"]["post"]["disclosure"]["label"] == "Gifted by Northwind"

    caption_only = await gql(
        UPDATE, {"input": {"postId": post_id, "caption": "New caption"}}, token=creator["token"]
    )
    assert caption_only["data"]["updatePost"]["post"]["disclosure"]["label"] == "Gifted by Northwind"
    stronger = {"postId": post_id, "disclosure": {"kind": "PAID_PARTNERSHIP", "partnerId": merchant["id"]}}
    changed = (await gql(UPDATE, {"input": stronger}, token=creator["token"]))["data"]["updatePost"]
    assert changed["post"]["disclosure"]["label"] == "Paid partnership"
    assert changed["post"]["disclosure"]["partnershipStatus"] == "PENDING"
