"""Webhooks end to end: the real app, a real HTTP receiver on localhost (allowed by the test setting)
that verifies every request with `standardwebhooks` and dedupes by webhook-id, as a merchant would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.outbound_http import PinnedHttpSender
from shoppable.storage.webhooks import deliveries
from tests.conftest import GraphQL
from tests.factories import create_api_key, create_merchant, sign_up, upsert
from tests.webhook_receiver import Receiver, Reply

ENDPOINT_FIELDS = "id url events enabled disabledReason previousSecretExpiresAt lastSuccessAt"
CREATE = f"""mutation($input: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $input) {{
  endpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: UpdateWebhookEndpointInput!) {{ updateWebhookEndpoint(input: $input) {{
  endpoint {{ {ENDPOINT_FIELDS} }} userErrors {{ field code message }} }} }}"""
ROTATE = f"""mutation($id: ID!) {{ rotateWebhookSecret(input: {{endpointId: $id}}) {{
  endpoint {{ {ENDPOINT_FIELDS} }} secret userErrors {{ field code message }} }} }}"""
DELETE = """mutation($id: ID!) { deleteWebhookEndpoint(input: {endpointId: $id}) {
  deletedEndpointId userErrors { field code message } } }"""
TEST = """mutation($id: ID!) { sendTestWebhook(input: {endpointId: $id}) {
  delivery { id webhookId eventType status } userErrors { field code message } } }"""
REDELIVER = """mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) {
  delivery { id webhookId status manual } userErrors { field code message } } }"""
LOG = f"""query($h: String!, $status: WebhookDeliveryStatus, $first: Int, $after: String) {{
  merchant(handle: $h) {{ webhookEndpoints {{ {ENDPOINT_FIELDS} }}
    webhookDeliveries(first: $first, after: $after, status: $status) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ id webhookId eventType status attemptCount nextAttemptAt lastStatusCode lastError manual payload
        attempts {{ number statusCode latencyMs error responseExcerpt }} }} }} }} }}"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_network_fetch": True, "webhook_poll_seconds": 0.1})


async def eventually(check: Callable[[], Any], patience: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.05)


async def shop(gql: GraphQL, **extra: Any) -> tuple[dict, dict, str]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], currency="EUR", **extra)
    return owner, merchant, await create_api_key(gql, owner["token"], merchant["id"])


