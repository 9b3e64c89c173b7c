"""Passwords (argon2id), signed access tokens (JWT) and merchant API keys."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
T = TypeVar("T")

API_KEY_PREFIX = "shp_"
TOKEN_ISSUER = "shoppable"


ACCESS_TOKEN_TTL_SECONDS = 15 * 60
REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600
"""A session not refreshed for this long ends (idle timeout)."""
SESSION_MAX_AGE_SECONDS = 90 * 24 * 3600
"""Every session ends this long after sign-in, however active (absolute lifetime)."""
REFRESH_TOKEN_PREFIX = "rt_"


@dataclass(frozen=True)
class TokenConfig:
    secret: str
    ttl_seconds: int = ACCESS_TOKEN_TTL_SECONDS
    refresh_ttl_seconds: int = REFRESH_TOKEN_TTL_SECONDS
    session_max_age_seconds: int = SESSION_MAX_AGE_SECONDS


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps "no such user" as slow as "wrong password" (no user enumeration
    by timing). Made on first use, in a worker thread, not when the module is imported."""
    return _hasher.hash("not-a-real-password")


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# argon2 takes a few hundred milliseconds of CPU by design: in a worker thread (argon2-cffi releases
# the GIL), so that the event loop keeps answering everyone else meanwhile, and only half the cores'
# worth at once (each hash runs `parallelism` lanes), so that a burst of log-ins cannot starve it.
_HASHING_SLOTS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))


def _in_slot(work: Callable[..., T], *args: Any) -> T:
    with _HASHING_SLOTS:
        return work(*args)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_in_slot, _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_in_slot, _verify, password_hash, password)


class InvalidToken(Exception):
    """The token is malformed, forged, expired or revoked."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    token_version: int
    expires_at: datetime
    session_id: int | None = None


def issue_token(
    secret: str,
    user_id: int,
    token_version: int,
    ttl_seconds: int,
    now: datetime | None = None,
    session_id: int | None = None,
) -> str:
    """An access token. Tokens from `logIn`/`signUp`/`refreshToken` name their session (`sid`) and
    die with it; one without a session (minted by operators' scripts and tests) lives by its expiry
    and the user's token version alone."""
    issued = now or datetime.now(UTC)
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "tv": token_version,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl_seconds)).timestamp()),
        "iss": TOKEN_ISSUER,
        "typ": "access",
    }
    if session_id is not None:
        payload["sid"] = session_id
    return jwt.encode(payload, secret, algorithm="HS256")


def new_secret_token(prefix: str = "") -> str:
    """256 random bits, for refresh tokens, reset links and download links (stored only hashed)."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret_token(token: str) -> str:
    """Such tokens carry 256 bits of entropy, so a fast hash is safe."""
    return hashlib.sha256(token.encode()).hexdigest()


def read_token(secret: str, token: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=TOKEN_ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
        if payload.get("typ") != "access":
            raise InvalidToken("Not an access token.")
        sid = payload.get("sid")
        return TokenClaims(
            user_id=int(payload["sub"]),
            token_version=int(payload.get("tv", 0)),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            session_id=None if sid is None else int(sid),
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("Token has expired.") from exc
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise InvalidToken("Token is invalid.") from exc


@dataclass(frozen=True)
class NewApiKey:
    secret: str  # shown to the merchant once, never stored
    prefix: str
    key_hash: str


def new_api_key() -> NewApiKey:
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return NewApiKey(secret=secret, prefix=secret[: len(API_KEY_PREFIX) + 6], key_hash=hash_api_key(secret))


def hash_api_key(secret: str) -> str:
    """API keys carry 256 bits of entropy, so a fast hash is safe and keeps per-request auth cheap."""
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(API_KEY_PREFIX)
