"""Pure webhook rules: the retry schedule, Retry-After, addresses, URLs, payload size, signatures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shoppable.domain.webhooks.addresses import endpoint_url_problem, public_address
from shoppable.domain.webhooks.catalog_events import crossed_low_stock
from shoppable.domain.webhooks.delivery import signed_headers
from shoppable.domain.webhooks.events import MAX_PAYLOAD_BYTES, envelope
from shoppable.domain.webhooks.schedule import (
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER,
    RETRY_DELAYS,
    parse_retry_after,
    retry_delay,
)
from shoppable.domain.webhooks.service import new_secret

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_schedule_is_standard_webhooks_example_over_about_three_days() -> None:
    assert MAX_ATTEMPTS == 10
    total = sum(RETRY_DELAYS, timedelta())
    assert timedelta(days=3) <= total <= timedelta(days=3, hours=6)
    assert list(RETRY_DELAYS) == sorted(RETRY_DELAYS)


@pytest.mark.parametrize("attempt", range(1, MAX_ATTEMPTS))
def test_jitter_stays_within_twenty_percent(attempt: int) -> None:
    base = RETRY_DELAYS[attempt - 1]
    low, mid, high = (retry_delay(attempt, lambda v=v: v) for v in (0.0, 0.5, 0.999999))
    assert low == base * 0.8 and mid == base
    assert high is not None and base * 1.19 < high <= base * 1.2


def test_schedule_spent_after_last_attempt() -> None:
    assert retry_delay(MAX_ATTEMPTS, lambda: 0.5) is None


def test_retry_after_postpones_but_never_hastens() -> None:
    assert retry_delay(1, lambda: 0.5, timedelta(seconds=120)) == timedelta(seconds=120)
    assert retry_delay(4, lambda: 0.5, timedelta(seconds=120)) == timedelta(hours=2)  # schedule is later
    assert retry_delay(1, lambda: 0.5, timedelta(days=9)) == MAX_RETRY_AFTER


def test_retry_after_forms() -> None:
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 30 Nov 2026 12:05:00 GMT", NOW) == timedelta(minutes=5)
    assert parse_retry_after("Mon, 30 Nov 2026 11:00:00 GMT", NOW) == timedelta(0)
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("99999999999", NOW) == MAX_RETRY_AFTER


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::",
     "224.0.0.1", "255.255.255.255", "not-an-ip"],
)  # fmt: skip
def test_private_addresses_are_refused(address: str) -> None:
    assert not public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert public_address(address)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "https"),
        ("ftp://hooks.example.com/x", "https"),
        ("https://127.0.0.1/x", "private"),
        ("https://[::1]/x", "private"),
        ("https://169.254.169.254/latest", "private"),
        ("https://localhost/x", "public host"),
        ("https://printer.local/x", "public host"),
        ("https://intranet/x", "public host"),
        ("https://user:pw@hooks.example.com/", "user name"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com:99999/", "not valid"),
        ("https://" + "a" * 2100 + ".com/", "longer"),
        ("", "Give"),
    ],
)
def test_endpoint_urls_refused(url: str, problem: str) -> None:
    found = endpoint_url_problem(url, allow_private=False)
    assert found is not None and problem in found


def test_endpoint_urls_accepted() -> None:
    assert endpoint_url_problem("https://hooks.example.com/shoppable?x=1", allow_private=False) is None
    assert endpoint_url_problem("http://127.0.0.1:8080/hooks", allow_private=True) is None


def test_low_stock_is_a_crossing_not_a_level() -> None:
    assert crossed_low_stock(6, 5, 5)
    assert crossed_low_stock(10, 0, 5)
    assert not crossed_low_stock(5, 4, 5)  # already low
    assert not crossed_low_stock(4, 8, 5)
    assert not crossed_low_stock(None, 1, 5)
    assert not crossed_low_stock(9, None, 5)


def test_envelope_is_compact_versioned_and_bounded() -> None:
    body = envelope("product.updated", NOW, {"id": 7, "handle": "tee", "title": "T"})
    payload = json.loads(body)
    assert payload["type"] == "product.updated"
    assert payload["timestamp"] == "2026-11-30T12:00:00Z"
    assert payload["version"] and payload["data"]["id"] == 7
    huge = envelope("product.updated", NOW, {"id": 7, "handle": "tee", "description": "x" * 50_000})
    assert len(huge.encode()) < MAX_PAYLOAD_BYTES
    assert json.loads(huge)["data"] == {"id": 7, "handle": "tee", "truncated": True}


def test_signatures_verify_with_standardwebhooks_and_rotation_sends_two() -> None:
    old, new = new_secret(), new_secret()
    body = envelope("webhook.test", NOW, {"message": "hi"})
    now = datetime.now(UTC)
    headers = signed_headers("msg_1", now, body, [new, old])
    assert headers["webhook-signature"].count("v1,") == 2
    assert Webhook(new).verify(body, headers)["type"] == "webhook.test"
    assert Webhook(old).verify(body, headers)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace("hi", "ho"), headers)