async def endpoint(gql: GraphQL, token: str, merchant: dict, url: str, events: list[str]) -> dict:
    body = await gql(
        CREATE, {"input": {"merchantId": merchant["id"], "url": url, "events": events}}, token=token
    )
    payload = body["data"]["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload
    assert payload["secret"].startswith("whsec_")
    return {**payload["endpoint"], "secret": payload["secret"]}


async def log_of(gql: GraphQL, merchant: dict, token: str, **variables: Any) -> dict:
    body = await gql(LOG, {"h": merchant["handle"], **variables}, token=token)
    return body["data"]["merchant"]


def tee(quantity: int = 10, price: str = "20.00") -> dict:
    return {"handle": "tee", "title": "Tee", "skus": [
        {"sku": "TEE", "price": {"amount": price, "currencyCode": "EUR"}, "quantity": quantity}]}  # fmt: skip


async def test_catalog_events_arrive_signed_once_each_and_are_logged(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    owner, merchant, key = await shop(gql, lowStockThreshold=3)
    with Receiver() as receiver:
        hook = await endpoint(
            gql, owner["token"], merchant, receiver.url, ["PRODUCT_UPDATED", "INVENTORY_LOW"]
        )
        assert (await upsert(gql, owner["token"], merchant["id"], [tee(10)]))["userErrors"] == []
        for quantity in (2, 1):  # crosses the threshold once, then stays low: one event
            response = await client.post(
                "/v1/catalog/inventory",
                json={"items": [{"sku": "TEE", "quantity": quantity}]},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 200, response.text
        await eventually(lambda: receiver.of_type("inventory.low", hook["secret"]))
        [product] = await eventually(lambda: receiver.of_type("product.updated", hook["secret"]))
        [low] = receiver.of_type("inventory.low", hook["secret"])
        await asyncio.sleep(0.3)  # nothing more is on its way
        received = receiver.snapshot()
    assert len(received) == 2 and len({r.webhook_id for r in received}) == 2
    assert product["data"]["handle"] == "tee" and product["data"]["change"] == "created"
    assert product["data"]["skus"][0]["quantity"] == 10 and product["version"]
    assert (
        low["data"]["sku"] == "TEE" and low["data"]["quantity"] == 2 and low["data"]["lowStockThreshold"] == 3
    )
    assert all(len(r.body) < 20 * 1024 for r in received)
    assert all(r.headers["content-type"] == "application/json" for r in received)
    log = await log_of(gql, merchant, owner["token"])
    assert {d["eventType"] for d in log["webhookDeliveries"]["nodes"]} == {"product.updated", "inventory.low"}
    for delivery in log["webhookDeliveries"]["nodes"]:
        assert delivery["status"] == "SUCCEEDED" and delivery["attemptCount"] == 1
        [attempt] = delivery["attempts"]
        assert (
            attempt["statusCode"] == 200 and attempt["latencyMs"] >= 0 and attempt["responseExcerpt"] == "ok"
        )
    assert log["webhookEndpoints"][0]["lastSuccessAt"]


async def test_import_finished_event(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    owner, merchant, key = await shop(gql)
    with Receiver() as receiver:
        hook = await endpoint(gql, owner["token"], merchant, receiver.url, ["CATALOG_IMPORT_FINISHED"])
        body = (json.dumps(tee(4)) + "\n{not json\n").encode()
        response = await client.post(
            "/v1/catalog/imports", content=body, params={"format": "jsonl"},
            headers={"Authorization": f"Bearer {key}"},
        )  # fmt: skip
        assert response.status_code == 202, response.text
        [finished] = await eventually(lambda: receiver.of_type("catalog_import.finished", hook["secret"]))
    data = finished["data"]
    assert data["id"] == response.json()["id"] and data["status"] == "completed_with_errors"
    assert data["counts"]["created"] == 1 and data["errorCount"] == 1 and data["finishedAt"]


async def test_failures_are_retried_on_schedule_and_retry_after_is_honoured(
    client: AsyncTestClient[Any], gql: GraphQL, database: Database
) -> None:
    owner, merchant, _key = await shop(gql)
    answers = iter([Reply(500, body=b"boom"), Reply(503, {"Retry-After": "3600"})])
    with Receiver(lambda _r: next(answers, Reply())) as receiver:
        hook = await endpoint(gql, owner["token"], merchant, receiver.url, ["PRODUCT_UPDATED"])
        await upsert(gql, owner["token"], merchant["id"], [tee()])
        before = datetime.now(UTC)
        log = await eventually(lambda: _with_attempts(gql, merchant, owner["token"], 1))
        delivery = log["webhookDeliveries"]["nodes"][0]
        assert delivery["status"] == "PENDING" and delivery["lastStatusCode"] == 500
        assert delivery["attempts"][0]["responseExcerpt"] == "boom"
        delay = datetime.fromisoformat(delivery["nextAttemptAt"]) - before
        assert timedelta(seconds=3.9) <= delay <= timedelta(seconds=6.5)  # 5 s +- 20 % jitter
        await _make_due(database, 1)
        log = await eventually(lambda: _with_attempts(gql, merchant, owner["token"], 2))
        delivery = log["webhookDeliveries"]["nodes"][0]
        delay = datetime.fromisoformat(delivery["nextAttemptAt"]) - before
        assert timedelta(seconds=3595) <= delay <= timedelta(seconds=3660)  # Retry-After, not 5 min
        await _make_due(database, 2)
        log = await eventually(lambda: _with_attempts(gql, merchant, owner["token"], 3))
        received = receiver.snapshot()
    delivery = log["webhookDeliveries"]["nodes"][0]
    assert delivery["status"] == "SUCCEEDED"
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 503, 200]
    assert len({r.webhook_id for r in received}) == 1 and len(received) == 3  # one message, three attempts
    assert all(r.verify(hook["secret"]) for r in received)


async def _with_attempts(gql: GraphQL, merchant: dict, token: str, count: int) -> dict | None:
    """The log once it shows `count` attempts. The delivery is read with its attempts in one statement,
    so it always shows what the last one it lists left (tests/storage/test_webhook_log.py)."""
    log = await log_of(gql, merchant, token)
    nodes = log["webhookDeliveries"]["nodes"]
    if not nodes or len(nodes[0]["attempts"]) != count:
        return None
    assert nodes[0]["lastStatusCode"] == nodes[0]["attempts"][-1]["statusCode"], nodes[0]
    return log


async def _make_due(database: Database, attempts: int) -> None:
    """Time travel for one delivery: its next attempt is due now (the schedule itself was checked).

    Only while no worker has claimed it for attempt `attempts + 1`: on a slow machine the 5-second
    retry may have started by itself, and moving its lease would let a second worker claim it."""
    async with database.engine.begin() as conn:
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.status == "PENDING", deliveries.c.attempt_count == attempts)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )


async def test_gone_disables_the_endpoint_with_a_visible_reason(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    owner, merchant, _key = await shop(gql)
    with Receiver(lambda _r: Reply(410)) as receiver:
        hook = await endpoint(gql, owner["token"], merchant, receiver.url, ["PRODUCT_UPDATED"])
        await upsert(gql, owner["token"], merchant["id"], [tee()])
        log = await eventually(lambda: _disabled(gql, merchant, owner["token"]))
        await upsert(gql, owner["token"], merchant["id"], [tee(price="25.00")])
        await asyncio.sleep(0.3)
        assert len(receiver.snapshot()) == 1  # nothing more goes to a disabled endpoint
    [found] = log["webhookEndpoints"]
    assert "410" in found["disabledReason"]
    assert log["webhookDeliveries"]["nodes"][0]["status"] == "FAILED"
    # Enabling again clears the reason.
    body = await gql(UPDATE, {"input": {"endpointId": hook["id"], "enabled": True}}, token=owner["token"])
    assert body["data"]["updateWebhookEndpoint"]["endpoint"]["disabledReason"] is None


async def _disabled(gql: GraphQL, merchant: dict, token: str) -> dict | None:
    log = await log_of(gql, merchant, token)
    return log if not log["webhookEndpoints"][0]["enabled"] else None


async def test_rotation_signs_with_both_secrets_test_event_and_redelivery(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    owner, merchant, _key = await shop(gql)
    with Receiver() as receiver:
        hook = await endpoint(gql, owner["token"], merchant, receiver.url, ["ORDER_CREATED"])
        rotated = (await gql(ROTATE, {"id": hook["id"]}, token=owner["token"]))["data"]["rotateWebhookSecret"]
        assert rotated["secret"] != hook["secret"] and rotated["endpoint"]["previousSecretExpiresAt"]
        sent = (await gql(TEST, {"id": hook["id"]}, token=owner["token"]))["data"]["sendTestWebhook"]
        assert sent["userErrors"] == [] and sent["delivery"]["eventType"] == "webhook.test"
        [first] = await eventually(lambda: receiver.snapshot())
        assert first.headers["webhook-signature"].count("v1,") == 2
        assert first.verify(rotated["secret"])["type"] == "webhook.test"
        assert first.verify(hook["secret"])["data"]["endpointId"]  # the old secret still verifies
        again = (await gql(REDELIVER, {"id": sent["delivery"]["id"]}, token=owner["token"]))["data"]
        assert again["redeliverWebhook"]["delivery"]["manual"] is True
        await eventually(lambda: len(receiver.snapshot()) == 2)
        second = receiver.snapshot()[1]
    assert second.webhook_id == first.webhook_id == sent["delivery"]["webhookId"]
    assert second.body == first.body


async def test_only_the_merchant_manages_its_endpoints_and_sees_its_log(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    owner, merchant, _key = await shop(gql)
    stranger, other, other_key = await shop(gql)
    with Receiver() as receiver:
        hook = await endpoint(gql, owner["token"], merchant, receiver.url, ["PRODUCT_UPDATED"])
        sent = (await gql(TEST, {"id": hook["id"]}, token=owner["token"]))["data"]["sendTestWebhook"][
            "delivery"
        ]
        for token in (stranger["token"], other_key):
            log = await log_of(gql, merchant, token)
            assert log["webhookEndpoints"] == [] and log["webhookDeliveries"]["nodes"] == []
            for query, variables in (
                (UPDATE, {"input": {"endpointId": hook["id"], "url": "http://127.0.0.1:1/x"}}),
                (ROTATE, {"id": hook["id"]}),
                (DELETE, {"id": hook["id"]}),
                (TEST, {"id": hook["id"]}),
                (REDELIVER, {"id": sent["id"]}),
            ):
                payload = next(iter((await gql(query, variables, token=token))["data"].values()))
                assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], payload
            node = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": hook["id"]}, token=token)
            assert node["data"]["node"] is None
            created = await gql(
                CREATE, {"input": {"merchantId": merchant["id"], "url": receiver.url, "events": ["ORDER_CREATED"]}},
                token=token,
            )  # fmt: skip
            assert created["data"]["createWebhookEndpoint"]["userErrors"][0]["code"] == "NOT_FOUND"
        for path in (
            f"/v1/webhooks/endpoints/{_pk(hook['id'])}",
            f"/v1/webhooks/deliveries/{_pk(sent['id'])}",
        ):
            response = await client.get(path, headers={"Authorization": f"Bearer {other_key}"})
            assert response.status_code == 404, response.text
        response = await client.get(
            "/v1/webhooks/endpoints", params={"merchant": merchant["handle"]},
            headers={"Authorization": f"Bearer {other_key}"},
        )  # fmt: skip
        assert response.status_code == 404
    assert other["handle"] != merchant["handle"]


def _pk(global_id: str) -> int:
    import base64

    return int(base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(":")[1])


async def test_rest_mirror(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    _owner, _merchant, key = await shop(gql)
    auth = {"Authorization": f"Bearer {key}"}
    with Receiver() as receiver:
        response = await client.post(
            "/v1/webhooks/endpoints", json={"url": receiver.url, "events": ["PRODUCT_UPDATED"]}, headers=auth
        )
        assert response.status_code == 201, response.text
        created = response.json()
        endpoint_id, secret = created["endpoint"]["id"], created["secret"]
        listed = (await client.get("/v1/webhooks/endpoints", headers=auth)).json()["endpoints"]
        assert [e["id"] for e in listed] == [endpoint_id] and "secret" not in listed[0]
        for _ in range(3):
            response = await client.post(f"/v1/webhooks/endpoints/{endpoint_id}/test", headers=auth)
            assert response.status_code == 202, response.text
        await eventually(lambda: len(receiver.snapshot()) == 3)
        assert all(r.verify(secret)["type"] == "webhook.test" for r in receiver.snapshot())
        page = (await client.get("/v1/webhooks/deliveries", params={"first": 2}, headers=auth)).json()
        assert len(page["deliveries"]) == 2 and page["nextCursor"]
        rest = (
            await client.get(
                "/v1/webhooks/deliveries", params={"first": 2, "after": page["nextCursor"]}, headers=auth
            )
        ).json()
        ids = [d["id"] for d in page["deliveries"] + rest["deliveries"]]
        assert len(set(ids)) == 3 and ids == sorted(ids, reverse=True) and rest["nextCursor"] is None
        one = (await client.get(f"/v1/webhooks/deliveries/{ids[0]}", headers=auth)).json()
        assert await eventually(lambda: True) and one["attempts"] and one["webhookId"].startswith("msg_")
        response = await client.post(f"/v1/webhooks/deliveries/{ids[0]}/redeliver", headers=auth)
        assert response.status_code == 202 and response.json()["manual"] is True
        response = await client.patch(
            f"/v1/webhooks/endpoints/{endpoint_id}", json={"enabled": False}, headers=auth
        )
        assert (
            response.status_code == 200 and response.json()["disabledReason"] == "Disabled by the merchant."
        )
        response = await client.post(f"/v1/webhooks/endpoints/{endpoint_id}/test", headers=auth)
        assert response.status_code == 422 and "enable it first" in response.text
        response = await client.post(f"/v1/webhooks/endpoints/{endpoint_id}/rotate-secret", headers=auth)
        assert response.status_code == 200 and response.json()["secret"] != secret
        assert (await client.delete(f"/v1/webhooks/endpoints/{endpoint_id}", headers=auth)).status_code == 204
        assert (await client.get(f"/v1/webhooks/endpoints/{endpoint_id}", headers=auth)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/v1/webhooks/endpoints", {"url": "ftp://x.example/", "events": ["PRODUCT_UPDATED"]}, 422),
        ("post", "/v1/webhooks/endpoints", {"url": "https://x.example/", "events": []}, 422),
        ("post", "/v1/webhooks/endpoints", {"url": "https://x.example/", "events": ["NOPE"]}, 400),
        ("post", "/v1/webhooks/endpoints", {"events": ["PRODUCT_UPDATED"]}, 400),
        ("get", "/v1/webhooks/deliveries?after=forged.cursor", None, 400),
        ("get", "/v1/webhooks/deliveries?first=0", None, 400),
        ("get", "/v1/webhooks/deliveries?status=LOST", None, 400),
        ("get", "/v1/webhooks/endpoints/99999999999999999999999", None, 404),
        ("post", "/v1/webhooks/deliveries/12345/redeliver", None, 404),
        ("patch", "/v1/webhooks/endpoints/12345", {"enabled": True}, 404),
    ],
)
async def test_rest_bad_input_is_a_problem_never_a_500(
    client: AsyncTestClient[Any], gql: GraphQL, method: str, path: str, body: Any, status: int
) -> None:
    _owner, _merchant, key = await shop(gql)
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {key}"}}
    if body is not None:
        kwargs["json"] = body
    response = await getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_sender_refuses_private_addresses_and_pins_the_connection() -> None:
    with Receiver() as receiver:
        refused = await PinnedHttpSender(allow_private=False).send(
            f"http://localhost:{receiver.port}/hooks", {"content-type": "application/json"}, b"{}"
        )
        assert refused.status_code is None and "127.0.0.1" in (refused.error or "")
        assert receiver.snapshot() == []  # nothing was sent
        sender = PinnedHttpSender(allow_private=True)
        try:
            answer = await sender.send(f"http://localhost:{receiver.port}/hooks", {"x-test": "1"}, b"{}")
        finally:
            await sender.close()
        [got] = receiver.snapshot()
    assert answer.status_code == 200 and answer.delivered
    assert got.headers["host"] == f"localhost:{receiver.port}"  # the name is kept, the address is pinned


async def test_sender_times_out_and_does_not_follow_redirects() -> None:
    replies = iter([Reply(302, {"Location": "http://169.254.169.254/"}), Reply(200, delay=5)])
    with Receiver(lambda _r: next(replies)) as receiver:
        # The redirect is answered at once, but a loaded machine can take over a second to do it: that
        # sender waits long enough; the other gives up after 0.5 s on an answer that takes 5.
        patient = PinnedHttpSender(allow_private=True, timeout_seconds=10)
        hasty = PinnedHttpSender(allow_private=True, timeout_seconds=0.5)
        try:
            redirected = await patient.send(receiver.url, {}, b"{}")
            slow = await hasty.send(receiver.url, {}, b"{}")
        finally:
            await patient.close()
            await hasty.close()
    assert (
        redirected.status_code == 302 and not redirected.delivered and "redirect" in (redirected.error or "")
    )
    assert slow.status_code is None and "0.5 seconds" in (slow.error or "")


@pytest.mark.parametrize("body", [b"[" * 5000 + b"]" * 5000, b"[" * 100_000, b'{"url":' * 2000])
async def test_a_json_body_nested_too_deeply_is_malformed_json(
    client: AsyncTestClient[Any], gql: GraphQL, body: bytes
) -> None:
    """The decoder's RecursionError used to escape as a 500."""
    _owner, _merchant, key = await shop(gql)
    response = await client.post(
        "/v1/webhooks/endpoints",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/malformed-json")
