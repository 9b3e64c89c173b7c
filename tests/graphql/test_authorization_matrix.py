"""Who may call every root field of the GraphQL schema, checked through the real app.

`RULES` lists every Query and Mutation field of the live schema with its access rule; a field added
without an entry fails `test_every_root_field_has_an_access_rule`, so nobody forgets to decide. Every
field whose rule names an owner or admins has a case in `CASES`, run as anonymous, a stranger, a
member of another shop and another shop's API key (all refused, the target unchanged when read back
by its owner), then as the owner (allowed). Signed-in-only fields are called anonymously (refused).
Private node types resolve to null for strangers through `node` and `nodes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from shoppable.graphql.core.node import _resolvers
from shoppable.graphql.schema import build_schema
from shoppable.settings import Settings
from shoppable.storage.db import Database
from tests.authz_world import World, make_world
from tests.conftest import GraphQL
from tests.factories import become_creator, upload_media


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No background webhook delivery: a retry on its own schedule would change the deliveries this
    test reads back to prove that a refused caller changed nothing."""
    return settings.model_copy(update={"webhooks_in_process": False})


PUBLIC = "PUBLIC"  # anyone, anonymous included; private rows filtered per viewer
SELF = "SELF"  # acts on the caller's own data only (user, or the X-Device-Id device); no target id
SIGNED_IN = "SIGNED_IN"  # a person; acts on their own data only
TOKEN = "TOKEN_HOLDER"  # whoever holds a secret token (refresh token, reset link)
ADMIN = "ADMIN"


def owner_of(what: str) -> str:
    return f"OWNER_OF({what})"


RULES: dict[str, dict[str, str]] = {
    "Query": {
        "node": PUBLIC,  # per type: see test_private_nodes_are_null_for_strangers
        "nodes": PUBLIC,
        "viewer": SELF,
        "recommenderInfo": PUBLIC,
        "auditLog": ADMIN,
        "merchant": PUBLIC,  # settings, orders, keys, imports, webhooks: see MERCHANT_PRIVATE
        "product": PUBLIC,
        "products": PUBLIC,
        "catalogImport": owner_of("merchant"),
        "creator": PUBLIC,
        "post": PUBLIC,
        "creators": PUBLIC,
        "posts": PUBLIC,
        "feed": PUBLIC,
        "cart": SELF,
        "webhookEndpoint": owner_of("merchant"),
        "webhookDelivery": owner_of("merchant"),
        "visualSearch": PUBLIC,  # a search upload is usable by its maker only (tests/graphql/test_vision_search.py)
        "experiments": ADMIN,
        "experiment": ADMIN,
    },
    "Mutation": {
        "signUp": PUBLIC,
        "logIn": PUBLIC,
        "refreshToken": TOKEN,
        "logOut": SIGNED_IN,
        "revokeSession": owner_of("session"),
        "changePassword": SIGNED_IN,
        "requestPasswordReset": PUBLIC,
        "resetPassword": TOKEN,
        "updateConsent": SELF,
        "resetRecommendationProfile": SELF,
        "requestDataExport": SIGNED_IN,
        "deleteAccount": SIGNED_IN,
        "createMerchant": SIGNED_IN,
        "createApiKey": owner_of("merchant (people)"),
        "revokeApiKey": owner_of("merchant (people)"),
        "upsertProducts": owner_of("merchant"),
        "setProductStatus": owner_of("merchant"),
        "cancelCatalogImport": owner_of("merchant"),
        "becomeCreator": SIGNED_IN,
        "follow": SIGNED_IN,
        "unfollow": SIGNED_IN,
        "createUpload": SIGNED_IN,
        "completeUpload": owner_of("upload"),
        "createPost": SIGNED_IN,
        "updatePost": owner_of("post"),
        "publishPost": owner_of("post"),
        "confirmPartnership": owner_of("partner merchant (people)"),
        "declinePartnership": owner_of("partner merchant (people)"),
        "deletePost": owner_of("post"),
        "likePost": SIGNED_IN,
        "unlikePost": SIGNED_IN,
        "savePost": SIGNED_IN,
        "unsavePost": SIGNED_IN,
        "reportPost": SIGNED_IN,
        "removePost": ADMIN,
        "restorePost": ADMIN,
        "trackEvents": SELF,
        "hideFromFeed": SELF,
        "unhideFromFeed": SELF,
        "cartAddLines": SELF,
        "cartUpdateLines": owner_of("cart"),
        "cartRemoveLines": owner_of("cart"),
        "checkoutCreate": owner_of("cart"),
        "checkoutComplete": owner_of("cart/checkout"),
        "updateMerchant": owner_of("merchant"),
        "orderFulfill": owner_of("order's merchant"),
        "orderCancel": owner_of("order's merchant"),
        "orderRefund": owner_of("order's merchant"),
        "createWebhookEndpoint": owner_of("merchant"),
        "updateWebhookEndpoint": owner_of("merchant"),
        "rotateWebhookSecret": owner_of("merchant"),
        "deleteWebhookEndpoint": owner_of("merchant"),
        "redeliverWebhook": owner_of("merchant"),
        "sendTestWebhook": owner_of("merchant"),
        "createSearchUpload": PUBLIC,
        "createExperiment": ADMIN,
        "startExperiment": ADMIN,
        "stopExperiment": ADMIN,
    },
}

