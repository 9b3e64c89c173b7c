"""Creators: handles, profiles, follows, the viewer's following list and storefronts."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.graphql.core.ids import encode_id
from tests.conftest import GraphQL
from tests.factories import BECOME_CREATOR, become_creator, sign_up, upload_media

CREATOR = """query($h: String!) { creator(handle: $h) {
  id handle displayName bio followerCount viewerFollows avatar { url altText } } }"""
FOLLOW = """mutation($input: FollowInput!) {{ {name}(input: $input) {{
  creator {{ handle followerCount viewerFollows }} userErrors {{ field code }} }} }}"""
FOLLOWING = """query($first: Int, $after: String) { viewer { following(first: $first, after: $after) {
  edges { node { handle } } pageInfo { hasNextPage endCursor } } } }"""


def codes(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]]


async def test_become_creator_validates_and_reserves_handles(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    ana, bea = await sign_up(gql), await sign_up(gql)
    avatar = await upload_media(gql, client, ana["token"])

    async def attempt(token: str | None, **fields: Any) -> dict[str, Any]:
        values = {"handle": "someone", "displayName": "Someone"} | fields
        return (await gql(BECOME_CREATOR, {"input": values}, token=token))["data"]["becomeCreator"]

    for handle in ("ab", "a" * 31, "has space", ".dot", "dot.", "two..dots", "émile", "semi;colon"):
        assert codes(await attempt(ana["token"], handle=handle)) == [(("handle",), "INVALID")], handle
    assert codes(await attempt(ana["token"], handle="admin")) == [(("handle",), "CONFLICT")]
    assert codes(await attempt(ana["token"], displayName="  ", bio="b" * 501)) == [
        (("displayName",), "INVALID"),
        (("bio",), "TOO_LARGE"),
    ]
    assert codes(await attempt(ana["token"], displayName="A\x00", bio="\x00")) == [  # PostgreSQL refuses NUL
        (("displayName",), "INVALID"),
        (("bio",), "INVALID"),
    ]
    assert codes(await attempt(None)) == [((), "UNAUTHENTICATED")]
    assert codes(await attempt(bea["token"], handle="bea_b", avatarMediaId=avatar["id"])) == [
        (("avatarMediaId",), "NOT_FOUND")  # someone else's photo
    ]
    assert codes(await attempt(bea["token"], handle="bea_b", avatarMediaId=encode_id("Upload", 1))) == [
        (("avatarMediaId",), "INVALID")
    ]

    created = await attempt(
        ana["token"], handle="@Ana.Style", displayName=" Ana ", bio=" Rain gear. ", avatarMediaId=avatar["id"]
    )
    assert codes(created) == []
    assert created["creator"] | {"id": None} == {
        "id": None,
        "handle": "ana.style",
        "displayName": "Ana",
        "bio": "Rain gear.",
        "followerCount": 0,
    }
    assert codes(await attempt(bea["token"], handle="ANA.STYLE")) == [(("handle",), "CONFLICT")]
    assert codes(await attempt(ana["token"], handle="ana_again")) == [((), "CONFLICT")]

    found = (await gql(CREATOR, {"h": "@ANA.style"}))["data"]["creator"]
    assert found["id"] == created["creator"]["id"]
    assert found["avatar"]["url"] == avatar["renditions"][0]["url"] and found["avatar"]["altText"] == "Ana"
    assert (await gql(CREATOR, {"h": "nobody"}))["data"]["creator"] is None
    # No creator can have these handles; NUL used to reach PostgreSQL ("Unexpected error.").
    for impossible in ("\x00", "ana\x00.style", "a" * 100_000, "   ", "ab", "émile"):
        assert (await gql(CREATOR, {"h": impossible}))["data"]["creator"] is None, impossible
    node = await gql("query($id: ID!) { node(id: $id) { ... on Creator { handle } } }", {"id": found["id"]})
    assert node["data"]["node"] == {"handle": "ana.style"}
    mine = await gql("{ viewer { creator { handle } } }", token=ana["token"])
    assert mine["data"]["viewer"]["creator"] == {"handle": "ana.style"}
    assert (await gql("{ viewer { creator { handle } } }", token=bea["token"]))["data"]["viewer"][
        "creator"
    ] is None


async def test_follows_are_idempotent_and_counted(gql: GraphQL) -> None:
    fan = await sign_up(gql)
    creators = []
    for handle in ("one", "two", "three"):
        owner = await sign_up(gql)
        creators.append((owner, await become_creator(gql, owner["token"], handle)))

    async def follow(name: str, creator_id: str, token: str | None) -> dict[str, Any]:
        body = await gql(FOLLOW.format(name=name), {"input": {"creatorId": creator_id}}, token=token)
        return body["data"][name]

    one = creators[0][1]["id"]
    for _ in range(2):
        followed = await follow("follow", one, fan["token"])
        assert followed["creator"] == {"handle": "one", "followerCount": 1, "viewerFollows": True}
    assert (await gql(CREATOR, {"h": "one"}))["data"]["creator"]["viewerFollows"] is False  # anonymous
    assert codes(await follow("follow", one, None)) == [((), "UNAUTHENTICATED")]
    assert codes(await follow("follow", one, creators[0][0]["token"])) == [(("creatorId",), "INVALID")]
    assert codes(await follow("follow", encode_id("Creator", 99_999), fan["token"])) == [
        (("creatorId",), "NOT_FOUND")
    ]
    for wrong in ("not-an-id", encode_id("Post", 1)):
        assert codes(await follow("unfollow", wrong, fan["token"])) == [(("creatorId",), "INVALID")]
    for _, creator in creators[1:]:
        await follow("follow", creator["id"], fan["token"])

    handles, after = [], None
    while True:
        page = (await gql(FOLLOWING, {"first": 2, "after": after}, token=fan["token"]))["data"]["viewer"][
            "following"
        ]
        handles += [e["node"]["handle"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert handles == ["three", "two", "one"]  # most recently followed first

    for _ in range(2):
        unfollowed = await follow("unfollow", one, fan["token"])
        assert unfollowed["creator"] == {"handle": "one", "followerCount": 0, "viewerFollows": False}
    page = (await gql(FOLLOWING, {"first": 10}, token=fan["token"]))["data"]["viewer"]["following"]
    assert [e["node"]["handle"] for e in page["edges"]] == ["three", "two"]
