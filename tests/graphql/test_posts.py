"""Posts through the HTTP app: tags, disclosure, drafts, publishing, editing rules and engagement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.graphql.core.ids import encode_id
from tests.conftest import GraphQL
from tests.factories import (
    POST_FIELDS,
    become_creator,
    create_merchant,
    create_post,
    make_mp4,
    product_input,
    publish_post,
    sign_up,
    upload_media,
    upsert,
)

POST = f"query($id: ID!) {{ post(id: $id) {{ {POST_FIELDS} }} }}"
CREATOR_POSTS = """query($h: String!, $first: Int, $after: String) { creator(handle: $h) {
  posts(first: $first, after: $after) { edges { node { id status } } pageInfo { hasNextPage endCursor } }
  products { edges { node { id title } } } } }"""
FEATURED = (
    """query($id: ID!) { product(id: $id) { featuredIn { edges { node { id creator { handle } } } } } }"""
)
UPDATE = f"""mutation($input: UpdatePostInput!) {{ updatePost(input: $input) {{
  post {{ {POST_FIELDS} }} userErrors {{ field code message }} }} }}"""
SIMPLE = """mutation($input: PostIdInput!) {{ {name}(input: $input) {{
  post {{ id likeCount viewerHasLiked viewerHasSaved saveCount }} userErrors {{ field code }} }} }}"""
DELETE = """mutation($input: PostIdInput!) { deletePost(input: $input) { deletedPostId userErrors { field code } } }"""


@dataclass
class World:
    merchant: dict[str, Any]
    merchant_owner: dict[str, Any]
    products: dict[str, dict[str, Any]]  # handle -> {id, skus: [ids]}
    creator: dict[str, Any]  # user: token, id, ...
    creator_profile: dict[str, Any]
    media: dict[str, Any]
    shopper: dict[str, Any]


async def make_world(gql: GraphQL, client: AsyncTestClient[Any]) -> World:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], handle="northwind")
    payload = await upsert(
        gql,
        owner["token"],
        merchant["id"],
        [
            product_input("jacket", skus=2),
            product_input("boots"),
            product_input("scarf"),
            product_input("prototype", status="DRAFT"),
        ],
    )
    assert payload["userErrors"] == []
    products = {
        p["handle"]: {"id": p["id"], "skus": [e["node"]["id"] for e in p["skus"]["edges"]]}
        for p in payload["products"]
    }
    creator = await sign_up(gql)
    profile = await become_creator(gql, creator["token"], "ana.style")
    media = await upload_media(gql, client, creator["token"])
    shopper = await sign_up(gql)
    return World(merchant, owner, products, creator, profile, media, shopper)


def tag(world: World, handle: str, x: float = 0.5, y: float = 0.5, **extra: Any) -> dict[str, Any]:
    return {"productId": world.products[handle]["id"], "mediaIndex": 0, "x": x, "y": y, **extra}


def codes(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["userErrors"]}


async def test_a_creator_publishes_a_tagged_photo_and_shoppers_shop_it(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    world = await make_world(gql, client)
    await become_creator(gql, world.shopper["token"], "bea")
    jacket_sku = world.products["jacket"]["skus"][1]
    created = await create_post(
        gql,
        world.creator["token"],
        caption="Rainy day fit #OOTD #rain, with @Bea and @nobody_here. #ootd again",
        mediaIds=[world.media["id"]],
        productTags=[
            tag(world, "jacket", 0.25, 0.4, skuId=jacket_sku),
            tag(world, "boots", 0.5, 0.9),
            tag(world, "scarf", 0.7, 0.2),
        ],
        disclosure={"kind": "PAID_PARTNERSHIP", "partnerId": world.merchant["id"]},
    )
    assert created["userErrors"] == []
    post = created["post"]
    assert (post["status"], post["publishedAt"]) == ("DRAFT", None)
    assert post["hashtags"] == ["ootd", "rain"]
    assert post["mentions"] == [{"handle": "bea"}]

    # A draft is its creator's alone.
    jacket = world.products["jacket"]["id"]
    for token in (world.shopper["token"], None):
        assert (await gql(POST, {"id": post["id"]}, token=token))["data"]["post"] is None
        nodes = await gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [post["id"]]}, token=token
        )
        assert nodes["data"]["nodes"] == [None]
        listed = await gql(CREATOR_POSTS, {"h": "ana.style"}, token=token)
        assert listed["data"]["creator"]["posts"]["edges"] == []
        assert (await gql(FEATURED, {"id": jacket}, token=token))["data"]["product"]["featuredIn"][
            "edges"
        ] == []
    own = await gql(CREATOR_POSTS, {"h": "ANA.style"}, token=world.creator["token"])
    assert [e["node"]["status"] for e in own["data"]["creator"]["posts"]["edges"]] == ["DRAFT"]

    published = await publish_post(gql, world.creator["token"], post["id"])
    assert published["status"] == "PUBLISHED" and published["publishedAt"]

    seen = (await gql(POST, {"id": post["id"]}, token=world.shopper["token"]))["data"]["post"]
    assert seen["creator"]["handle"] == "ana.style"
    assert [m["id"] for m in seen["media"]] == [world.media["id"]]
    tags = seen["productTags"]
    assert [t["product"]["title"] for t in tags] == ["Product jacket", "Product boots", "Product scarf"]
    assert [(t["mediaIndex"], t["x"], t["y"], t["timestampMs"]) for t in tags] == [
        (0, 0.25, 0.4, None),
        (0, 0.5, 0.9, None),
        (0, 0.7, 0.2, None),
    ]
    assert tags[0]["product"]["priceRange"]["minPrice"] == {"amount": "10.50", "currencyCode": "EUR"}
    assert tags[0]["product"]["availability"] == "IN_STOCK"
    assert tags[0]["sku"] == {
        "id": jacket_sku,
        "sku": "jacket-1",
        "price": {"amount": "11.50", "currencyCode": "EUR"},
        "availability": "IN_STOCK",
    }
    assert tags[1]["sku"] is None
    assert seen["disclosure"] == {  # Northwind has not confirmed: not named (see test_partnerships.py)
        "kind": "PAID_PARTNERSHIP",
        "label": "Paid partnership",
        "partnershipStatus": "PENDING",
        "partner": None,
    }
    featured = await gql(FEATURED, {"id": jacket})
    assert featured["data"]["product"]["featuredIn"]["edges"] == [
        {"node": {"id": post["id"], "creator": {"handle": "ana.style"}}}
    ]
    listed = (await gql(CREATOR_POSTS, {"h": "@ana.style"}))["data"]["creator"]
    assert [e["node"]["id"] for e in listed["posts"]["edges"]] == [post["id"]]
    assert {e["node"]["title"] for e in listed["products"]["edges"]} == {
        "Product jacket",
        "Product boots",
        "Product scarf",
    }
    assert (await publish_post(gql, world.creator["token"], post["id"]))["publishedAt"] == published[
        "publishedAt"
    ]


async def test_bad_posts_are_refused_with_paths_and_nothing_is_stored(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    world = await make_world(gql, client)
    media = [world.media["id"]]
    token = world.creator["token"]

    too_many = await create_post(
        gql, token, mediaIds=media, productTags=[tag(world, "boots", i / 40, 0.1) for i in range(21)]
    )
    assert codes(too_many) == {(("productTags",), "LIMIT_EXCEEDED")}

    scarf_sku = world.products["scarf"]["skus"][0]
    bad = await create_post(
        gql,
        token,
        caption="x" * 2201,
        mediaIds=media,
        productTags=[
            tag(world, "jacket", x=1.5),
            {"productId": world.products["boots"]["id"], "mediaIndex": 0, "x": 0.2},
            tag(world, "scarf") | {"mediaIndex": 3},
            tag(world, "prototype"),
            tag(world, "jacket", skuId=scarf_sku),
            tag(world, "jacket", 0.1, 0.1, skuId=encode_id("Sku", 999_999)),
            tag(world, "boots", 0.3, 0.3, timestampMs=100),
            tag(world, "boots") | {"productId": encode_id("Product", 999_999)},
        ],
        disclosure={"kind": "GIFTED"},
    )
    assert codes(bad) == {
        (("caption",), "TOO_LARGE"),
        (("productTags", "0", "x"), "INVALID"),
        (("productTags", "1", "y"), "REQUIRED"),
        (("productTags", "2", "mediaIndex"), "INVALID"),
        (("productTags", "3", "productId"), "NOT_FOUND"),  # a draft product does not exist for shoppers
        (("productTags", "4", "skuId"), "INVALID"),
        (("productTags", "5", "skuId"), "NOT_FOUND"),
        (("productTags", "6", "timestampMs"), "INVALID"),
        (("productTags", "7", "productId"), "NOT_FOUND"),
        (("disclosure", "partnerId"), "REQUIRED"),
    }
    assert bad["post"] is None

    # A malformed id, or the id of another type, is a mistake in the request: INVALID, on its field.
    boots = world.products["boots"]["id"]
    malformed: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        ({"mediaIds": [*media, "not-an-id"]}, ("mediaIds", "1")),
        (
            {
                "productTags": [
                    tag(world, "boots"),
                    tag(world, "jacket") | {"productId": world.merchant["id"]},
                ]
            },
            ("productTags", "1", "productId"),
        ),
        ({"productTags": [tag(world, "jacket", skuId="%%")]}, ("productTags", "0", "skuId")),
        ({"disclosure": {"kind": "GIFTED", "partnerId": boots}}, ("disclosure", "partnerId")),
        ({"caption": "a\x00b"}, ("caption",)),  # PostgreSQL cannot store NUL ("Unexpected error.")
    ]
    for fields, path in malformed:
        refused = await create_post(gql, token, **({"mediaIds": media} | fields))
        assert (codes(refused), refused["post"]) == ({(path, "INVALID")}, None), fields
    update = await gql(UPDATE, {"input": {"postId": boots, "caption": "x"}}, token=token)
    assert codes(update["data"]["updatePost"]) == {(("postId",), "INVALID")}

    crowded = await create_post(
        gql,
        token,
        mediaIds=media,
        productTags=[tag(world, "boots", 0.501 - i * 0.001, 0.3) for i in range(6)],
    )
    assert codes(crowded) == {(("productTags", "5"), "LIMIT_EXCEEDED")}

    stranger_media = await upload_media(gql, client, world.shopper["token"])
    cases = [
        ([stranger_media["id"]], {(("mediaIds", "0"), "NOT_FOUND")}),
        ([], {(("mediaIds",), "REQUIRED")}),
        ([world.media["id"]] * 11, {(("mediaIds",), "LIMIT_EXCEEDED")}),
        ([world.media["id"]] * 2, {(("mediaIds", "1"), "DUPLICATE")}),
    ]
    for media_ids, expected in cases:
        assert codes(await create_post(gql, token, mediaIds=media_ids)) == expected, media_ids
    not_creator = await create_post(gql, world.shopper["token"], mediaIds=[stranger_media["id"]])
    assert codes(not_creator) == {((), "FORBIDDEN")}
    anonymous = await create_post(gql, None, mediaIds=media)
    assert codes(anonymous) == {((), "UNAUTHENTICATED")}

    own = await gql(CREATOR_POSTS, {"h": "ana.style"}, token=token)
    assert own["data"]["creator"]["posts"]["edges"] == []  # nothing half-written


async def test_video_tags_are_placed_in_time(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    world = await make_world(gql, client)
    token = world.creator["token"]
    video = await upload_media(gql, client, token, make_mp4(10_000), "video/mp4", "clip.mp4")
    boots = world.products["boots"]["id"]
    beyond = await create_post(
        gql,
        token,
        mediaIds=[world.media["id"], video["id"]],
        productTags=[{"productId": boots, "mediaIndex": 1, "timestampMs": 10_001}],
    )
    assert codes(beyond) == {(("productTags", "0", "timestampMs"), "INVALID")}
    good = await create_post(
        gql,
        token,
        mediaIds=[world.media["id"], video["id"]],
        productTags=[
            {"productId": boots, "mediaIndex": 1, "timestampMs": 4_000},
            {"productId": boots, "mediaIndex": 1},
            tag(world, "scarf"),
        ],
    )
    assert good["userErrors"] == []
    assert [m["kind"] for m in good["post"]["media"]] == ["IMAGE", "VIDEO"]
    assert [(t["mediaIndex"], t["timestampMs"], t["x"]) for t in good["post"]["productTags"]] == [
        (1, 4_000, None),
        (1, None, None),
        (0, None, 0.5),
    ]


async def test_tags_follow_the_catalog_after_publication(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    world = await make_world(gql, client)
    jacket_sku = world.products["jacket"]["skus"][1]
    post = await create_post(
        gql,
        world.creator["token"],
        mediaIds=[world.media["id"]],
        productTags=[tag(world, "jacket", skuId=jacket_sku), tag(world, "boots", 0.2, 0.2)],
    )
    await publish_post(gql, world.creator["token"], post["post"]["id"])

    # Out of stock keeps its tag (shoppers see the availability); a dropped SKU leaves the product tag.
    sold_out = product_input("jacket", skus=1)
    sold_out["skus"][0]["quantity"] = 0
    assert (await upsert(gql, world.merchant_owner["token"], world.merchant["id"], [sold_out]))[
        "userErrors"
    ] == []
    seen = (await gql(POST, {"id": post["post"]["id"]}))["data"]["post"]["productTags"]
    assert [(t["product"]["title"], t["product"]["availability"], t["sku"]) for t in seen] == [
        ("Product jacket", "OUT_OF_STOCK", None),
        ("Product boots", "IN_STOCK", None),
    ]

    # An archived product's tag disappears for shoppers, and from the storefront.
    archive = (
        """mutation($i: SetProductStatusInput!) { setProductStatus(input: $i) { userErrors { code } } }"""
    )
    await gql(
        archive,
        {"i": {"productId": world.products["boots"]["id"], "status": "ARCHIVED"}},
        token=world.merchant_owner["token"],
    )
    seen = (await gql(POST, {"id": post["post"]["id"]}))["data"]["post"]["productTags"]
    assert [t["product"]["title"] for t in seen] == ["Product jacket"]
    store = (await gql(CREATOR_POSTS, {"h": "ana.style"}))["data"]["creator"]["products"]["edges"]
    assert [e["node"]["title"] for e in store] == ["Product jacket"]

    # Editing the caption of the published post keeps the archived product's tag standing...
    kept = await gql(
        UPDATE,
        {"input": {"postId": post["post"]["id"], "caption": "new words"}},
        token=world.creator["token"],
    )
    assert kept["data"]["updatePost"]["userErrors"] == []
    # ...but a new tag must be to an active product.
    tags = [tag(world, "jacket"), tag(world, "boots", 0.2, 0.2), tag(world, "prototype", 0.9, 0.9)]
    refused = await gql(
        UPDATE, {"input": {"postId": post["post"]["id"], "productTags": tags}}, token=world.creator["token"]
    )
    assert codes(refused["data"]["updatePost"]) == {(("productTags", "2", "productId"), "NOT_FOUND")}


async def test_editing_and_disclosure_rules(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    world = await make_world(gql, client)
    token = world.creator["token"]
    other_merchant = await create_merchant(gql, world.merchant_owner["token"], handle="lumen")
    created = await create_post(
        gql,
        token,
        caption="first",
        mediaIds=[world.media["id"]],
        productTags=[tag(world, "jacket")],
        disclosure={"kind": "AFFILIATE", "partnerId": world.merchant["id"]},
    )
    post_id = created["post"]["id"]
    assert created["post"]["disclosure"]["label"] == "Affiliate link"  # until Northwind confirms

    async def update(**changes: Any) -> dict[str, Any]:
        body = await gql(UPDATE, {"input": {"postId": post_id, **changes}}, token=token)
        return body["data"]["updatePost"]

    # A draft changes freely; omitted fields stay.
    draft = await update(caption="second #edit", disclosure=None)
    assert draft["userErrors"] == []
    assert (draft["post"]["caption"], draft["post"]["hashtags"], draft["post"]["disclosure"]) == (
        "second #edit",
        ["edit"],
        None,
    )
    assert [t["product"]["title"] for t in draft["post"]["productTags"]] == ["Product jacket"]
    draft = await update(
        disclosure={"kind": "AFFILIATE", "partnerId": world.merchant["id"]}, productTags=None
    )
    assert (draft["post"]["productTags"], draft["post"]["disclosure"]["kind"]) == ([], "AFFILIATE")

    await publish_post(gql, token, post_id)
    assert codes(await update(disclosure=None)) == {(("disclosure",), "CONFLICT")}
    assert codes(await update(disclosure={"kind": "GIFTED", "partnerId": world.merchant["id"]})) == {
        (("disclosure", "kind"), "CONFLICT")
    }
    assert codes(
        await update(disclosure={"kind": "PAID_PARTNERSHIP", "partnerId": other_merchant["id"]})
    ) == {(("disclosure", "partnerId"), "CONFLICT")}
    stronger = await update(disclosure={"kind": "PAID_PARTNERSHIP", "partnerId": world.merchant["id"]})
    assert stronger["post"]["disclosure"]["label"] == "Paid partnership"  # Northwind has not confirmed
    assert codes(await update(disclosure={"kind": "AFFILIATE", "partnerId": world.merchant["id"]})) == {
        (("disclosure", "kind"), "CONFLICT")
    }


async def test_only_the_creator_edits_publishes_and_deletes(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    world = await make_world(gql, client)
    token, stranger = world.creator["token"], world.shopper["token"]
    draft = (await create_post(gql, token, mediaIds=[world.media["id"]]))["post"]["id"]
    live = (await create_post(gql, token, mediaIds=[world.media["id"]], productTags=[tag(world, "jacket")]))[
        "post"
    ]["id"]
    await publish_post(gql, token, live)

    publish = """mutation($input: PostIdInput!) { publishPost(input: $input) { post { id } userErrors { field code } } }"""
    for post_id, expected in ((draft, "NOT_FOUND"), (live, "FORBIDDEN")):
        for query, name, extra in (
            (UPDATE, "updatePost", {"caption": "mine now"}),
            (publish, "publishPost", {}),
            (DELETE, "deletePost", {}),
        ):
            body = await gql(query, {"input": {"postId": post_id, **extra}}, token=stranger)
            assert codes(body["data"][name]) == {(("postId",), expected)}, (name, post_id)
    assert (await gql(POST, {"id": live}))["data"]["post"]["caption"] == ""

    deleted = await gql(DELETE, {"input": {"postId": live}}, token=token)
    assert deleted["data"]["deletePost"] == {"deletedPostId": live, "userErrors": []}
    for viewer in (token, stranger, None):
        assert (await gql(POST, {"id": live}, token=viewer))["data"]["post"] is None
    assert (await gql(FEATURED, {"id": world.products["jacket"]["id"]}))["data"]["product"]["featuredIn"][
        "edges"
    ] == []
    own = await gql(CREATOR_POSTS, {"h": "ana.style"}, token=token)
    assert [e["node"]["id"] for e in own["data"]["creator"]["posts"]["edges"]] == [draft]
    again = await gql(DELETE, {"input": {"postId": live}}, token=token)
    assert codes(again["data"]["deletePost"]) == {(("postId",), "NOT_FOUND")}


async def test_likes_and_saves_are_idempotent_and_private(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    world = await make_world(gql, client)
    token, shopper = world.creator["token"], world.shopper["token"]
    draft = (await create_post(gql, token, mediaIds=[world.media["id"]]))["post"]["id"]
    live = (await create_post(gql, token, mediaIds=[world.media["id"]]))["post"]["id"]
    await publish_post(gql, token, live)

    async def react(name: str, post_id: str, viewer: str | None) -> dict[str, Any]:
        body = await gql(SIMPLE.format(name=name), {"input": {"postId": post_id}}, token=viewer)
        return body["data"][name]

    for wrong in ("not-an-id", world.media["id"]):
        assert codes(await react("likePost", wrong, shopper)) == {(("postId",), "INVALID")}

    for _ in range(2):
        liked = await react("likePost", live, shopper)
        assert (liked["post"]["likeCount"], liked["post"]["viewerHasLiked"], liked["post"]["saveCount"]) == (
            1,
            True,
            None,  # only the creator sees how often a post was saved
        )
        saved = await react("savePost", live, shopper)
        assert (saved["post"]["viewerHasSaved"], saved["post"]["saveCount"]) == (True, None)
    creator_view = await gql(
        "query($id: ID!) { post(id: $id) { likeCount saveCount viewerHasLiked } }",
        {"id": live},
        token=token,
    )
    assert creator_view["data"]["post"] == {"likeCount": 1, "saveCount": 1, "viewerHasLiked": False}
    anonymous = await gql("query($id: ID!) { post(id: $id) { viewerHasLiked viewerHasSaved } }", {"id": live})
    assert anonymous["data"]["post"] == {"viewerHasLiked": False, "viewerHasSaved": False}
    saved_list = await gql("{ viewer { saved { edges { node { id } } } } }", token=shopper)
    assert saved_list["data"]["viewer"]["saved"]["edges"] == [{"node": {"id": live}}]

    assert codes(await react("likePost", draft, shopper)) == {(("postId",), "NOT_FOUND")}
    assert codes(await react("likePost", live, None)) == {((), "UNAUTHENTICATED")}
    for _ in range(2):
        unliked = await react("unlikePost", live, shopper)
        assert (unliked["post"]["likeCount"], unliked["post"]["viewerHasLiked"]) == (0, False)
        unsaved = await react("unsavePost", live, shopper)
        assert unsaved["post"]["viewerHasSaved"] is False
    assert (await gql("{ viewer { saved { edges { node { id } } } } }", token=shopper))["data"]["viewer"][
        "saved"
    ]["edges"] == []


async def test_creator_posts_page_by_keyset(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    world = await make_world(gql, client)
    token = world.creator["token"]
    ids = []
    for _ in range(5):
        post_id = (await create_post(gql, token, mediaIds=[world.media["id"]]))["post"]["id"]
        await publish_post(gql, token, post_id)
        ids.append(post_id)
    seen, after = [], None
    while True:
        page = (await gql(CREATOR_POSTS, {"h": "ana.style", "first": 2, "after": after}))["data"]["creator"][
            "posts"
        ]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids[::-1]  # newest first, each once
    wrong_list = await gql(
        "query($a: String) { products(after: $a) { edges { cursor } } }", {"a": after}, expect_errors=True
    )
    assert wrong_list["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