REFUSALS = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"}
E = "userErrors { code }"


@dataclass(frozen=True)
class Case:
    """One call of `field` on someone's data. `owner` says who may make it; `read` (run as the owner
    before and after the refused calls) must answer the same."""

    field: str
    document: str
    variables: Callable[[World], dict[str, Any]]
    owner: Callable[[World], str]
    read: str = ""
    read_variables: Callable[[World], dict[str, Any]] = lambda w: {}
    also_refused: Callable[[World], dict[str, str]] = lambda w: {}


def shop_owner(w: World) -> str:
    return str(w.shop.owner["token"])


def creator(w: World) -> str:
    return str(w.shop.creator["token"])


def buyer(w: World) -> str:
    return str(w.buyer["token"])


def admin(w: World) -> str:
    return w.admin


def as_buyer_and_creator(w: World) -> dict[str, str]:
    """The buyer and the creator of an order are not its merchant."""
    return {"buyer": buyer(w), "creator": creator(w)}


MERCHANT_READ = """query($h: String!) { merchant(handle: $h) {
  name settings { lowStockThreshold commissionRate returnWindowDays attributionWindowDays }
  apiKeys { id revokedAt } webhookEndpoints { id url enabled events }
  products(first: 20, status: null) { edges { node { id title status } } } } }"""
ORDER_READ = """query($id: ID!) { node(id: $id) { ... on Order { status financialStatus fulfillmentStatus
  lines { quantity fulfilledQuantity refundedQuantity } } } }"""
POST_READ = """query($id: ID!) { post(id: $id) { caption status disclosure { kind partnershipStatus } } }"""
ENDPOINT_READ = """query($id: ID!) { webhookEndpoint(id: $id) { url events enabled secretRotatedAt }
  }"""
EXPERIMENT_READ = """{ experiment(key: "authz-exp") { status startedAt stoppedAt } }"""
CART_READ = "{ cart { id lines { id quantity } } }"


def shop_handle(w: World) -> dict[str, Any]:
    return {"h": w.shop.merchant["handle"]}


def shop_key(w: World) -> dict[str, str]:
    """Rules that say "(people)": the shop's own API key is refused too."""
    return {"the shop's own key": w.key_a}


def merchant_case(
    field: str,
    document: str,
    variables: Callable[[World], dict[str, Any]],
    also_refused: Callable[[World], dict[str, str]] = lambda w: {},
) -> Case:
    return Case(field, document, variables, shop_owner, MERCHANT_READ, shop_handle, also_refused)


def order_case(field: str, document: str, variables: Callable[[World], dict[str, Any]]) -> Case:
    return Case(
        field, document, variables, shop_owner, ORDER_READ, lambda w: {"id": w.order_id}, as_buyer_and_creator
    )


def endpoint_case(field: str, document: str) -> Case:
    return Case(
        field,
        document,
        lambda w: {"i": {"endpointId": w.endpoint_id}},
        shop_owner,
        ENDPOINT_READ,
        lambda w: {"id": w.endpoint_id},
    )


def post_case(
    field: str,
    document: str,
    owner: Callable[[World], str] = creator,
    also_refused: Callable[[World], dict[str, str]] = lambda w: {},
) -> Case:
    return Case(
        field,
        document,
        lambda w: {"i": {"postId": w.shop.post_id}},
        owner,
        POST_READ,
        lambda w: {"id": w.shop.post_id},
        also_refused,
    )


def experiment_case(field: str) -> Case:
    return Case(
        field,
        f"mutation($i: ExperimentKeyInput!) {{ {field}(input: $i) {{ experiment {{ status }} {E} }} }}",
        lambda w: {"i": {"key": w.experiment_key}},
        admin,
        EXPERIMENT_READ,
    )


