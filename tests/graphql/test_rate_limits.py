"""Rate limits through the real app: small limits set per test, each test on its own keys."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.api.app import create_app
from shoppable.api.problems import handle_domain_error
from shoppable.domain.rate_limits import SIGN_UP_PER_IP, RateLimited
from shoppable.graphql.core.ids import encode_id
from shoppable.settings import Settings
from tests.factories import CREATE_UPLOAD, SIGN_UP, make_image

LOG_IN = (
    """mutation($input: LogInInput!) { logIn(input: $input) { token userErrors { field code message } } }"""
)
Call = Callable[..., Any]


@asynccontextmanager
async def app_with(settings: Settings, **limits: str) -> AsyncIterator[Call]:
    """A client of an app whose named limits (`sign_up_per_ip="2/3600"`) are the given ones."""
    tuned = {**settings.rate_limits, **{name.replace("_", "-"): rate for name, rate in limits.items()}}
    app = create_app(settings.model_copy(update={"rate_limits": tuned}))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:

        async def call(
            query: str, variables: dict[str, Any], token: str | None = None, **headers: str
        ) -> Any:
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            assert response.status_code == 200, response.text
            return response.json()["data"]

        yield call


def new_email() -> str:
    return f"limit-{uuid.uuid4().hex[:12]}@example.com"


async def sign_up(call: Call, email: str | None = None) -> dict[str, Any]:
    email = email or new_email()
    variables = {"input": {"email": email, "password": "correct horse battery", "displayName": "Ana"}}
    payload = (await call(SIGN_UP, variables))["signUp"]
    assert payload["userErrors"] == [], payload
    return {"email": email, "token": payload["token"]}


async def log_in(call: Call, email: str, password: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await call(LOG_IN, {"input": {"email": email, "password": password}}))["logIn"]
    return payload


def assert_rate_limited(errors: list[dict[str, Any]]) -> None:
    assert [e["code"] for e in errors] == ["RATE_LIMITED"], errors
    seconds = re.search(r"try again in (\d+) seconds", errors[0]["message"])
    assert seconds and 1 <= int(seconds[1]) <= 3600, errors[0]["message"]


async def test_failed_log_ins_lock_the_account_even_for_the_right_password(settings: Settings) -> None:
    async with app_with(settings, log_in_failures_per_account="3/3600") as call:
        ana, bea = await sign_up(call), await sign_up(call)
        for _ in range(3):
            wrong = await log_in(call, ana["email"], "not the password at all")
            assert [e["code"] for e in wrong["userErrors"]] == ["UNAUTHENTICATED"]
        right = await log_in(call, ana["email"].upper(), "correct horse battery")
        assert right["token"] is None
        assert_rate_limited(right["userErrors"])
        # Another account from the same address is not locked.
        assert (await log_in(call, bea["email"], "correct horse battery"))["token"]
        # An email without an account is limited the same way (the limit reveals no accounts).
        ghost = new_email()
        for _ in range(3):
            await log_in(call, ghost, "not the password at all")
        assert_rate_limited((await log_in(call, ghost, "not the password at all"))["userErrors"])


async def test_successful_log_ins_do_not_count(settings: Settings) -> None:
    async with app_with(settings, log_in_failures_per_account="2/3600") as call:
        ana = await sign_up(call)
        for _ in range(4):
            assert (await log_in(call, ana["email"], "correct horse battery"))["token"]


async def test_failed_log_ins_are_limited_per_address_across_accounts(settings: Settings) -> None:
    async with app_with(settings, log_in_failures_per_ip="3/3600") as call:
        for _ in range(3):
            failed = await log_in(call, new_email(), "not the password at all")
            assert [e["code"] for e in failed["userErrors"]] == ["UNAUTHENTICATED"]
        assert_rate_limited((await log_in(call, new_email(), "not the password at all"))["userErrors"])


async def test_sign_ups_are_limited_per_address(settings: Settings) -> None:
    async with app_with(settings, sign_up_per_ip="2/3600") as call:
        await sign_up(call)
        await sign_up(call)
        variables = {"input": {"email": new_email(), "password": "correct horse battery", "displayName": "x"}}
        payload = (await call(SIGN_UP, variables))["signUp"]
        assert payload["token"] is None
        assert_rate_limited(payload["userErrors"])


async def test_create_upload_is_limited_per_user(settings: Settings) -> None:
    data = make_image()
    variables = {"input": {"filename": "a.png", "contentType": "image/png", "byteSize": len(data)}}
    async with app_with(settings, create_upload_per_actor="2/3600") as call:
        ana, bea = await sign_up(call), await sign_up(call)
        for _ in range(2):
            assert (await call(CREATE_UPLOAD, variables, ana["token"]))["createUpload"]["userErrors"] == []
        assert_rate_limited(
            (await call(CREATE_UPLOAD, variables, ana["token"]))["createUpload"]["userErrors"]
        )
        assert (await call(CREATE_UPLOAD, variables, bea["token"]))["createUpload"]["userErrors"] == []


async def test_track_events_is_limited_per_device(settings: Settings) -> None:
    track = (
        "mutation($i: TrackEventsInput!) { trackEvents(input: $i) { accepted userErrors { code message } } }"
    )
    async with app_with(settings, track_events_per_actor="2/60") as call:
        for _ in range(2):
            ok = await call(track, {"i": {"events": []}}, **{"X-Device-Id": "watch-1"})
            assert ok["trackEvents"]["userErrors"] == []
        limited = await call(track, {"i": {"events": []}}, **{"X-Device-Id": "watch-1"})
        assert_rate_limited(limited["trackEvents"]["userErrors"])
        other = await call(track, {"i": {"events": []}}, **{"X-Device-Id": "watch-2"})
        assert other["trackEvents"]["userErrors"] == []


async def test_anonymous_devices_are_also_limited_per_address(settings: Settings) -> None:
    """Rotating X-Device-Id does not get around the limit: anonymous calls count per address too."""
    track = "mutation($i: TrackEventsInput!) { trackEvents(input: $i) { userErrors { code message } } }"
    async with app_with(settings, anonymous_track_events_per_ip="3/60") as call:
        for n in range(3):
            ok = await call(track, {"i": {"events": []}}, **{"X-Device-Id": f"rotating-{n}"})
            assert ok["trackEvents"]["userErrors"] == []
        limited = await call(track, {"i": {"events": []}}, **{"X-Device-Id": "rotating-fresh"})
        assert_rate_limited(limited["trackEvents"]["userErrors"])
        signed_in = await sign_up(call)
        mine = await call(track, {"i": {"events": []}}, signed_in["token"])
        assert mine["trackEvents"]["userErrors"] == []  # signed-in users are counted as themselves


async def test_report_post_and_hide_from_feed_are_limited_per_user(settings: Settings) -> None:
    report = "mutation($i: ReportPostInput!) { reportPost(input: $i) { userErrors { code message } } }"
    hide = "mutation($i: HideFromFeedInput!) { hideFromFeed(input: $i) { userErrors { code message } } }"
    post = {"i": {"postId": encode_id("Post", 999_999), "reason": "SPAM"}}
    creator = {"i": {"subjectId": encode_id("Creator", 999_999)}}
    async with app_with(settings, report_post_per_actor="1/3600", hide_from_feed_per_actor="1/3600") as call:
        ana = await sign_up(call)
        first = (await call(report, post, ana["token"]))["reportPost"]["userErrors"]
        assert [e["code"] for e in first] == ["NOT_FOUND"]  # counted all the same
        assert_rate_limited((await call(report, post, ana["token"]))["reportPost"]["userErrors"])
        hidden = (await call(hide, creator, ana["token"]))["hideFromFeed"]["userErrors"]
        assert [e["code"] for e in hidden] == ["NOT_FOUND"]  # no such creator, counted all the same
        assert_rate_limited((await call(hide, creator, ana["token"]))["hideFromFeed"]["userErrors"])


async def test_log_in_limits_are_shared_through_redis(settings: Settings, redis_url: str) -> None:
    """Two app instances (two processes in production) count the same failures."""
    on_redis = settings.model_copy(update={"redis_url": redis_url, "saq_queue": f"test-{uuid.uuid4().hex}"})
    email = new_email()  # a key no other run has used
    async with app_with(on_redis, log_in_failures_per_account="2/60") as first:
        await sign_up(first, email)
        await log_in(first, email, "not the password at all")
        async with app_with(on_redis, log_in_failures_per_account="2/60") as second:
            await log_in(second, email, "not the password at all")
            assert_rate_limited((await log_in(first, email, "correct horse battery"))["userErrors"])


def test_rest_answers_429_with_retry_after() -> None:
    response = handle_domain_error(None, RateLimited(SIGN_UP_PER_IP, 41.2))  # type: ignore[arg-type]
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"
    assert response.media_type == "application/problem+json"
