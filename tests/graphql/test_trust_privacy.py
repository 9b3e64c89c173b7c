"""Privacy through the real app, on SQLite and PostgreSQL: the device-to-account merge, consent
history with GPC, analytics off, the recommendation profile, data export and erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from shoppable.domain.identity.service import create_admin
from shoppable.graphql.core.ids import encode_id
from shoppable.storage.db import Database
from shoppable.storage.tables import EventRow
from tests.feed_world import World
from tests.graphql.trust_helpers import PASSWORD, call, logged_in, signed_up

TRACK = "mutation($i: TrackEventsInput!) { trackEvents(input: $i) { accepted duplicates userErrors { field code } } }"
HIDE = "mutation($i: HideFromFeedInput!) { hideFromFeed(input: $i) { hidden userErrors { code } } }"
FEED = "query { feed(first: 3) { edges { cursor } pageInfo { endCursor } } }"
CONSENT = """mutation($i: ConsentInput!) { updateConsent(input: $i) {
  consent { personalization analytics marketing globalPrivacyControl } userErrors { field code } } }"""
HISTORY = """{ viewer { consent { marketing globalPrivacyControl } consentHistory(first: 10) { edges { node {
  source channel policyVersion personalization analytics marketing globalPrivacyControl changedAt } } } } }"""
EXPORT = "mutation { requestDataExport { export { id status url expiresAt } data userErrors { code } } }"
DELETE = (
    "mutation($i: DeleteAccountInput!) { deleteAccount(input: $i) { deleted userErrors { field code } } }"
)
PROFILE = """{ viewer { recommendationProfile { personalized topCategories topCreators { handle } priceBand
  basedOnEvents modelVersion forgottenBefore } } }"""


def view(event_id: str, subject: str, kind: str = "VIEW") -> dict[str, Any]:
    return {
        "eventId": event_id,
        "type": kind,
        "subjectId": subject,
        "occurredAt": datetime.now(UTC).isoformat(),
    }


async def export_of(client: AsyncTestClient[Any], token: str) -> dict[str, Any]:
    body = await call(client, EXPORT, token=token)
    payload = body["data"]["requestDataExport"]
    assert payload["userErrors"] == [] and payload["data"] is not None
    document: dict[str, Any] = payload["data"]
    return document


async def stored_events(database: Database) -> list[Any]:
    table = EventRow.__table__  # type: ignore[attr-defined]
    async with database.engine.connect() as conn:
        return list((await conn.execute(select(table).order_by(table.c.id))).all())


# -- one customer across channels -------------------------------------------------------------------


async def test_a_devices_events_hides_and_feed_session_join_the_account_once(
    client: AsyncTestClient[Any], database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=6)
    first, hidden = (encode_id("Product", pk) for pk in world.product_ids[:2])
    device = {"X-Device-Id": "device-7f3a", "X-Channel": "APP"}
    tracked = await call(client, TRACK, {"i": {"events": [view("ev-1", first)]}}, headers=device)
    assert tracked["data"]["trackEvents"]["accepted"] == 1
    assert (await call(client, HIDE, {"i": {"subjectId": hidden}}, headers=device))["data"]["hideFromFeed"][
        "hidden"
    ]
    await call(client, FEED, headers=device)
    ana = await signed_up(
        client, "merge@example.com", headers=device, consent={"analytics": True, "personalization": True}
    )
    document = await export_of(client, ana["token"])
    tables = document["tables"]
    assert [(e["event_id"], e["device_id"]) for e in tables["events"]] == [("ev-1", None)]
    assert [(h["subject_type"], h["subject_id"]) for h in tables["feed_hides"]] == [
        ("Product", world.product_ids[1])
    ]
    assert len(tables["feed_sessions"]) == 1 and tables["feed_sessions"][0]["served"] >= 1
    # The same event sent again by the app, now signed in, is a duplicate, not a second view.
    again = await call(
        client, TRACK, {"i": {"events": [view("ev-1", first)]}}, token=ana["token"], headers=device
    )
    assert again["data"]["trackEvents"] == {"accepted": 0, "duplicates": 1, "userErrors": []}
    # Logging in again on the same device moves nothing twice; a new anonymous event joins too.
    await call(client, TRACK, {"i": {"events": [view("ev-2", first), view("ev-1", first)]}}, headers=device)
    await logged_in(client, "merge@example.com", headers=device)
    await logged_in(client, "merge@example.com", headers=device)
    mine = [(e.event_id, e.actor_key, e.device_id) for e in await stored_events(database)]
    user_key = f"u:{tables['users'][0]['id']}"
    assert sorted(mine) == [("ev-1", user_key, None), ("ev-2", user_key, None)]
    # The hide now applies on every channel: the web, signed in, never shows the product.
    seen = await call(
        client, "query { feed(first: 50) { edges { node { ... on Product { id } } } } }", token=ana["token"]
    )
    assert hidden not in {e["node"].get("id") for e in seen["data"]["feed"]["edges"]}


async def test_without_analytics_consent_a_devices_events_are_deleted_not_joined(
    client: AsyncTestClient[Any], database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=2)
    device = {"X-Device-Id": "device-no-analytics"}
    await call(
        client,
        TRACK,
        {"i": {"events": [view("ev-9", encode_id("Product", world.product_ids[0]))]}},
        headers=device,
    )
    assert len(await stored_events(database)) == 1
    await signed_up(client, "private@example.com", headers=device)
    assert await stored_events(database) == []


# -- consent ------------------------------------------------------------------------------------------


async def test_consent_history_records_sign_up_user_and_gpc_changes(client: AsyncTestClient[Any]) -> None:
    gpc = {"Sec-GPC": "1", "X-Channel": "WEB"}
    ana = await signed_up(
        client, "gpc@example.com", headers=gpc, consent={"marketing": True, "personalization": True}
    )
    history = (await call(client, HISTORY, token=ana["token"]))["data"]["viewer"]
    assert history["consent"] == {"marketing": False, "globalPrivacyControl": True}  # GPC wins at sign-up
    (signup,) = [e["node"] for e in history["consentHistory"]["edges"]]
    assert (signup["source"], signup["channel"], signup["personalization"], signup["marketing"]) == (
        "SIGN_UP",
        "WEB",
        True,
        False,
    )
    refused = await call(client, CONSENT, {"i": {"marketing": True}}, token=ana["token"], headers=gpc)
    assert refused["data"]["updateConsent"]["userErrors"] == [{"field": ["marketing"], "code": "CONFLICT"}]
    # From the app (no GPC) the person opts in to marketing; the browser's next request opts out again.
    app = {"X-Channel": "APP"}
    opted = await call(client, CONSENT, {"i": {"marketing": True}}, token=ana["token"], headers=app)
    assert opted["data"]["updateConsent"]["consent"] == {
        "personalization": True,
        "analytics": False,
        "marketing": True,
        "globalPrivacyControl": False,
    }
    await call(client, "{ viewer { email } }", token=ana["token"], headers=gpc)
    await call(
        client, "{ viewer { email } }", token=ana["token"], headers=gpc
    )  # recorded once, not per request
    history = (await call(client, HISTORY, token=ana["token"]))["data"]["viewer"]
    assert history["consent"] == {"marketing": False, "globalPrivacyControl": True}
    assert [
        (e["node"]["source"], e["node"]["channel"], e["node"]["marketing"])
        for e in history["consentHistory"]["edges"]
    ] == [
        ("GPC", "WEB", False),
        ("USER", "APP", True),
        ("SIGN_UP", "WEB", False),
    ]
    assert all(
        e["node"]["policyVersion"] and e["node"]["changedAt"] for e in history["consentHistory"]["edges"]
    )
    statement = await client.get("/.well-known/gpc.json")
    assert statement.status_code == 200 and statement.json()["gpc"] is True


async def test_analytics_off_deletes_stored_events_and_stores_no_more(
    client: AsyncTestClient[Any], database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=2)
    product = encode_id("Product", world.product_ids[0])
    ana = await signed_up(client, "analytics@example.com", consent={"analytics": True})
    assert (await call(client, TRACK, {"i": {"events": [view("a-1", product)]}}, token=ana["token"]))["data"][
        "trackEvents"
    ]["accepted"] == 1
    await call(client, CONSENT, {"i": {"analytics": False}}, token=ana["token"])
    assert await stored_events(database) == []
    later = await call(client, TRACK, {"i": {"events": [view("a-2", product)]}}, token=ana["token"])
    assert later["data"]["trackEvents"]["accepted"] == 0 and await stored_events(database) == []


# -- the recommendation profile -------------------------------------------------------------------------


async def test_recommendation_profile_says_what_is_used_and_reset_forgets_it(
    client: AsyncTestClient[Any], database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=6)  # categories cycle Shoes, Bags, Knitwear
    creator = (await world.creators(1))[0]
    post = (await world.posts(creator, 1))[0]
    ana = await signed_up(client, "profile@example.com", consent={"analytics": True, "personalization": True})
    shoes = [encode_id("Product", world.product_ids[i]) for i in (0, 3)]
    events = [
        view(f"p-{i}", subject)
        for i, subject in enumerate([*shoes, shoes[0], encode_id("Product", world.product_ids[1])])
    ]
    assert (await call(client, TRACK, {"i": {"events": events}}, token=ana["token"]))["data"]["trackEvents"][
        "accepted"
    ] == 4
    await call(
        client,
        "mutation($i: PostIdInput!) { likePost(input: $i) { userErrors { code } } }",
        {"i": {"postId": encode_id("Post", post)}},
        token=ana["token"],
    )
    profile = (await call(client, PROFILE, token=ana["token"]))["data"]["viewer"]["recommendationProfile"]
    assert profile["personalized"] is True and profile["basedOnEvents"] == 4
    assert profile["topCategories"] == ["Shoes", "Bags"]
    assert profile["topCreators"] == [{"handle": world.creator_handles[creator]}]
    assert (
        profile["priceBand"] and profile["priceBand"].endswith("EUR") and profile["forgottenBefore"] is None
    )
    reset = await call(
        client,
        "mutation { resetRecommendationProfile { recommendationProfile { basedOnEvents topCategories topCreators { handle } forgottenBefore } userErrors { code } } }",
        token=ana["token"],
    )
    after = reset["data"]["resetRecommendationProfile"]["recommendationProfile"]
    assert after["basedOnEvents"] == 0 and after["topCategories"] == [] and after["topCreators"] == []
    assert after["forgottenBefore"]
    info = (
        await call(
            client, "{ recommenderInfo { summary mainParameters { name description } options { name } } }"
        )
    )["data"]["recommenderInfo"]
    assert (
        info["summary"]
        and len(info["mainParameters"]) >= 5
        and "NON_PERSONALIZED" in {o["name"] for o in info["options"]}
    )
    anonymous = await call(client, "mutation { resetRecommendationProfile { userErrors { code } } }")
    assert anonymous["data"]["resetRecommendationProfile"]["userErrors"] == [{"code": "UNAUTHENTICATED"}]


async def test_every_channel_sees_the_same_hidden_and_liked_items(
    client: AsyncTestClient[Any], database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=2)
    creator = (await world.creators(1))[0]
    post = encode_id("Post", (await world.posts(creator, 1))[0])
    product = encode_id("Product", world.product_ids[0])
    watch = {"X-Device-Id": "watch-1", "X-Channel": "WATCH"}
    await call(client, HIDE, {"i": {"subjectId": product}}, headers=watch)  # before signing in on the watch
    ana = await signed_up(client, "channels@example.com", headers=watch)
    await call(
        client,
        "mutation($i: PostIdInput!) { likePost(input: $i) { userErrors { code } } }",
        {"i": {"postId": post}},
        token=ana["token"],
        headers=watch,
    )
    web = await logged_in(client, "channels@example.com", headers={"X-Channel": "WEB"})
    seen = await call(
        client,
        "{ viewer { hidden { edges { node { subjectId subjectType hiddenAt } } } liked { edges { node { id } } } } }",
        token=web["token"],
    )
    viewer = seen["data"]["viewer"]
    assert [(e["node"]["subjectId"], e["node"]["subjectType"]) for e in viewer["hidden"]["edges"]] == [
        (product, "Product")
    ]
    assert [e["node"]["id"] for e in viewer["liked"]["edges"]] == [post]


async def test_the_audit_log_records_admin_decisions_for_admins_only(
    client: AsyncTestClient[Any], database: Database
) -> None:
    async with database.unit_of_work(write=True) as uow:
        await create_admin(uow, "root@example.com", PASSWORD)
    admin = await logged_in(client, "root@example.com")
    owner = await signed_up(client, "owner.audit@example.com")
    merchant = (
        await call(
            client,
            'mutation { createMerchant(input: {handle: "audited", name: "Audited"}) { merchant { id } } }',
            token=owner["token"],
        )
    )["data"]["createMerchant"]["merchant"]
    key = await call(
        client,
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }",
        {"i": {"merchantId": merchant["id"]}},
        token=owner["token"],
    )
    key_id = key["data"]["createApiKey"]["apiKey"]["id"]
    settings_changed = await call(
        client,
        "mutation($i: UpdateMerchantInput!) { updateMerchant(input: $i) { userErrors { code } } }",
        {"i": {"merchantId": merchant["id"], "commissionRate": "0.12", "returnWindowDays": 14}},
        token=owner["token"],
    )
    assert settings_changed["data"]["updateMerchant"]["userErrors"] == []
    await call(
        client,
        "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { userErrors { code } } }",
        {"i": {"apiKeyId": key_id}},
        token=owner["token"],
    )
    world = World(database)
    creator = (await world.creators(1))[0]
    post = encode_id("Post", (await world.posts(creator, 1))[0])
    removed = await call(client, "mutation($i: RemovePostInput!) { removePost(input: $i) { userErrors { code } } }",
                         {"i": {"postId": post, "reason": "SPAM", "statement": "Spam links."}}, token=admin["token"])  # fmt: skip
    assert removed["data"]["removePost"]["userErrors"] == []
    log = "query($a: String) { auditLog(first: 10, action: $a) { edges { node { action subjectType subjectId actorUserId details createdAt } } } }"
    entries = [
        e["node"] for e in (await call(client, log, token=admin["token"]))["data"]["auditLog"]["edges"]
    ]
    assert [e["action"] for e in entries] == [
        "post.removed",
        "api_key.revoked",
        "merchant.updated",
        "api_key.created",
        "merchant.created",
        "admin.created",
    ]
    assert entries[0]["subjectId"] == post and entries[0]["actorUserId"] == admin["user"]["id"]
    assert entries[1]["subjectId"] == key_id and entries[1]["actorUserId"] == owner["user"]["id"]
    assert entries[2]["subjectId"] == merchant["id"]
    assert entries[2]["details"] == {"changed": ["commission_rate_bps", "return_window_days"]}
    assert entries[-1]["actorUserId"] is None  # created by the operator's CLI
    only = (await call(client, log, {"a": "merchant.created"}, token=admin["token"]))["data"]["auditLog"][
        "edges"
    ]
    assert [e["node"]["subjectId"] for e in only] == [merchant["id"]]
    assert (await call(client, log, token=owner["token"]))["data"]["auditLog"] is None
    assert (await call(client, log))["data"]["auditLog"] is None