# Order matters: each runs against what the cases before it left, and the owners' own calls change it.
CASES: list[Case] = [
    Case("auditLog", "{ auditLog(first: 5) { edges { node { action } } } }", lambda w: {}, admin),
    Case("experiments", "{ experiments(first: 5) { edges { node { key } } } }", lambda w: {}, admin),
    Case("experiment", '{ experiment(key: "authz-exp") { key } }', lambda w: {}, admin),
    Case(
        "catalogImport",
        "query($id: ID!) { catalogImport(id: $id) { id status } }",
        lambda w: {"id": w.ids["CatalogImport"]},
        shop_owner,
    ),
    Case(
        "webhookEndpoint",
        "query($id: ID!) { webhookEndpoint(id: $id) { id url } }",
        lambda w: {"id": w.endpoint_id},
        shop_owner,
    ),
    Case(
        "webhookDelivery",
        "query($id: ID!) { webhookDelivery(id: $id) { id status } }",
        lambda w: {"id": w.delivery_id},
        shop_owner,
    ),
    Case(
        "revokeSession",
        f"mutation($i: RevokeSessionInput!) {{ revokeSession(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"sessionId": w.session_id}},
        buyer,
        "{ viewer { sessions { id } } }",
    ),
    merchant_case(
        "createApiKey",
        f"mutation($i: CreateApiKeyInput!) {{ createApiKey(input: $i) {{ key {E} }} }}",
        lambda w: {"i": {"merchantId": w.shop.merchant["id"], "name": "intruder"}},
        shop_key,
    ),
    merchant_case(
        "upsertProducts",
        f"mutation($i: UpsertProductsInput!) {{ upsertProducts(input: $i) {{ products {{ id }} {E} }} }}",
        lambda w: {
            "i": {
                "merchantId": w.shop.merchant["id"],
                "products": [
                    {
                        "handle": "scarf",
                        "title": "Taken over",
                        "status": "ACTIVE",
                        "skus": [
                            {
                                "sku": "scarf-0",
                                "price": {"amount": "1.00", "currencyCode": "EUR"},
                                "quantity": 1,
                            }
                        ],
                    }
                ],
            }
        },
    ),
    merchant_case(
        "setProductStatus",
        f"mutation($i: SetProductStatusInput!) {{ setProductStatus(input: $i) {{ product {{ status }} {E} }} }}",
        lambda w: {"i": {"productId": w.shop.products["scarf"], "status": "ARCHIVED"}},
    ),
    merchant_case(
        "updateMerchant",
        f"mutation($i: UpdateMerchantInput!) {{ updateMerchant(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"merchantId": w.shop.merchant["id"], "name": "Mine now", "commissionRate": "0.5"}},
    ),
    Case(
        "cancelCatalogImport",
        f"mutation($i: CancelCatalogImportInput!) {{ cancelCatalogImport(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"importId": w.ids["CatalogImport"]}},
        shop_owner,
        "query($id: ID!) { catalogImport(id: $id) { status cancelRequestedAt } }",
        lambda w: {"id": w.ids["CatalogImport"]},
    ),
    merchant_case(
        "createWebhookEndpoint",
        f"mutation($i: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $i) {{ secret {E} }} }}",
        lambda w: {
            "i": {
                "merchantId": w.shop.merchant["id"],
                "url": "https://evil.example/",
                "events": ["ORDER_CREATED"],
            }
        },
    ),
    Case(
        "updateWebhookEndpoint",
        f"mutation($i: UpdateWebhookEndpointInput!) {{ updateWebhookEndpoint(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"endpointId": w.endpoint_id, "url": "https://evil.example/", "enabled": False}},
        shop_owner,
        ENDPOINT_READ,
        lambda w: {"id": w.endpoint_id},
    ),
    endpoint_case(
        "rotateWebhookSecret",
        f"mutation($i: WebhookEndpointIdInput!) {{ rotateWebhookSecret(input: $i) {{ secret {E} }} }}",
    ),
    endpoint_case(
        "sendTestWebhook",
        f"mutation($i: WebhookEndpointIdInput!) {{ sendTestWebhook(input: $i) {{ delivery {{ id }} {E} }} }}",
    ),
    Case(
        "redeliverWebhook",
        f"mutation($i: RedeliverWebhookInput!) {{ redeliverWebhook(input: $i) {{ delivery {{ id }} {E} }} }}",
        lambda w: {"i": {"deliveryId": w.delivery_id}},
        shop_owner,
        "query($id: ID!) { webhookDelivery(id: $id) { status attemptCount } }",
        lambda w: {"id": w.delivery_id},
    ),
    Case(
        "cartUpdateLines",
        f"mutation($i: CartUpdateLinesInput!) {{ cartUpdateLines(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"lines": [{"lineId": w.cart_line_id, "quantity": 3}]}},
        buyer,
        CART_READ,
    ),
    Case(
        "checkoutCreate",
        f"mutation($i: CheckoutCreateInput!) {{ checkoutCreate(input: $i) {{ checkout {{ id }} {E} }} }}",
        lambda w: {"i": {"cartId": w.cart_id}},
        buyer,
        CART_READ,
    ),
    Case(
        "cartRemoveLines",
        f"mutation($i: CartRemoveLinesInput!) {{ cartRemoveLines(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"lineIds": [w.cart_line_id]}},
        buyer,
        CART_READ,
    ),
    Case(
        "checkoutComplete",
        f"mutation($i: CheckoutCompleteInput!) {{ checkoutComplete(input: $i) {{ orders {{ id }} {E} }} }}",
        lambda w: {
            "i": {"checkoutId": w.checkout_id, "idempotencyKey": "authz-1", "payment": {"token": "tok_visa"}}
        },
        creator,
        "{ viewer { orders(first: 5) { edges { node { id } } } } }",
    ),
    order_case(
        "orderFulfill",
        f"mutation($i: OrderFulfillInput!) {{ orderFulfill(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"orderId": w.order_id}},
    ),
    order_case(
        "orderRefund",
        f"mutation($i: OrderRefundInput!) {{ orderRefund(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"orderId": w.order_id, "lines": [{"lineId": w.order_line_id, "quantity": 1}]}},
    ),
    order_case(
        "orderCancel",
        f"mutation($i: OrderCancelInput!) {{ orderCancel(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"orderId": w.order_id, "reason": "mine"}},
    ),
    Case(
        "completeUpload",
        f"mutation($i: CompleteUploadInput!) {{ completeUpload(input: $i) {{ media {{ id }} {E} }} }}",
        lambda w: {"i": {"uploadId": w.upload_id}},
        creator,
    ),
    Case(
        "updatePost",
        f"mutation($i: UpdatePostInput!) {{ updatePost(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"postId": w.shop.post_id, "caption": "defaced"}},
        creator,
        POST_READ,
        lambda w: {"id": w.shop.post_id},
    ),
    post_case("publishPost", f"mutation($i: PostIdInput!) {{ publishPost(input: $i) {{ {E} }} }}"),
    post_case(
        "confirmPartnership",
        f"mutation($i: PostIdInput!) {{ confirmPartnership(input: $i) {{ {E} }} }}",
        shop_owner,
        shop_key,
    ),
    post_case(
        "declinePartnership",
        f"mutation($i: PostIdInput!) {{ declinePartnership(input: $i) {{ {E} }} }}",
        shop_owner,
        shop_key,
    ),
    Case(
        "removePost",
        f"mutation($i: RemovePostInput!) {{ removePost(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"postId": w.shop.post_id, "reason": "SPAM", "statement": "gone"}},
        admin,
        POST_READ,
        lambda w: {"id": w.shop.post_id},
        lambda w: {"creator": creator(w), "shop owner": shop_owner(w)},
    ),
    Case(
        "restorePost",
        f"mutation($i: RestorePostInput!) {{ restorePost(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"postId": w.shop.post_id, "statement": "back"}},
        admin,
        POST_READ,
        lambda w: {"id": w.shop.post_id},
        lambda w: {"creator": creator(w)},
    ),
    Case(
        "createExperiment",
        f"mutation($i: CreateExperimentInput!) {{ createExperiment(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"key": "authz-exp-2", "variants": [{"key": "control", "weight": 1, "config": {}}]}},
        admin,
        "{ experiments(first: 20) { edges { node { key } } } }",
    ),
    experiment_case("startExperiment"),
    experiment_case("stopExperiment"),
    merchant_case(
        "revokeApiKey",
        f"mutation($i: RevokeApiKeyInput!) {{ revokeApiKey(input: $i) {{ {E} }} }}",
        lambda w: {"i": {"apiKeyId": w.api_key_id}},
        shop_key,
    ),
    endpoint_case(
        "deleteWebhookEndpoint",
        f"mutation($i: WebhookEndpointIdInput!) {{ deleteWebhookEndpoint(input: $i) {{ {E} }} }}",
    ),
    post_case("deletePost", f"mutation($i: PostIdInput!) {{ deletePost(input: $i) {{ {E} }} }}"),
]

