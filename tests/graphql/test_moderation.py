"""Reports, removals with a statement of reasons, and restores; removed posts are hidden everywhere."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.domain.identity.service import create_admin
from shoppable.storage.db import Database
from tests.conftest import GraphQL
from tests.factories import (
    become_creator,
    create_merchant,
    create_post,
    product_input,
    publish_post,
    sign_up,
    upload_media,
    upsert,
)

REPORT = """mutation($input: ReportPostInput!) { reportPost(input: $input) {
  report { id reason details } userErrors { field code } } }"""
REMOVE = """mutation($input: RemovePostInput!) { removePost(input: $input) {
  post { id status moderation { action reason statement } } userErrors { field code } } }"""
RESTORE = """mutation($input: RestorePostInput!) { restorePost(input: $input) {
  post { id status } userErrors { field code } } }"""
POST = """query($id: ID!) { post(id: $id) { id status moderation { action reason statement decidedAt } } }"""
EVERYWHERE = """query($id: ID!, $product: ID!) {
  nodes(ids: [$id]) { id }
  creator(handle: "ana") { posts { edges { node { id } } } products { edges { node { id } } } }
  product(id: $product) { featuredIn { edges { node { id } } } }
}"""
SAVED = "{ viewer { saved { edges { node { id } } } } }"


def codes(payload: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]]


async def admin_token(gql: GraphQL, database: Database) -> str:
    uow = database.unit_of_work(write=True)
    async with uow:
        await create_admin(uow, "moderator@example.com", "correct horse battery")
    body = await gql(
        'mutation { logIn(input: {email: "moderator@example.com", password: "correct horse battery"}) { token } }'
    )
    return body["data"]["logIn"]["token"]


async def test_reports_removals_and_appeals(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    product = (await upsert(gql, owner["token"], merchant["id"], [product_input("coat")]))["products"][0][
        "id"
    ]
    creator = await sign_up(gql)
    await become_creator(gql, creator["token"], "ana")
    media = await upload_media(gql, client, creator["token"])
    tags = [{"productId": product, "mediaIndex": 0, "x": 0.5, "y": 0.5}]
    live = (await create_post(gql, creator["token"], mediaIds=[media["id"]], productTags=tags))["post"]["id"]
    await publish_post(gql, creator["token"], live)
    draft = (await create_post(gql, creator["token"], mediaIds=[media["id"]]))["post"]["id"]
    shopper, moderator = await sign_up(gql), await admin_token(gql, database)
    save = "mutation($id: ID!) { savePost(input: {postId: $id}) { userErrors { code } } }"
    assert (await gql(save, {"id": live}, token=shopper["token"]))["data"]["savePost"]["userErrors"] == []

    async def report(
        token: str | None, post_id: str, reason: str, details: str | None = None
    ) -> dict[str, Any]:
        variables = {"input": {"postId": post_id, "reason": reason, "details": details}}
        return (await gql(REPORT, variables, token=token))["data"]["reportPost"]

    reported = await report(shopper["token"], live, "UNDISCLOSED_ADVERTISING", "  Looks like an ad.  ")
    assert codes(reported) == []
    assert (
        reported["report"]["reason"] == "UNDISCLOSED_ADVERTISING"
        and reported["report"]["details"] == "Looks like an ad."
    )
    assert codes(await report(shopper["token"], live, "SPAM")) == [(("postId",), "DUPLICATE")]
    assert codes(await report(moderator, live, "OTHER")) == [(("details",), "REQUIRED")]
    assert codes(await report(moderator, live, "OTHER", "x" * 1001)) == [(("details",), "TOO_LARGE")]
    # PostgreSQL cannot store NUL ("Unexpected error." before the rule)
    assert codes(await report(moderator, live, "OTHER", "spam\x00")) == [(("details",), "INVALID")]
    assert codes(await report(creator["token"], live, "SPAM")) == [(("postId",), "INVALID")]
    assert codes(await report(shopper["token"], draft, "SPAM")) == [(("postId",), "NOT_FOUND")]
    assert codes(await report(None, live, "SPAM")) == [((), "UNAUTHENTICATED")]
    assert codes(await report(shopper["token"], product, "SPAM")) == [(("postId",), "INVALID")]
    report_node = "query($id: ID!) { node(id: $id) { ... on PostReport { reason } } }"
    report_id = reported["report"]["id"]
    assert (await gql(report_node, {"id": report_id}, token=shopper["token"]))["data"]["node"] is not None
    assert (await gql(report_node, {"id": report_id}, token=moderator))["data"]["node"] is not None
    assert (await gql(report_node, {"id": report_id}, token=creator["token"]))["data"]["node"] is None

    removal = {
        "postId": live,
        "reason": "UNDISCLOSED_ADVERTISING",
        "statement": "Paid post without a disclosure.",
    }
    for token in (shopper["token"], creator["token"], None):
        denied = (await gql(REMOVE, {"input": removal}, token=token))["data"]["removePost"]
        assert codes(denied) == [((), "FORBIDDEN" if token else "UNAUTHENTICATED")]
    blank = (await gql(REMOVE, {"input": removal | {"statement": "  "}}, token=moderator))["data"][
        "removePost"
    ]
    assert codes(blank) == [(("statement",), "REQUIRED")]
    assert codes(
        (await gql(REMOVE, {"input": removal | {"postId": draft}}, token=moderator))["data"]["removePost"]
    ) == [
        (("postId",), "NOT_FOUND")  # moderators do not see drafts either
    ]
    wrong_id = await gql(REMOVE, {"input": removal | {"postId": product}}, token=moderator)
    assert codes(wrong_id["data"]["removePost"]) == [(("postId",), "INVALID")]
    removed = (await gql(REMOVE, {"input": removal}, token=moderator))["data"]["removePost"]
    assert codes(removed) == []
    assert removed["post"]["status"] == "REMOVED"
    assert removed["post"]["moderation"]["statement"] == "Paid post without a disclosure."
    again = (await gql(REMOVE, {"input": removal}, token=moderator))["data"]["removePost"]
    assert codes(again) == [(("postId",), "CONFLICT")]

    # Hidden from everyone else, everywhere.
    for token in (shopper["token"], None):
        assert (await gql(POST, {"id": live}, token=token))["data"]["post"] is None
        everywhere = (await gql(EVERYWHERE, {"id": live, "product": product}, token=token))["data"]
        assert everywhere["nodes"] == [None]
        assert everywhere["creator"]["posts"]["edges"] == []
        assert everywhere["creator"]["products"]["edges"] == []
        assert everywhere["product"]["featuredIn"]["edges"] == []
    assert (await gql(SAVED, token=shopper["token"]))["data"]["viewer"]["saved"]["edges"] == []
    like = "mutation($id: ID!) { likePost(input: {postId: $id}) { userErrors { field code } } }"
    assert codes((await gql(like, {"id": live}, token=shopper["token"]))["data"]["likePost"]) == [
        (("postId",), "NOT_FOUND")
    ]

    # The creator sees the post and the statement of reasons, and cannot edit it away.
    seen = (await gql(POST, {"id": live}, token=creator["token"]))["data"]["post"]
    assert seen["status"] == "REMOVED"
    assert seen["moderation"] | {"decidedAt": None} == {
        "action": "REMOVED",
        "reason": "UNDISCLOSED_ADVERTISING",
        "statement": "Paid post without a disclosure.",
        "decidedAt": None,
    }
    assert seen["moderation"]["decidedAt"].endswith("+00:00")
    update = 'mutation($id: ID!) { updatePost(input: {postId: $id, caption: "fixed"}) { userErrors { field code } } }'
    assert codes((await gql(update, {"id": live}, token=creator["token"]))["data"]["updatePost"]) == [
        (("postId",), "CONFLICT")
    ]

    # An upheld appeal publishes it again.
    restore = {"postId": live, "statement": "On appeal: the partnership was disclosed in the video."}
    assert codes((await gql(RESTORE, {"input": restore}, token=shopper["token"]))["data"]["restorePost"]) == [
        ((), "FORBIDDEN")
    ]
    restored = (await gql(RESTORE, {"input": restore}, token=moderator))["data"]["restorePost"]
    assert restored["post"]["status"] == "PUBLISHED"
    assert codes((await gql(RESTORE, {"input": restore}, token=moderator))["data"]["restorePost"]) == [
        (("postId",), "CONFLICT")
    ]
    public = (await gql(POST, {"id": live}, token=shopper["token"]))["data"]["post"]
    assert (public["status"], public["moderation"]) == ("PUBLISHED", None)  # decisions are the creator's
    everywhere = (await gql(EVERYWHERE, {"id": live, "product": product}))["data"]
    assert everywhere["nodes"] == [{"id": live}]
    assert everywhere["product"]["featuredIn"]["edges"] == [{"node": {"id": live}}]
    own = (await gql(POST, {"id": live}, token=creator["token"]))["data"]["post"]["moderation"]
    assert (own["action"], own["reason"]) == ("RESTORED", None)
