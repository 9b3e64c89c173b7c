"""Data export and erasure completeness through the real app, on SQLite and PostgreSQL, with media on
local disk and in S3 (a moto server): everything that names a person is exported, and after
`deleteAccount` no row of any table holds their email, name or handle, and their files are gone."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from moto.server import ThreadedMotoServer
from sqlalchemy import JSON, String, Text, select

from shoppable.api.app import create_app
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.media_s3 import default_s3_client
from shoppable.storage.privacy import RULES
from shoppable.storage.tables import metadata
from tests.factories import (
    CREATE_POST,
    PUBLISH_POST,
    become_creator,
    create_api_key,
    create_merchant,
    product_input,
    upload_media,
    upsert,
)
from tests.graphql.trust_helpers import PASSWORD, call, signed_up, status_of

EMAIL = "zephyrine.quill@example.com"
NAME = "Zephyrine Quillfeather"
HANDLE = "zephyquill"
EXPORT = "mutation { requestDataExport { export { id status url expiresAt } data userErrors { code } } }"
DELETE = (
    "mutation($i: DeleteAccountInput!) { deleteAccount(input: $i) { deleted userErrors { field code } } }"
)


async def person_with_everything(client: AsyncTestClient[Any]) -> dict[str, Any]:
    """One shopper who is also a creator and a merchant's owner, with a row in every personal table."""

    async def gql(
        query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        return await call(client, query, variables, token=token, headers={"X-Device-Id": "zq-phone"})

    other = await signed_up(client, "someone.else@example.com")
    other_creator = await become_creator(gql, other["token"], "another_creator")
    merchant = await create_merchant(gql, other["token"], "north-shop")
    product = (await upsert(gql, other["token"], merchant["id"], [product_input("boots")]))["products"][0]
    other_post = (await gql(CREATE_POST, {"input": {"caption": "hello", "mediaIds": [
        (await upload_media(gql, client, other["token"]))["id"]]}}, token=other["token"]))["data"]["createPost"]["post"]  # fmt: skip
    await publish_post_ok(gql, other["token"], other_post["id"])

    await call(client, "mutation($i: TrackEventsInput!) { trackEvents(input: $i) { accepted } }",
               {"i": {"events": [{"eventId": "before-1", "type": "VIEW", "subjectId": product["id"],
                                  "occurredAt": datetime.now(UTC).isoformat()}]}}, headers={"X-Device-Id": "zq-phone"})  # fmt: skip
    me = await signed_up(client, EMAIL, headers={"X-Device-Id": "zq-phone"}, displayName=NAME,
                         consent={"analytics": True, "personalization": True, "marketing": True})  # fmt: skip
    token = me["token"]
    avatar = await upload_media(gql, client, token)
    my_creator = await become_creator(
        gql, token, HANDLE, displayName=NAME, bio=f"I am {NAME}", avatarMediaId=avatar["id"]
    )
    follow = "mutation($i: FollowInput!) { follow(input: $i) { userErrors { code } } }"
    await gql(follow, {"i": {"creatorId": my_creator["id"]}}, token=other["token"])
    photo = await upload_media(gql, client, token)
    post = (await gql(CREATE_POST, {"input": {"caption": f"{NAME} in boots #{HANDLE}", "mediaIds": [photo["id"]],
        "productTags": [{"productId": product["id"], "mediaIndex": 0, "x": 0.5, "y": 0.5}]}}, token=token))["data"]["createPost"]["post"]  # fmt: skip
    await publish_post_ok(gql, token, post["id"])
    for mutation in ("likePost", "savePost"):
        for post_id in (post["id"], other_post["id"]):
            await gql(
                f"mutation($i: PostIdInput!) {{ {mutation}(input: $i) {{ userErrors {{ code }} }} }}",
                {"i": {"postId": post_id}},
                token=token,
            )
    await gql(
        "mutation($i: FollowInput!) { follow(input: $i) { userErrors { code } } }",
        {"i": {"creatorId": other_creator["id"]}},
        token=token,
    )
    await gql(
        "mutation($i: LikePostInput!) { likePost(input: $i) { userErrors { code } } }".replace(
            "LikePostInput", "PostIdInput"
        ),
        {"i": {"postId": post["id"]}},
        token=other["token"],
    )
    await gql(
        "mutation($i: HideFromFeedInput!) { hideFromFeed(input: $i) { hidden } }",
        {"i": {"subjectId": other_creator["id"]}},
        token=token,
    )
    await gql("mutation($i: ReportPostInput!) { reportPost(input: $i) { userErrors { code } } }",
              {"i": {"postId": other_post["id"], "reason": "SPAM", "details": f"reported by {NAME}"}}, token=token)  # fmt: skip
    await gql("mutation($i: ReportPostInput!) { reportPost(input: $i) { userErrors { code } } }",
              {"i": {"postId": post["id"], "reason": "SPAM", "details": f"{HANDLE} spams"}}, token=other["token"])  # fmt: skip
    await gql("mutation($i: TrackEventsInput!) { trackEvents(input: $i) { accepted } }",
              {"i": {"events": [{"eventId": "after-1", "type": "CLICK", "subjectId": product["id"],
                                 "occurredAt": datetime.now(UTC).isoformat()}]}}, token=token)  # fmt: skip
    await gql("query { feed(first: 5) { edges { cursor } } }", token=token)
    # Someone else's feed session shows the post "because you follow @handle".
    following = await gql(
        "query { feed(first: 5, mode: FOLLOWING) { edges { reasons { text } } } }", token=other["token"]
    )
    assert HANDLE in json.dumps(following), following
    mine = await create_merchant(gql, token, "zq-studio-shop")
    await create_api_key(gql, token, mine["id"])
    await gql(
        "mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) { accepted } }",
        {"i": {"email": EMAIL}},
    )
    await gql(
        "mutation($i: ConsentInput!) { updateConsent(input: $i) { userErrors { code } } }",
        {"i": {"marketing": False}},
        token=token,
    )
    # Commerce: someone buys from the person's post (the person earns), the person buys and keeps a cart.
    boots = product["skus"]["edges"][1]["node"]["id"]
    add = "mutation($i: CartAddLinesInput!) { cartAddLines(input: $i) { cart { id } userErrors { code } } }"
    pay = "mutation($i: CheckoutCompleteInput!) { checkoutComplete(input: $i) { orders { id } userErrors { code } } }"
    for buyer, post_id in ((other["token"], post["id"]), (token, None)):
        line = {"skuId": boots, "quantity": 1, **({"postId": post_id} if post_id else {})}
        cart = (await gql(add, {"i": {"lines": [line]}}, token=buyer))["data"]["cartAddLines"]["cart"]
        paid = await gql(
            pay,
            {"i": {"cartId": cart["id"], "idempotencyKey": f"k-{post_id}", "payment": {"token": "tok_visa"}}},
            token=buyer,
        )
        assert paid["data"]["checkoutComplete"]["userErrors"] == [], paid
    await gql(add, {"i": {"lines": [{"skuId": boots, "quantity": 2}]}}, token=token)
    return {"token": token, "refresh": me["refreshToken"], "other": other, "post": post, "photo": photo}


async def publish_post_ok(gql: Any, token: str, post_id: str) -> None:
    body = await gql(PUBLISH_POST, {"input": {"postId": post_id}}, token=token)
    assert body["data"]["publishPost"]["userErrors"] == [], body


async def all_text(database: Database) -> dict[str, list[str]]:
    """Every text and JSON value in every table, as text."""
    found: dict[str, list[str]] = {}
    async with database.engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, String | Text | JSON) or "JSON" in type(c.type).__name__
            ]
            if not columns:
                continue
            for row in await conn.execute(select(*columns)):
                found.setdefault(table.name, []).extend(
                    value if isinstance(value, str) else json.dumps(value)
                    for value in row
                    if value is not None
                )
    return found