# Called anonymously, each must answer UNAUTHENTICATED (valid input otherwise).
SIGNED_IN_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "logOut": (f"mutation {{ logOut {{ {E} }} }}", {}),
    "changePassword": (
        f"mutation($i: ChangePasswordInput!) {{ changePassword(input: $i) {{ {E} }} }}",
        {"i": {"currentPassword": "correct horse battery", "newPassword": "another fine password"}},
    ),
    "requestDataExport": (f"mutation {{ requestDataExport {{ {E} }} }}", {}),
    "deleteAccount": (
        f"mutation($i: DeleteAccountInput!) {{ deleteAccount(input: $i) {{ {E} }} }}",
        {"i": {"password": "correct horse battery"}},
    ),
    "createMerchant": (
        f"mutation($i: CreateMerchantInput!) {{ createMerchant(input: $i) {{ {E} }} }}",
        {"i": {"handle": "anon-shop", "name": "Anon", "currency": "EUR"}},
    ),
    "becomeCreator": (
        f"mutation($i: BecomeCreatorInput!) {{ becomeCreator(input: $i) {{ {E} }} }}",
        {"i": {"handle": "anon_creator", "displayName": "Anon"}},
    ),
    "createUpload": (
        f"mutation($i: CreateUploadInput!) {{ createUpload(input: $i) {{ {E} }} }}",
        {"i": {"filename": "a.png", "contentType": "image/png", "byteSize": 100}},
    ),
    "createPost": (
        f"mutation($i: CreatePostInput!) {{ createPost(input: $i) {{ {E} }} }}",
        {"i": {"caption": "x", "mediaIds": []}},
    ),
}
# These take the target from the world (a creator or a post).
SIGNED_IN_ON_TARGET = {
    "follow": ("FollowInput", "creatorId"),
    "unfollow": ("FollowInput", "creatorId"),
    "likePost": ("PostIdInput", "postId"),
    "unlikePost": ("PostIdInput", "postId"),
    "savePost": ("PostIdInput", "postId"),
    "unsavePost": ("PostIdInput", "postId"),
}


