"""`creators(query:)` by handle and name, and `posts(hashtag:)`, on both databases."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import GraphQL
from tests.factories import become_creator, create_post, publish_post, sign_up, upload_media

CREATORS = """query($q: String!, $first: Int, $after: String) { creators(query: $q, first: $first, after: $after) {
  edges { node { handle } } pageInfo { hasNextPage endCursor } } }"""
POSTS = """query($h: String!, $first: Int, $after: String) { posts(hashtag: $h, first: $first, after: $after) {
  edges { node { id caption } } pageInfo { hasNextPage endCursor } } }"""
UPDATE = """mutation($input: UpdatePostInput!) { updatePost(input: $input) { userErrors { code } } }"""


async def creator_handles(gql: GraphQL, query: str, first: int = 20) -> list[str]:
    found: list[str] = []
    after = None
    while True:
        body = await gql(CREATORS, {"q": query, "first": first, "after": after})
        page = body["data"]["creators"]
        found.extend(e["node"]["handle"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_creators_by_handle_then_name(gql: GraphQL) -> None:
    for handle, name in (
        ("anna", "Anna Berg"),
        ("annabelle", "Belle"),
        ("sofia", "Sofia Anna Lund"),
        ("bob", "Bob"),
    ):
        user = await sign_up(gql)
        await become_creator(gql, user["token"], handle, displayName=name)
    assert await creator_handles(gql, "anna") == ["anna", "annabelle", "sofia"]
    assert await creator_handles(gql, "@ANNA", first=1) == ["anna", "annabelle", "sofia"]  # across pages
    assert await creator_handles(gql, "lund") == ["sofia"]
    for odd in ("", "   ", "%", "_", "\\", "a" * 500, "x\x00", "🙂", "' OR 1=1 --"):
        assert await creator_handles(gql, odd) == [], odd


async def test_posts_by_hashtag_only_published_and_following_edits(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    user = await sign_up(gql)
    await become_creator(gql, user["token"])
    token = user["token"]
    published = []
    for caption in ("Rainy day #Outfit #rain", "Sunny #outfit", "Draft #outfit"):
        media = await upload_media(gql, client, token)
        post = (await create_post(gql, token, mediaIds=[media["id"]], caption=caption))["post"]
        if not caption.startswith("Draft"):
            await publish_post(gql, token, post["id"])
            published.append(post["id"])
    body = await gql(POSTS, {"h": "#OUTFIT", "first": 1})
    first = body["data"]["posts"]
    assert [e["node"]["id"] for e in first["edges"]] == [published[1]]  # newest first, drafts never
    more = await gql(POSTS, {"h": "outfit", "first": 5, "after": first["pageInfo"]["endCursor"]})
    assert [e["node"]["id"] for e in more["data"]["posts"]["edges"]] == [published[0]]
    rain = await gql(POSTS, {"h": "rain"})
    assert [e["node"]["id"] for e in rain["data"]["posts"]["edges"]] == [published[0]]
    edited = await gql(UPDATE, {"input": {"postId": published[0], "caption": "Rainy day"}}, token=token)
    assert edited["data"]["updatePost"]["userErrors"] == []
    assert (await gql(POSTS, {"h": "rain"}))["data"]["posts"]["edges"] == []
    for odd in ("", "#", "a b", "x\x00", "a" * 500, "🙂"):
        assert (await gql(POSTS, {"h": odd}))["data"]["posts"]["edges"] == [], odd