def naming_the_person(texts: dict[str, list[str]]) -> dict[str, list[str]]:
    needles = (EMAIL, NAME.lower(), HANDLE, "zephyrine")
    return {
        table: [v for v in values if any(n in v.lower() for n in needles)]
        for table, values in texts.items()
        if any(any(n in v.lower() for n in needles) for v in values)
    }


async def check_export(client: AsyncTestClient[Any], token: str) -> dict[str, Any]:
    payload = (await call(client, EXPORT, token=token))["data"]["requestDataExport"]
    assert payload["userErrors"] == [] and payload["export"]["status"] == "PENDING"
    document = payload["data"]
    assert set(document["tables"]) == {rule.table for rule in RULES}
    tables = document["tables"]
    for name in ("users", "auth_sessions", "refresh_tokens", "consent_changes", "events", "likes", "saves",
                 "follows", "feed_hides", "feed_sessions", "feed_served", "posts", "post_media", "product_tags",
                 "media", "media_renditions", "uploads", "creators", "merchant_members", "api_keys",
                 "post_reports", "password_resets", "outbox_emails", "data_exports", "audit_log",
                 "carts", "cart_lines", "checkouts", "checkout_lines", "orders", "order_lines", "payments",
                 "commissions"):  # fmt: skip
        assert tables[name], f"nothing exported from {name}"
    assert document["account"]["email"] == EMAIL and document["account"]["display_name"] == NAME
    assert {e["event_id"] for e in tables["events"]} == {"before-1", "after-1", "#order-line-2"}
    assert all(row["url"].startswith("http") for row in tables["media"])
    assert [c["source"] for c in tables["consent_changes"]] == ["SIGN_UP", "USER"]
    text = json.dumps(document)
    for secret in ("password_hash", "token_hash", "key_hash", "download_hash", "argon2"):
        assert secret not in text, secret
    # The link works for its holder once the job has written the file; not with another token.
    url = payload["export"]["url"]
    downloaded = await download(client, url)
    assert downloaded.status_code == 200, downloaded.text
    assert json.loads(downloaded.content)["tables"]["users"][0]["email"] == EMAIL
    forged = url.split("token=")[0] + "token=" + "A" * 43
    assert (await client.get(forged.replace("http://testserver.local", ""))).status_code == 404
    return payload