SCHEMA_SETTINGS = Settings(secret_key="authorization-matrix-0123456789-abcdef")


def all_root_fields() -> dict[str, set[str]]:
    graphql_schema = build_schema(SCHEMA_SETTINGS)._schema
    assert graphql_schema.query_type is not None and graphql_schema.mutation_type is not None
    return {
        "Query": set(graphql_schema.query_type.fields),
        "Mutation": set(graphql_schema.mutation_type.fields),
    }


def test_every_root_field_has_an_access_rule() -> None:
    fields = all_root_fields()
    for root, names in fields.items():
        missing = names - RULES[root].keys()
        assert not missing, f"{root} fields without an access rule in RULES: {sorted(missing)}"
        stale = RULES[root].keys() - names
        assert not stale, f"RULES lists {root} fields the schema no longer has: {sorted(stale)}"
    guarded = {
        name
        for rules in RULES.values()
        for name, rule in rules.items()
        if rule == ADMIN or rule.startswith("OWNER_OF")
    }
    cased = {case.field for case in CASES}
    assert guarded - cased == set(), f"owner/admin fields without a case in CASES: {sorted(guarded - cased)}"
    signed_in = {name for rules in RULES.values() for name, rule in rules.items() if rule == SIGNED_IN}
    probed = {*SIGNED_IN_CALLS, *SIGNED_IN_ON_TARGET, "reportPost"}
    assert signed_in == probed, f"signed-in fields without an anonymous probe: {sorted(signed_in - probed)}"
    print(f"{sum(len(n) for n in fields.values())} root fields, {len(CASES)} owner/admin cases")


async def post(
    client: AsyncTestClient[Any], document: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=headers
    )
    assert response.status_code in (200, 401), (document, response.text)
    if response.status_code == 401:  # a revoked or refused credential on the transport
        return {"data": None, "errors": [{"extensions": {"code": "UNAUTHENTICATED"}}]}
    return dict(response.json())


def refusal(body: dict[str, Any], field: str) -> str | None:
    """Why the call was refused (a code, or "null"/"empty"), or None when it was answered."""
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code in REFUSALS:
            return str(code)
    value = (body.get("data") or {}).get(field)
    if value is None:
        return "null"
    if isinstance(value, dict):
        codes = [e["code"] for e in value.get("userErrors") or []]
        refused = [c for c in codes if c in REFUSALS]
        if refused:
            return refused[0]
        edges = value.get("edges")
        if edges == []:
            return "empty"
    return None


