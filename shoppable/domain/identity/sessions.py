"""Sign-in sessions: short-lived access tokens, rotating refresh tokens, and ending sessions.

A session is one signed-in device (its channel and a label the person recognizes). Its access tokens
last `TokenConfig.ttl_seconds` (15 minutes); a refresh token is good for one refresh within
`refresh_ttl_seconds` and is replaced by a new one each time (OWASP ASVS 10.4.5). A refresh token
presented a second time means it was copied: the whole session ends, the thief's copy and the
owner's alike. Every session ends `session_max_age_seconds` after sign-in, however active.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import accounts, credentials
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.credentials import TokenConfig
from shoppable.domain.identity.records import AuthSession, RevokedReason, SessionChannel, User

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

MAX_DEVICE_LABEL = 100
INVALID_REFRESH = "This refresh token is invalid or expired; log in again."


@dataclass(frozen=True)
class ClientInfo:
    """Where a sign-in comes from, as the client describes itself."""

    channel: SessionChannel = SessionChannel.OTHER
    device_label: str = ""

    def cleaned(self) -> ClientInfo:
        """Labels are the client's free text: control characters dropped, cut to the column."""
        label = "".join(ch for ch in self.device_label if not accounts.has_control_characters(ch))
        return ClientInfo(self.channel, label.strip()[:MAX_DEVICE_LABEL])


@dataclass(frozen=True)
class AuthResult:
    token: str
    user: User
    refresh_token: str | None = None
    expires_at: datetime | None = None
    session: AuthSession | None = None


def now_utc() -> datetime:
    return datetime.now(UTC)


async def _issue(
    uow: UnitOfWork, tokens: TokenConfig, user: User, session: AuthSession, now: datetime, token_version: int
) -> AuthResult:
    refresh = credentials.new_secret_token(credentials.REFRESH_TOKEN_PREFIX)
    refresh_expires = min(session.expires_at, now + timedelta(seconds=tokens.refresh_ttl_seconds))
    await uow.trust.add_refresh_token(session.id, credentials.hash_secret_token(refresh), refresh_expires)
    ttl = min(tokens.ttl_seconds, max(1, int((session.expires_at - now).total_seconds())))
    access = credentials.issue_token(
        tokens.secret, user.id, token_version, ttl, now=now, session_id=session.id
    )
    return AuthResult(access, user, refresh, now + timedelta(seconds=ttl), session)


async def start_session(
    uow: UnitOfWork, tokens: TokenConfig, user: User, client: ClientInfo, now: datetime
) -> AuthResult:
    """A new session for `user`, inside the caller's write transaction (the caller commits)."""
    client = client.cleaned()
    session = await uow.trust.add_session(
        user.id,
        client.channel.value,
        client.device_label,
        now,
        now + timedelta(seconds=tokens.session_max_age_seconds),
    )
    return await _issue(uow, tokens, user, session, now, user.token_version)


async def refresh(uow: UnitOfWork, tokens: TokenConfig, refresh_token: str) -> AuthResult:
    """Trade a refresh token for a new access token and a new refresh token (the old one is spent).

    A spent token presented again ends its session: whoever holds the newer token is logged out too,
    which is the point (one of the two is a thief, and we cannot tell which).
    """
    now = now_utc()
    if len(refresh_token) > 200 or not refresh_token.startswith(credentials.REFRESH_TOKEN_PREFIX):
        raise DomainError.single(("refreshToken",), ErrorCode.UNAUTHENTICATED, INVALID_REFRESH)
    await uow.begin_write()
    found = await uow.trust.find_refresh_token(credentials.hash_secret_token(refresh_token))
    session = await uow.trust.get_session(found.session_id) if found else None
    if found is None or session is None or not session.active(now):
        raise DomainError.single(("refreshToken",), ErrorCode.UNAUTHENTICATED, INVALID_REFRESH)
    if found.spent_at is not None or not await uow.trust.spend_refresh_token(found.id, now):
        await uow.trust.revoke_sessions(
            session.user_id, RevokedReason.REFRESH_TOKEN_REUSED, now, only=session.id
        )
        await uow.commit()
        raise DomainError.single(
            ("refreshToken",),
            ErrorCode.UNAUTHENTICATED,
            "This refresh token was already used, so the session has been ended; log in again.",
        )
    if found.expires_at <= now:
        raise DomainError.single(("refreshToken",), ErrorCode.UNAUTHENTICATED, INVALID_REFRESH)
    user = await uow.identity.get_user(session.user_id)
    if user is None or user.deleted_at is not None:
        raise DomainError.single(("refreshToken",), ErrorCode.UNAUTHENTICATED, INVALID_REFRESH)
    await uow.trust.touch_session(session.id, now)
    result = await _issue(uow, tokens, user, session, now, user.token_version)
    await uow.commit()
    return result


