"""Sessions through the real app on SQLite and PostgreSQL: short access tokens, rotating refresh
tokens with reuse detection, the session list, log-out, revocation, password change, lifetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import update

from shoppable.storage.db import Database
from shoppable.storage.tables import AuthSessionRow
from tests.graphql.trust_helpers import PASSWORD, REFRESH, call, logged_in, signed_up, status_of

SESSIONS = "{ viewer { sessions { id channel deviceLabel current lastSeenAt expiresAt } } }"
REVOKE = (
    "mutation($i: RevokeSessionInput!) { revokeSession(input: $i) { revoked userErrors { field code } } }"
)
LOG_OUT = "mutation { logOut { loggedOut userErrors { code } } }"
CHANGE = """mutation($i: ChangePasswordInput!) { changePassword(input: $i) {
  token refreshToken userErrors { field code } } }"""


async def refresh(client: AsyncTestClient[Any], token: str) -> dict[str, Any]:
    return (await call(client, REFRESH, {"i": {"refreshToken": token}}))["data"]["refreshToken"]


async def test_access_tokens_are_short_and_refresh_tokens_rotate(client: AsyncTestClient[Any]) -> None:
    first = await signed_up(client, "rotate@example.com", channel="APP", deviceLabel="Ana's iPhone")
    assert first["session"] == {
        "id": first["session"]["id"],
        "channel": "APP",
        "deviceLabel": "Ana's iPhone",
        "current": True,
    }
    lifetime = datetime.fromisoformat(first["expiresAt"]) - datetime.now(UTC)
    assert timedelta(minutes=14) < lifetime <= timedelta(minutes=15)
    second = await refresh(client, first["refreshToken"])
    assert second["userErrors"] == [] and second["token"] and second["refreshToken"] != first["refreshToken"]
    assert second["session"]["id"] == first["session"]["id"]
    assert await status_of(client, second["token"]) == 200
    third = await refresh(client, second["refreshToken"])
    assert third["userErrors"] == []


async def test_a_spent_refresh_token_used_again_ends_the_whole_session(client: AsyncTestClient[Any]) -> None:
    first = await signed_up(client, "reuse@example.com")
    other_device = await logged_in(client, "reuse@example.com", channel="WEB")
    second = await refresh(client, first["refreshToken"])
    replay = await refresh(client, first["refreshToken"])  # a thief's copy of the spent token
    assert replay["token"] is None
    assert (
        replay["userErrors"][0]["code"] == "UNAUTHENTICATED"
        and "already used" in replay["userErrors"][0]["message"]
    )
    # The whole family is dead: the newer refresh token, and access tokens issued to the session.
    assert (await refresh(client, second["refreshToken"]))["userErrors"][0]["code"] == "UNAUTHENTICATED"
    assert await status_of(client, second["token"]) == 401
    assert await status_of(client, first["token"]) == 401
    # Another session of the same account is untouched.
    assert await status_of(client, other_device["token"]) == 200
    assert (await refresh(client, other_device["refreshToken"]))["userErrors"] == []


async def test_garbage_and_foreign_refresh_tokens_are_user_errors(client: AsyncTestClient[Any]) -> None:
    for bad in ("", "rt_nope", "x" * 5000, "rt_" + "a" * 43, "\x00"):
        payload = await refresh(client, bad)
        assert payload["token"] is None and payload["userErrors"][0]["code"] == "UNAUTHENTICATED", bad


async def test_sessions_are_listed_and_one_can_be_revoked_but_not_someone_elses(
    client: AsyncTestClient[Any],
) -> None:
    phone = await signed_up(client, "list@example.com", channel="APP", deviceLabel="Phone")
    watch = await logged_in(client, "list@example.com", channel="WATCH", deviceLabel="Watch")
    web = await logged_in(
        client, "list@example.com", headers={"User-Agent": "Firefox/140", "X-Channel": "web"}
    )
    listed = (await call(client, SESSIONS, token=phone["token"]))["data"]["viewer"]["sessions"]
    assert [(s["channel"], s["deviceLabel"], s["current"]) for s in listed] == [
        ("WEB", "Firefox/140", False),
        ("WATCH", "Watch", False),
        ("APP", "Phone", True),
    ]
    stranger = await signed_up(client, "stranger@example.com")
    denied = await call(client, REVOKE, {"i": {"sessionId": watch["session"]["id"]}}, token=stranger["token"])
    assert denied["data"]["revokeSession"] == {
        "revoked": False,
        "userErrors": [{"field": ["sessionId"], "code": "NOT_FOUND"}],
    }
    node = await call(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": watch["session"]["id"]},
        token=stranger["token"],
    )
    assert node["data"]["node"] is None
    revoked = await call(client, REVOKE, {"i": {"sessionId": watch["session"]["id"]}}, token=phone["token"])
    assert revoked["data"]["revokeSession"] == {"revoked": True, "userErrors": []}
    assert await status_of(client, watch["token"]) == 401
    assert (await refresh(client, watch["refreshToken"]))["userErrors"][0]["code"] == "UNAUTHENTICATED"
    assert await status_of(client, web["token"]) == 200
    listed = (await call(client, SESSIONS, token=phone["token"]))["data"]["viewer"]["sessions"]
    assert [s["channel"] for s in listed] == ["WEB", "APP"]


async def test_log_out_ends_the_current_session_only(client: AsyncTestClient[Any]) -> None:
    phone = await signed_up(client, "logout@example.com")
    laptop = await logged_in(client, "logout@example.com")
    out = await call(client, LOG_OUT, token=laptop["token"])
    assert out["data"]["logOut"] == {"loggedOut": True, "userErrors": []}
    assert await status_of(client, laptop["token"]) == 401
    assert (await refresh(client, laptop["refreshToken"]))["userErrors"][0]["code"] == "UNAUTHENTICATED"
    assert await status_of(client, phone["token"]) == 200
    anonymous = await call(client, LOG_OUT)
    assert anonymous["data"]["logOut"]["userErrors"] == [{"code": "UNAUTHENTICATED"}]


async def test_change_password_ends_other_sessions_unless_asked_not_to(client: AsyncTestClient[Any]) -> None:
    phone = await signed_up(client, "change@example.com")
    laptop = await logged_in(client, "change@example.com")
    wrong = await call(
        client,
        CHANGE,
        {"i": {"currentPassword": "not it at all", "newPassword": "a brand new secret"}},
        token=phone["token"],
    )
    assert wrong["data"]["changePassword"]["userErrors"] == [
        {"field": ["currentPassword"], "code": "UNAUTHENTICATED"}
    ]
    weak = await call(
        client,
        CHANGE,
        {"i": {"currentPassword": PASSWORD, "newPassword": "password123"}},
        token=phone["token"],
    )
    assert weak["data"]["changePassword"]["userErrors"] == [{"field": ["newPassword"], "code": "INVALID"}]
    changed = (
        await call(
            client,
            CHANGE,
            {"i": {"currentPassword": PASSWORD, "newPassword": "a brand new secret"}},
            token=phone["token"],
        )
    )["data"]["changePassword"]
    assert changed["userErrors"] == [] and changed["token"]
    assert await status_of(client, phone["token"]) == 401  # issued before the change
    assert await status_of(client, changed["token"]) == 200  # this session goes on
    assert await status_of(client, laptop["token"]) == 401
    assert (await refresh(client, laptop["refreshToken"]))["userErrors"][0]["code"] == "UNAUTHENTICATED"
    old = await call(client, "mutation($i: LogInInput!) { logIn(input: $i) { token userErrors { code } } }",
                     {"i": {"email": "change@example.com", "password": PASSWORD}})  # fmt: skip
    assert old["data"]["logIn"]["token"] is None
    # Keeping the other sessions: their access tokens die, their refresh tokens still work.
    tablet = (await call(client, "mutation($i: LogInInput!) { logIn(input: $i) { token refreshToken } }",
                         {"i": {"email": "change@example.com", "password": "a brand new secret"}}))["data"]["logIn"]  # fmt: skip
    kept = (await call(client, CHANGE, {"i": {"currentPassword": "a brand new secret", "newPassword": "third secret here", "signOutOtherSessions": False}}, token=changed["token"]))["data"]["changePassword"]  # fmt: skip
    assert kept["userErrors"] == []
    assert await status_of(client, tablet["token"]) == 401
    assert (await refresh(client, tablet["refreshToken"]))["userErrors"] == []


async def test_a_session_past_its_absolute_lifetime_cannot_be_used_or_refreshed(
    client: AsyncTestClient[Any], database: Database
) -> None:
    ana = await signed_up(client, "lifetime@example.com")
    async with database.engine.begin() as conn:
        await conn.execute(
            update(AuthSessionRow.__table__).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))  # type: ignore[attr-defined]
        )
    assert await status_of(client, ana["token"]) == 401
    assert (await refresh(client, ana["refreshToken"]))["userErrors"][0]["code"] == "UNAUTHENTICATED"
    listed = await logged_in(client, "lifetime@example.com")
    sessions = (await call(client, SESSIONS, token=listed["token"]))["data"]["viewer"]["sessions"]
    assert len(sessions) == 1 and sessions[0]["current"]