async def test_owner_fields_refuse_everyone_else(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    world = await make_world(gql, client, database)
    holes: list[str] = []
    for case in CASES:
        variables = case.variables(world)
        owner = case.owner(world)
        before = await post(client, case.read, case.read_variables(world), owner) if case.read else None
        others: dict[str, str | None] = {**world.callers(), **case.also_refused(world)}
        if owner == world.admin:
            others.update({"shop owner": shop_owner(world), "shop key": world.key_a})
        for name, token in others.items():
            body = await post(client, case.document, variables, token)
            why = refusal(body, case.field)
            if why is None:
                holes.append(f"{case.field}: {name} was answered {body}")
            elif token is None and why not in ("UNAUTHENTICATED", "null", "empty"):
                holes.append(f"{case.field}: anonymous got {why}, not UNAUTHENTICATED")
        if case.read:
            after = await post(client, case.read, case.read_variables(world), owner)
            if after != before:
                holes.append(f"{case.field}: changed by a refused caller: {before} -> {after}")
        body = await post(client, case.document, variables, owner)
        why = refusal(body, case.field)
        if why is not None:
            holes.append(f"{case.field}: the owner was refused ({why}): {body}")
    assert holes == [], "\n".join(holes)


async def check_signed_in_fields_refuse_anonymous_callers(
    gql: GraphQL, client: AsyncTestClient[Any], world: World
) -> None:
    holes: list[str] = []
    calls = dict(SIGNED_IN_CALLS)
    for name, (input_type, key) in SIGNED_IN_ON_TARGET.items():
        target = world.shop.creator_profile["id"] if key == "creatorId" else world.shop.post_id
        calls[name] = (f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {E} }} }}", {"i": {key: target}})
    calls["reportPost"] = (
        f"mutation($i: ReportPostInput!) {{ reportPost(input: $i) {{ {E} }} }}",
        {"i": {"postId": world.shop.post_id, "reason": "SPAM"}},
    )
    for name, (document, variables) in calls.items():
        body = await post(client, document, variables, None)
        if refusal(body, name) != "UNAUTHENTICATED":
            holes.append(f"{name}: anonymous was answered {body}")
        # An API key is a shop's system, not a person.
        body = await post(client, document, variables, world.key_b)
        if name not in ("logOut",) and refusal(body, name) is None:
            holes.append(f"{name}: an API key was answered {body}")
    for name in ("viewer", "cart"):
        body = await post(client, f"{{ {name} {{ __typename }} }}", {}, None)
        if (body.get("data") or {}).get(name) is not None:
            holes.append(f"{name}: answered anonymous without a device: {body}")
    assert holes == [], "\n".join(holes)


NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"


def node_owner(world: World, type_name: str) -> str:
    return {
        "Order": buyer(world),
        "Cart": buyer(world),
        "Session": buyer(world),
        "User": buyer(world),
        "PostReport": buyer(world),
        "Checkout": creator(world),
        "Media": creator(world),
        "Commission": creator(world),
        "Experiment": world.admin,
    }.get(type_name, shop_owner(world))


PUBLIC_NODES = {"Creator", "Merchant", "Post", "Product", "Sku"}  # published/ACTIVE ones: anyone
NO_NODE_LOOKUP = {"ApiKey", "Commission"}  # reached through their owner's fields only; node() is null


def test_every_node_type_is_public_or_probed() -> None:
    graphql_schema = build_schema(SCHEMA_SETTINGS)._schema
    node_types = {
        name
        for name, kind in graphql_schema.type_map.items()
        if hasattr(kind, "interfaces") and any(i.name == "Node" for i in kind.interfaces)
    }
    from tests.authz_world import PRIVATE_NODE_TYPES

    assert node_types - PUBLIC_NODES == PRIVATE_NODE_TYPES, "classify new Node types here and in the world"
    assert not (set(_resolvers) & NO_NODE_LOOKUP), "a node lookup was added: drop it from NO_NODE_LOOKUP"


async def check_private_nodes_are_null_for_strangers(
    gql: GraphQL, client: AsyncTestClient[Any], world: World
) -> None:
    holes: list[str] = []
    ids = list(world.ids.values())
    for name, token in {**world.callers(), "creator": creator(world)}.items():
        body = await post(client, NODES, {"ids": ids}, token)
        for (type_name, node_id), node in zip(world.ids.items(), body["data"]["nodes"], strict=True):
            if node is not None and node_owner(world, type_name) != token:
                holes.append(f"nodes: {name} sees {type_name} {node_id}")
        for type_name, node_id in world.ids.items():
            if node_owner(world, type_name) == token:
                continue
            single = await post(client, NODE, {"id": node_id}, token)
            if (single.get("data") or {}).get("node") is not None:
                holes.append(f"node: {name} sees {type_name}")
    for type_name, node_id in world.ids.items():
        body = await post(client, NODE, {"id": node_id}, node_owner(world, type_name))
        if body["data"]["node"] is None and type_name not in NO_NODE_LOOKUP:
            holes.append(f"node: the owner does not see their {type_name}")
    assert holes == [], "\n".join(holes)


