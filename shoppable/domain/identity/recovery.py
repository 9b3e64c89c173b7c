"""Forgotten passwords: a single-use, expiring link by email, through an outbox.

`request_password_reset` answers the same whether or not the address has an account, and does the
same work before answering either way (the mail itself leaves later, from the outbox job), so
neither the answer nor its timing tells which emails are registered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from shoppable.domain import rate_limits
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import accounts, credentials
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.credentials import TokenConfig
from shoppable.domain.identity.records import OutboxEmail, RevokedReason
from shoppable.domain.identity.sessions import AuthResult, ClientInfo, start_session
from shoppable.domain.rate_limits import RateLimiter

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

log = logging.getLogger("shoppable.mail")

RESET_TTL = timedelta(minutes=30)
RESET_TOKEN_PREFIX = "pr_"
MAX_SEND_ATTEMPTS = 8
INVALID_LINK = "This reset link is invalid, used or expired; ask for a new one."


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    body: str


class MailSender(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail server; raises MailError when it is not accepted."""
        ...


class MailError(Exception):
    """The mail server refused or could not be reached; the outbox tries again later."""


class RecoveryServices(Protocol):
    @property
    def tokens(self) -> TokenConfig: ...

    @property
    def rate_limits(self) -> RateLimiter: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def password_reset_url(self) -> str:
        """The page of the shop's apps that takes `?token=`."""
        ...


def reset_email(to: str, link: str) -> EmailMessage:
    minutes = int(RESET_TTL.total_seconds() // 60)
    return EmailMessage(
        to=to,
        subject="Reset your Shoppable password",
        body=(
            "Someone (we hope you) asked to reset the password of your Shoppable account.\n\n"
            f"Open this link within {minutes} minutes to choose a new one; it works once:\n\n"
            f"{link}\n\n"
            "If it was not you, ignore this message: your password stays as it is.\n"
        ),
    )


async def request_password_reset(
    uow: UnitOfWork, services: RecoveryServices, actor: Actor, email: str
) -> str | None:
    """Queue a reset link for `email` when it has an account; returns the new outbox id (None when
    there is no account: the caller answers the same either way)."""
    normalized = accounts.normalize_email(email)
    if accounts.email_errors(normalized):
        raise DomainError(*accounts.email_errors(normalized))
    await services.rate_limits.hit(rate_limits.PASSWORD_RESET_PER_IP, rate_limits.ip_key(actor))
    await services.rate_limits.hit(rate_limits.PASSWORD_RESET_PER_EMAIL, f"email:{normalized}")
    token = credentials.new_secret_token(RESET_TOKEN_PREFIX)
    await uow.begin_write()
    found = await uow.identity.get_user_with_password(normalized)
    if found is None or found[0].deleted_at is not None:
        await uow.rollback()
        return None
    user = found[0]
    now = services.clock()
    await uow.trust.use_password_resets(user.id, now)  # only the newest link works
    await uow.trust.add_password_reset(user.id, credentials.hash_secret_token(token), now + RESET_TTL)
    separator = "&" if "?" in services.password_reset_url else "?"
    message = reset_email(user.email, f"{services.password_reset_url}{separator}token={quote(token)}")
    outbox_id = await uow.trust.add_email(user.id, message.to, message.subject, message.body)
    await uow.commit()
    return str(outbox_id)


@dataclass(frozen=True)
class ResetPassword:
    token: str
    new_password: str
    client: ClientInfo = field(default_factory=ClientInfo)


async def reset_password(uow: UnitOfWork, services: RecoveryServices, form: ResetPassword) -> AuthResult:
    """Set a new password with a reset link: every session ends, every other link dies, and the
    caller is signed in with a new session."""
    now = services.clock()
    if len(form.token) > 200 or not form.token.startswith(RESET_TOKEN_PREFIX):
        raise DomainError.single(("token",), ErrorCode.INVALID, INVALID_LINK)
    found = await uow.trust.find_password_reset(credentials.hash_secret_token(form.token))
    if found is None or found.used_at is not None or found.expires_at <= now:
        raise DomainError.single(("token",), ErrorCode.INVALID, INVALID_LINK)
    user = await uow.identity.get_user(found.user_id)
    if user is None or user.deleted_at is not None:
        raise DomainError.single(("token",), ErrorCode.INVALID, INVALID_LINK)
    errors = accounts.password_errors(form.new_password, user.email, ("newPassword",))
    if errors:
        raise DomainError(*errors)
    new_hash = await credentials.hash_password(form.new_password)
    await uow.begin_write()
    again = await uow.trust.find_password_reset(credentials.hash_secret_token(form.token))
    if again is None or again.used_at is not None:  # used by a concurrent request meanwhile
        raise DomainError.single(("token",), ErrorCode.INVALID, INVALID_LINK)
    await uow.trust.use_password_resets(user.id, now)
    await uow.trust.set_password(user.id, new_hash)
    await uow.trust.revoke_sessions(user.id, RevokedReason.PASSWORD_RESET, now)
    result = await start_session(
        uow, services.tokens, replace(user, token_version=user.token_version + 1), form.client, now
    )
    await uow.commit()
    return result


async def send_outbox(uow: UnitOfWork, sender: MailSender, now: datetime, limit: int = 50) -> int:
    """Send what waits in the outbox; a failure is counted and retried on the next run (up to
    MAX_SEND_ATTEMPTS). Returns how many were sent."""
    pending: list[OutboxEmail] = await uow.trust.pending_emails(limit, MAX_SEND_ATTEMPTS)
    sent = 0
    for email in pending:
        try:
            await sender.send(EmailMessage(email.to_address, email.subject, email.body))
        except MailError as exc:
            log.warning("outbox mail %s not sent (attempt %d): %s", email.id, email.attempts + 1, exc)
            await uow.begin_write()
            await uow.trust.mark_email_failed(email.id, str(exc)[:500])
            await uow.commit()
            continue
        await uow.begin_write()
        await uow.trust.mark_email_sent(email.id, now)
        await uow.commit()
        sent += 1
    return sent
