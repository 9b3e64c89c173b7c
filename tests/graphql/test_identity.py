"""Accounts: sign up, log in, tokens, consent, API keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from litestar.testing import AsyncTestClient

from shoppable.domain.identity.consent import CURRENT_POLICY_VERSION
from shoppable.domain.identity.credentials import issue_token
from shoppable.graphql.core.ids import parse_id
from tests.conftest import GraphQL
from tests.factories import create_api_key, create_merchant, sign_up

VIEWER = "{ viewer { email user { id displayName } consent { personalization analytics marketing policyVersion } } }"
LOG_IN = """
mutation($input: LogInInput!) { logIn(input: $input) { token user { id } userErrors { field code message } } }
"""
SECRET = "test-secret-key-0123456789-abcdefghijkl"


async def test_sign_up_then_viewer_has_defaults(gql: GraphQL) -> None:
    user = await sign_up(gql, "Ana@Example.com")
    body = await gql(VIEWER, token=user["token"])
    viewer = body["data"]["viewer"]
    assert viewer["email"] == "ana@example.com"
    assert viewer["consent"] == {
        "personalization": False,
        "analytics": False,
        "marketing": False,
        "policyVersion": CURRENT_POLICY_VERSION,  # the sign-up form's choices, recorded under it
    }


async def test_sign_up_rejects_bad_input_and_duplicates(gql: GraphQL) -> None:
    query = "mutation($i: SignUpInput!) { signUp(input: $i) { token userErrors { field code } } }"
    bad = await gql(query, {"i": {"email": "nope", "password": "short", "displayName": ""}})
    errors = bad["data"]["signUp"]["userErrors"]
    assert {tuple(e["field"]) for e in errors} == {("email",), ("password",), ("displayName",)}
    assert bad["data"]["signUp"]["token"] is None
    await sign_up(gql, "dup@example.com")
    again = await gql(
        query, {"i": {"email": "DUP@example.com", "password": "long enough pw", "displayName": "x"}}
    )
    assert again["data"]["signUp"]["userErrors"] == [{"field": ["email"], "code": "CONFLICT"}]


async def test_log_in_and_wrong_password(gql: GraphQL) -> None:
    user = await sign_up(gql)
    ok = await gql(LOG_IN, {"input": {"email": user["email"], "password": user["password"]}})
    assert ok["data"]["logIn"]["token"] and ok["data"]["logIn"]["user"]["id"] == user["id"]
    wrong = await gql(LOG_IN, {"input": {"email": user["email"], "password": "not the password"}})
    assert wrong["data"]["logIn"]["token"] is None
    assert wrong["data"]["logIn"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    unknown = await gql(LOG_IN, {"input": {"email": "ghost@example.com", "password": "whatever123"}})
    assert unknown["data"]["logIn"]["userErrors"] == wrong["data"]["logIn"]["userErrors"]


async def test_anonymous_viewer_is_null(gql: GraphQL) -> None:
    assert (await gql(VIEWER))["data"]["viewer"] is None


async def test_expired_and_forged_tokens_are_401(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    user = await sign_up(gql)
    user_pk = parse_id(user["id"])[1]
    expired = issue_token(SECRET, user_pk, 0, 60, now=datetime.now(UTC) - timedelta(hours=2))
    forged = issue_token("another-secret-entirely-xx-0123456789", user_pk, 0, 3600)
    none_alg = jwt.encode({"sub": str(user_pk), "iss": "shoppable"}, key=None, algorithm="none")
    for token in (expired, forged, none_alg, "garbage", "shp_not-a-real-key"):
        response = await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, (token, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    response = await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401


async def test_consent_update(gql: GraphQL) -> None:
    user = await sign_up(gql)
    mutation = """mutation($i: ConsentInput!) { updateConsent(input: $i) {
        consent { personalization analytics marketing policyVersion updatedAt } userErrors { code } } }"""
    body = await gql(mutation, {"i": {"personalization": True}}, token=user["token"])
    consent = body["data"]["updateConsent"]["consent"]
    assert consent["personalization"] is True and consent["analytics"] is False
    assert consent["policyVersion"] and consent["updatedAt"]
    anonymous = await gql(mutation, {"i": {"personalization": True}})
    assert anonymous["data"]["updateConsent"]["userErrors"] == [{"code": "UNAUTHENTICATED"}]


async def test_api_key_create_use_and_revoke(gql: GraphQL) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], "northwind")
    key = await create_api_key(gql, owner["token"], merchant["id"])
    assert key.startswith("shp_")
    draft = {"handle": "secret-thing", "title": "Secret", "status": "DRAFT",
             "skus": [{"sku": "S1", "price": {"amount": "5", "currencyCode": "EUR"}, "quantity": 3}]}  # fmt: skip
    upsert = """mutation($i: UpsertProductsInput!) { upsertProducts(input: $i) { products { id } userErrors { code } } }"""
    body = await gql(upsert, {"i": {"merchantId": merchant["id"], "products": [draft]}}, token=key)
    assert body["data"]["upsertProducts"]["userErrors"] == []
    listing = """query { merchant(handle: "northwind") { products(status: DRAFT) { edges { node { handle
        skus { edges { node { quantityAvailable } } } } } } apiKeys { prefix revokedAt } } }"""
    seen = (await gql(listing, token=key))["data"]["merchant"]
    assert seen["products"]["edges"][0]["node"]["skus"]["edges"][0]["node"]["quantityAvailable"] == 3
    assert seen["apiKeys"] is None  # keys are managed by people, not by other keys
    keys = (await gql(listing, token=owner["token"]))["data"]["merchant"]["apiKeys"]
    assert len(keys) == 1 and key.startswith(keys[0]["prefix"])
    key_id = (await gql('query { merchant(handle: "northwind") { id } }'))["data"]["merchant"]["id"]
    assert key_id == merchant["id"]
    revoke = "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { revokedAt } userErrors { code } } }"
    key_gid = await gql('query { merchant(handle: "northwind") { apiKeys { id } } }', token=owner["token"])
    gid = key_gid["data"]["merchant"]["apiKeys"][0]["id"]
    stranger = await sign_up(gql)
    denied = await gql(revoke, {"i": {"apiKeyId": gid}}, token=stranger["token"])
    assert denied["data"]["revokeApiKey"]["userErrors"] == [{"code": "NOT_FOUND"}]
    revoked = await gql(revoke, {"i": {"apiKeyId": gid}}, token=owner["token"])
    assert revoked["data"]["revokeApiKey"]["apiKey"]["revokedAt"]


async def test_revoked_api_key_is_rejected(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    key = await create_api_key(gql, owner["token"], merchant["id"])
    ok = await client.post(
        "/graphql", json={"query": "{ viewer { email } }"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert ok.status_code == 200 and ok.json()["data"]["viewer"] is None
    gid = (await gql("query($h: String!) { merchant(handle: $h) { apiKeys { id } } }", {"h": merchant["handle"]},
                     token=owner["token"]))["data"]["merchant"]["apiKeys"][0]["id"]  # fmt: skip
    await gql("mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { userErrors { code } } }",
              {"i": {"apiKeyId": gid}}, token=owner["token"])  # fmt: skip
    denied = await client.post(
        "/graphql", json={"query": "{ viewer { email } }"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert denied.status_code == 401


async def test_api_key_cannot_create_keys_and_strangers_cannot_either(gql: GraphQL) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    key = await create_api_key(gql, owner["token"], merchant["id"])
    query = "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key userErrors { field code } } }"
    by_key = await gql(query, {"i": {"merchantId": merchant["id"]}}, token=key)
    assert by_key["data"]["createApiKey"] == {
        "key": None,
        "userErrors": [{"field": ["merchantId"], "code": "NOT_FOUND"}],
    }
    stranger = await sign_up(gql)
    by_stranger = await gql(query, {"i": {"merchantId": merchant["id"]}}, token=stranger["token"])
    assert by_stranger["data"]["createApiKey"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_create_merchant_validation(gql: GraphQL) -> None:
    owner = await sign_up(gql)
    query = "mutation($i: CreateMerchantInput!) { createMerchant(input: $i) { merchant { id } userErrors { field code } } }"
    bad = await gql(
        query, {"i": {"handle": "No Spaces!", "name": "", "currency": "XXX"}}, token=owner["token"]
    )
    assert {e["field"][0] for e in bad["data"]["createMerchant"]["userErrors"]} == {
        "handle",
        "name",
        "currency",
    }
    await create_merchant(gql, owner["token"], "taken")
    dup = await gql(query, {"i": {"handle": "taken", "name": "Again"}}, token=owner["token"])
    assert dup["data"]["createMerchant"]["userErrors"] == [{"field": ["handle"], "code": "CONFLICT"}]
    anonymous = await gql(query, {"i": {"handle": "anon-shop", "name": "Anon"}})
    assert anonymous["data"]["createMerchant"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