# Fields of public types that are their owner's alone: null (or empty) for everyone else. Every field
# of a public node type is listed here or in PUBLIC_FIELDS, so a new one needs a decision.
PRIVATE_FIELDS = {
    "Merchant": {"apiKeys", "catalogImports", "orders", "settings", "webhookDeliveries", "webhookEndpoints"},
    "Creator": {"earnings"},
    "Post": {"insights", "moderation", "saveCount", "suggestedTags"},
    "Sku": {"quantityAvailable", "inventoryTracked"},
    "Product": set(),  # DRAFT and ARCHIVED products: see the products(status:) probe below
}
PUBLIC_FIELDS = {
    "Merchant": {"currency", "handle", "id", "name", "products"},
    "Creator": {
        "avatar",
        "bio",
        "displayName",
        "followerCount",
        "handle",
        "id",
        "posts",
        "products",
        "viewerFollows",
    },
    "Post": {
        *(
            "caption",
            "createdAt",
            "creator",
            "disclosure",
            "hashtags",
            "id",
            "likeCount",
            "media",
            "mentions",
        ),
        *("productTags", "publishedAt", "status", "viewerHasLiked", "viewerHasSaved"),
    },
    "Sku": {
        *("availability", "compareAtPrice", "gtin", "id", "image", "inventoryPolicy", "mpn", "price"),
        *("product", "selectedOptions", "sku", "title"),
    },
    "Product": {
        *("availability", "brand", "category", "createdAt", "description", "featuredIn", "handle", "id"),
        *("images", "merchant", "options", "priceRange", "skus", "status", "title", "updatedAt"),
    },
}
PRIVATE_READ = """query($h: String!, $creator: ID!, $post: ID!, $sku: ID!) {
  merchant(handle: $h) {
    apiKeys { id } catalogImports(first: 5) { edges { node { id } } } orders(first: 5) { edges { node { id } } }
    settings { commissionRate } webhookDeliveries(first: 5) { edges { node { id } } } webhookEndpoints { id }
    drafts: products(first: 5, status: DRAFT) { edges { node { id } } }
  }
  creator: node(id: $creator) { ... on Creator { earnings { pending { amount } } } }
  post(id: $post) { insights { impressions } moderation { action } saveCount suggestedTags { __typename } }
  sku: node(id: $sku) { ... on Sku { quantityAvailable inventoryTracked } }
}"""


def test_every_field_of_a_public_type_is_public_or_private() -> None:
    graphql_schema = build_schema(SCHEMA_SETTINGS)._schema
    for type_name in PUBLIC_NODES:
        fields = set(graphql_schema.type_map[type_name].fields)  # type: ignore[attr-defined]
        undecided = fields - PRIVATE_FIELDS[type_name] - PUBLIC_FIELDS[type_name]
        assert not undecided, f"{type_name} fields neither public nor private: {sorted(undecided)}"


def hidden(value: Any) -> bool:
    """Null, an empty list or connection, or an object of only such values."""
    if value is None or value == [] or value == {"edges": []}:
        return True
    if isinstance(value, dict):
        return all(hidden(v) for v in value.values())
    return False


async def check_private_fields_of_public_types_are_their_owners(
    gql: GraphQL, client: AsyncTestClient[Any], world: World
) -> None:
    await gql(
        "mutation($i: UpsertProductsInput!) { upsertProducts(input: $i) { userErrors { code } } }",
        {
            "i": {
                "merchantId": world.shop.merchant["id"],
                "products": [
                    {
                        "handle": "secret-draft",
                        "title": "Draft",
                        "status": "DRAFT",
                        "skus": [{"sku": "d-1", "price": {"amount": "1.00", "currencyCode": "EUR"}}],
                    }
                ],
            }
        },
        token=shop_owner(world),
    )
    variables = {
        "h": world.shop.merchant["handle"],
        "creator": world.shop.creator_profile["id"],
        "post": world.shop.post_id,
        "sku": world.shop.skus["boots-0"],
    }
    holes: list[str] = []
    for name, token in {**world.callers(), "buyer": buyer(world)}.items():
        data = (await post(client, PRIVATE_READ, variables, token))["data"]
        for type_name, value in (
            ("Merchant", data["merchant"]),
            ("Creator", data["creator"]),
            ("Post", data["post"]),
            ("Sku", data["sku"]),
        ):
            for key, field_value in value.items():
                if not hidden(field_value):
                    holes.append(f"{type_name}.{key}: {name} sees {field_value}")
    owners = {
        "merchant": (await post(client, PRIVATE_READ, variables, shop_owner(world)))["data"]["merchant"],
        "creator": (await post(client, PRIVATE_READ, variables, creator(world)))["data"],
    }
    for key in (
        "apiKeys",
        "catalogImports",
        "orders",
        "settings",
        "webhookDeliveries",
        "webhookEndpoints",
        "drafts",
    ):
        if hidden(owners["merchant"][key]):
            holes.append(f"Merchant.{key}: hidden from its owner")
    commissions = await post(
        client,
        "query($id: ID!) { node(id: $id) { ... on Creator { earnings { commissions(first: 5) { edges { node {"
        " order { id lines { quantity } } } } } } } } }",
        {"id": world.shop.creator_profile["id"]},
        creator(world),
    )
    for edge in commissions["data"]["node"]["earnings"]["commissions"]["edges"]:
        if edge["node"]["order"] is not None:
            holes.append(f"Commission.order: the creator sees the buyer's order {edge['node']['order']}")
    if hidden(owners["creator"]["creator"]["earnings"]) or owners["creator"]["post"]["insights"] is None:
        holes.append(f"the creator does not see their earnings or insights: {owners['creator']}")
    assert holes == [], "\n".join(holes)


