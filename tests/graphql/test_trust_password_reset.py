"""Password reset by email through the real app, on SQLite and PostgreSQL, with a real SMTP server
(aiosmtpd) receiving the mail over the network: no mock of the sender."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from shoppable.api.app import create_app
from shoppable.settings import Settings
from shoppable.storage.tables import OutboxEmailRow, PasswordResetRow
from tests.graphql.trust_helpers import PASSWORD, REFRESH, call, logged_in, signed_up, status_of

REQUEST = """mutation($i: RequestPasswordResetInput!) { requestPasswordReset(input: $i) {
  accepted userErrors { field code } } }"""
RESET = """mutation($i: ResetPasswordInput!) { resetPassword(input: $i) {
  token refreshToken session { current } userErrors { field code } } }"""
NEW_PASSWORD = "a completely new one"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int) -> list[Message]:
        """The SMTP server runs on its own thread and loop: poll, for at most ten seconds."""
        for _ in range(200):
            if len(self.messages) >= count:
                return self.messages
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} of {count} messages arrived")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
async def mail_client(settings: Settings, inbox: tuple[Inbox, int]) -> AsyncIterator[AsyncTestClient[Any]]:
    configured = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": inbox[1],
            "smtp_starttls": False,
            "password_reset_url": "https://shop.example/reset-password",
        }
    )
    app = create_app(configured)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


def link_token(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"https://shop\.example/reset-password\?token=(\S+)", body.decode())
    assert found, body
    return found.group(1)


async def test_reset_mail_arrives_and_its_link_works_once(
    mail_client: AsyncTestClient[Any], inbox: tuple[Inbox, int]
) -> None:
    received, _ = inbox
    phone = await signed_up(mail_client, "forgetful@example.com")
    laptop = await logged_in(mail_client, "forgetful@example.com")
    asked = await call(mail_client, REQUEST, {"i": {"email": "Forgetful@Example.com"}})
    assert asked["data"]["requestPasswordReset"] == {"accepted": True, "userErrors": []}
    (message,) = await received.wait_for(1)
    assert message["To"] == "forgetful@example.com" and "password" in message["Subject"].lower()
    token = link_token(message)
    reset = (await call(mail_client, RESET, {"i": {"token": token, "newPassword": NEW_PASSWORD}}))["data"][
        "resetPassword"
    ]
    assert reset["userErrors"] == [] and reset["token"] and reset["session"]["current"]
    # Every earlier session ended; the new one works; the old password does not.
    for old in (phone, laptop):
        assert await status_of(mail_client, old["token"]) == 401
        stale = (await call(mail_client, REFRESH, {"i": {"refreshToken": old["refreshToken"]}}))["data"][
            "refreshToken"
        ]
        assert stale["userErrors"][0]["code"] == "UNAUTHENTICATED"
    assert await status_of(mail_client, reset["token"]) == 200
    again = (await call(mail_client, RESET, {"i": {"token": token, "newPassword": "yet another secret"}}))[
        "data"
    ]["resetPassword"]
    assert again["token"] is None and again["userErrors"] == [{"field": ["token"], "code": "INVALID"}]
    login = await call(mail_client, "mutation($i: LogInInput!) { logIn(input: $i) { token } }",
                       {"i": {"email": "forgetful@example.com", "password": NEW_PASSWORD}})  # fmt: skip
    assert login["data"]["logIn"]["token"]


async def test_unknown_email_gets_the_same_answer_and_no_mail(
    mail_client: AsyncTestClient[Any], inbox: tuple[Inbox, int]
) -> None:
    received, _ = inbox
    await signed_up(mail_client, "known@example.com")
    unknown = await call(mail_client, REQUEST, {"i": {"email": "nobody@example.com"}})
    known = await call(mail_client, REQUEST, {"i": {"email": "known@example.com"}})
    assert unknown == known
    await received.wait_for(1)
    await asyncio.sleep(0.3)
    assert [m["To"] for m in received.messages] == ["known@example.com"]
    bad = await call(mail_client, REQUEST, {"i": {"email": "not an email"}})
    assert bad["data"]["requestPasswordReset"]["userErrors"] == [{"field": ["email"], "code": "INVALID"}]


async def test_forged_expired_and_weak_resets_are_refused(
    mail_client: AsyncTestClient[Any], inbox: tuple[Inbox, int], database: Any
) -> None:
    received, _ = inbox
    await signed_up(mail_client, "careful@example.com")
    for forged in ("", "pr_forged", "x" * 1000):
        refused = (await call(mail_client, RESET, {"i": {"token": forged, "newPassword": NEW_PASSWORD}}))[
            "data"
        ]["resetPassword"]
        assert refused["userErrors"] == [{"field": ["token"], "code": "INVALID"}], forged
    await call(mail_client, REQUEST, {"i": {"email": "careful@example.com"}})
    token = link_token((await received.wait_for(1))[0])
    weak = (await call(mail_client, RESET, {"i": {"token": token, "newPassword": "password123"}}))["data"][
        "resetPassword"
    ]
    assert weak["userErrors"] == [{"field": ["newPassword"], "code": "INVALID"}]
    async with database.engine.begin() as conn:
        await conn.execute(
            update(PasswordResetRow.__table__).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )  # type: ignore[attr-defined]
    expired = (await call(mail_client, RESET, {"i": {"token": token, "newPassword": NEW_PASSWORD}}))["data"][
        "resetPassword"
    ]
    assert expired["userErrors"] == [{"field": ["token"], "code": "INVALID"}]
    assert PASSWORD  # the old password still works
    await logged_in(mail_client, "careful@example.com")


async def test_sent_mail_keeps_no_link_in_the_outbox(
    mail_client: AsyncTestClient[Any], inbox: tuple[Inbox, int], database: Any
) -> None:
    received, _ = inbox
    await signed_up(mail_client, "outbox@example.com")
    await call(mail_client, REQUEST, {"i": {"email": "outbox@example.com"}})
    await received.wait_for(1)
    outbox = OutboxEmailRow.__table__  # type: ignore[attr-defined]
    for _ in range(50):
        async with database.engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.body, outbox.c.sent_at))).all()
        if rows and rows[0].sent_at is not None:
            break
        await asyncio.sleep(0.05)
    assert [(r.body, r.sent_at is not None) for r in rows] == [("", True)]