async def download(client: AsyncTestClient[Any], url: str) -> Any:
    """The link answers 202 while the job writes the file (in-process, on the app's loop)."""
    for _ in range(200):
        response = await client.get(url.replace("http://testserver.local", ""))
        if response.status_code != 202:
            return response
        await asyncio.sleep(0.05)
    raise AssertionError("the export was never written")


async def erase_and_check(
    client: AsyncTestClient[Any], database: Database, person: dict[str, Any], files: Any
) -> None:
    before = files()
    assert any(k.startswith("media/") for k in before) and any(k.startswith("exports/") for k in before)
    wrong = (await call(client, DELETE, {"i": {"password": "not my password"}}, token=person["token"]))[
        "data"
    ]["deleteAccount"]
    assert wrong == {"deleted": False, "userErrors": [{"field": ["password"], "code": "UNAUTHENTICATED"}]}
    stranger = (await call(client, DELETE, {"i": {"password": PASSWORD}}))["data"]["deleteAccount"]
    assert stranger["userErrors"][0]["code"] == "UNAUTHENTICATED"
    found_before = naming_the_person(await all_text(database))
    assert {"users", "creators", "posts", "feed_served", "post_reports"} <= set(
        found_before
    )  # the scan finds them
    deleted = (await call(client, DELETE, {"i": {"password": PASSWORD}}, token=person["token"]))["data"][
        "deleteAccount"
    ]
    assert deleted == {"deleted": True, "userErrors": []}
    assert naming_the_person(await all_text(database)) == {}
    left = files()
    other_media = {k for k in before if k.startswith("media/")} - {k for k in left if k.startswith("media/")}
    assert other_media, "the person's media files are still there"
    assert not any(k.startswith("exports/") for k in left)
    assert await status_of(client, person["token"]) == 401
    refreshed = await call(
        client,
        "mutation($i: RefreshTokenInput!) { refreshToken(input: $i) { token userErrors { code } } }",
        {"i": {"refreshToken": person["refresh"]}},
    )
    assert refreshed["data"]["refreshToken"]["token"] is None
    login = await call(
        client,
        "mutation($i: LogInInput!) { logIn(input: $i) { token userErrors { code } } }",
        {"i": {"email": EMAIL, "password": PASSWORD}},
    )
    assert login["data"]["logIn"]["token"] is None
    # The other person's things are intact, and the email is free for a new account.
    assert await status_of(client, person["other"]["token"]) == 200
    again = await signed_up(client, EMAIL)
    assert again["token"]


def local_files(root: Path) -> Any:
    def listing() -> list[str]:
        return (
            sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
            if root.exists()
            else []
        )

    return listing


async def test_export_has_everything_and_erasure_leaves_nothing_local_disk(
    client: AsyncTestClient[Any], database: Database, settings: Settings
) -> None:
    person = await person_with_everything(client)
    await check_export(client, person["token"])
    await erase_and_check(client, database, person, local_files(settings.media_dir))


async def test_someone_elses_export_link_and_anonymous_export_are_refused(
    client: AsyncTestClient[Any],
) -> None:
    ana = await signed_up(client, "ana.export@example.com")
    bob = await signed_up(client, "bob.export@example.com")
    payload = (await call(client, EXPORT, token=ana["token"]))["data"]["requestDataExport"]
    other = (await call(client, EXPORT, token=bob["token"]))["data"]["requestDataExport"]
    assert (await download(client, payload["export"]["url"])).status_code == 200
    # Bob's token does not open Ana's export, whatever id he puts in the link.
    crossed = (
        payload["export"]["url"].split("token=")[0] + "token=" + other["export"]["url"].split("token=")[1]
    )
    assert (await client.get(crossed.replace("http://testserver.local", ""))).status_code == 404
    anonymous = await call(client, EXPORT)
    assert anonymous["data"]["requestDataExport"]["userErrors"] == [{"code": "UNAUTHENTICATED"}]


# -- S3 (moto over HTTP) ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SECURITY_TOKEN": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            env.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
async def s3_client(settings: Settings, s3_endpoint: str) -> AsyncIterator[AsyncTestClient[Any]]:
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    default_s3_client(s3_endpoint, "us-east-1").create_bucket(Bucket=bucket)
    app = create_app(settings.model_copy(update={"s3_bucket": bucket, "s3_endpoint_url": s3_endpoint}))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


async def test_erasure_deletes_the_persons_objects_from_s3(
    s3_client: AsyncTestClient[Any], database: Database
) -> None:
    store = s3_client.app.state.services.media

    def bucket_keys() -> list[str]:
        listed = store.client.list_objects_v2(Bucket=store.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    person = await person_with_everything(s3_client)
    await check_export(s3_client, person["token"])
    await erase_and_check(s3_client, database, person, bucket_keys)