async def check_inputs_naming_someone_elses_objects_are_refused(
    gql: GraphQL, client: AsyncTestClient[Any], world: World
) -> None:
    """Fields open to any signed-in caller must still refuse ids of objects that are not theirs to use."""
    completed = await post(
        client,
        f"mutation($i: CompleteUploadInput!) {{ completeUpload(input: $i) {{ media {{ id }} {E} }} }}",
        {"i": {"uploadId": world.upload_id}},
        creator(world),
    )
    media_id = completed["data"]["completeUpload"]["media"]["id"]  # the creator's, in no post yet
    drafted = await post(
        client,
        f"mutation($i: UpsertProductsInput!) {{ upsertProducts(input: $i) {{ products {{ id }} {E} }} }}",
        {
            "i": {
                "merchantId": world.shop.merchant["id"],
                "products": [
                    {
                        "handle": "unreleased",
                        "title": "Unreleased",
                        "status": "DRAFT",
                        "skus": [
                            {"sku": "u-1", "price": {"amount": "9.00", "currencyCode": "EUR"}, "quantity": 3}
                        ],
                    }
                ],
            }
        },
        shop_owner(world),
    )
    draft_product = drafted["data"]["upsertProducts"]["products"][0]["id"]
    draft_sku = (
        await post(
            client,
            "query($id: ID!) { node(id: $id) { ... on Product { skus { edges { node { id } } } } } }",
            {"id": draft_product},
            shop_owner(world),
        )
    )["data"]["node"]["skus"]["edges"][0]["node"]["id"]
    intruder = world.stranger["token"]
    await become_creator(gql, intruder)
    own_media = await upload_media(gql, client, intruder)
    probes = {
        "createPost with another's media": (
            f"mutation($i: CreatePostInput!) {{ createPost(input: $i) {{ post {{ id }} {E} }} }}",
            {"i": {"caption": "mine", "mediaIds": [media_id]}},
            "createPost",
        ),
        "createPost tagging a draft product": (
            f"mutation($i: CreatePostInput!) {{ createPost(input: $i) {{ post {{ id }} {E} }} }}",
            {
                "i": {
                    "caption": "x",
                    "mediaIds": [own_media["id"]],
                    "productTags": [{"productId": draft_product, "mediaIndex": 0}],
                }
            },
            "createPost",
        ),
        "checkoutComplete of another's cart": (
            f"mutation($i: CheckoutCompleteInput!) {{ checkoutComplete(input: $i) {{ orders {{ id }} {E} }} }}",
            {"i": {"cartId": world.cart_id, "idempotencyKey": "steal-1", "payment": {"token": "tok_visa"}}},
            "checkoutComplete",
        ),
        "cartAddLines of a draft product's SKU": (
            "mutation($i: CartAddLinesInput!) { cartAddLines(input: $i) { cart { id } userErrors { code field message } } }",
            {"i": {"lines": [{"skuId": draft_sku, "quantity": 1}]}},
            "cartAddLines",
        ),
        "visualSearch of another's unpublished media": (
            f"query($i: VisualSearchInput!) {{ visualSearch(input: $i) {{ matches {{ __typename }} {E} }} }}",
            {"i": {"mediaId": media_id}},
            "visualSearch",
        ),
        "visualSearch of a draft product": (
            f"query($i: VisualSearchInput!) {{ visualSearch(input: $i) {{ matches {{ __typename }} {E} }} }}",
            {"i": {"productId": draft_product}},
            "visualSearch",
        ),
    }
    holes = []
    for label, (document, variables, field_name) in probes.items():
        body = await post(client, document, variables, intruder)
        if refusal(body, field_name) is None:
            holes.append(f"{label}: answered {body}")
    # Public types hide their unlisted rows: a draft product and its SKU are null for everyone else.
    for name, token in {**world.callers(), "intruder": intruder}.items():
        seen = await post(client, NODES, {"ids": [draft_product, draft_sku]}, token)
        if seen["data"]["nodes"] != [None, None]:
            holes.append(f"nodes: {name} sees a draft product or its SKU: {seen['data']['nodes']}")
    cart = await post(client, CART_READ, {}, buyer(world))
    assert cart["data"]["cart"]["lines"], "the buyer's cart was emptied by someone else's checkout"
    assert holes == [], "\n".join(holes)


async def test_strangers_reach_nothing_private(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    """The read-mostly checks share one world (building it is most of the time)."""
    world = await make_world(gql, client, database)
    await check_signed_in_fields_refuse_anonymous_callers(gql, client, world)
    await check_private_nodes_are_null_for_strangers(gql, client, world)
    await check_private_fields_of_public_types_are_their_owners(gql, client, world)
    await check_inputs_naming_someone_elses_objects_are_refused(gql, client, world)