def _signed_in(actor: Actor) -> int:
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in first.")
    return actor.user_id


async def log_out(uow: UnitOfWork, actor: Actor) -> None:
    """End the caller's current session (its access token stops working at once)."""
    user_id = _signed_in(actor)
    if actor.session_id is None:
        raise DomainError.single((), ErrorCode.INVALID, "This token belongs to no session.")
    await uow.begin_write()
    await uow.trust.revoke_sessions(user_id, RevokedReason.LOGGED_OUT, now_utc(), only=actor.session_id)
    await uow.commit()


async def revoke_session(uow: UnitOfWork, actor: Actor, session_id: int) -> AuthSession:
    """End one of the caller's sessions (a lost phone); another person's reads as not found."""
    user_id = _signed_in(actor)
    await uow.begin_write()
    session = await uow.trust.get_session(session_id)
    now = now_utc()
    if session is None or session.user_id != user_id or not session.active(now):
        raise DomainError.single(("sessionId",), ErrorCode.NOT_FOUND, "No such session.")
    await uow.trust.revoke_sessions(user_id, RevokedReason.REVOKED, now, only=session.id)
    await uow.commit()
    return session


async def list_sessions(uow: UnitOfWork, actor: Actor) -> list[AuthSession]:
    user_id = _signed_in(actor)
    return await uow.trust.active_sessions(user_id, now_utc())


@dataclass(frozen=True)
class ChangePassword:
    current_password: str
    new_password: str
    sign_out_other_sessions: bool = True


async def change_password(
    uow: UnitOfWork, tokens: TokenConfig, actor: Actor, form: ChangePassword
) -> AuthResult:
    """Every access token issued before dies (token version); the other sessions end too unless the
    caller keeps them (they may then refresh). The caller's session goes on with new tokens."""
    user_id = _signed_in(actor)
    user = await uow.identity.get_user(user_id)
    if user is None or actor.session_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in first.")
    errors = accounts.password_errors(form.new_password, user.email, ("newPassword",))
    if errors:
        raise DomainError(*errors)
    fits = len(form.current_password) <= accounts.MAX_PASSWORD
    stored = await uow.trust.password_hash_of(user_id)
    if not fits or not await credentials.verify_password(stored, form.current_password):
        raise DomainError.single(
            ("currentPassword",), ErrorCode.UNAUTHENTICATED, "The current password is wrong."
        )
    new_hash = await credentials.hash_password(form.new_password)
    now = now_utc()
    await uow.begin_write()
    await uow.trust.set_password(user_id, new_hash)
    await uow.trust.use_password_resets(user_id, now)
    if form.sign_out_other_sessions:
        await uow.trust.revoke_sessions(user_id, RevokedReason.PASSWORD_CHANGED, now, keep=actor.session_id)
    session = await uow.trust.get_session(actor.session_id)
    if session is None or not session.active(now):
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "This session has ended; log in again.")
    result = await _issue(uow, tokens, user, session, now, user.token_version + 1)
    await uow.commit()
    return result
