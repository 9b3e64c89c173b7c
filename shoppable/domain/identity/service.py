"""Identity operations: accounts, log-in, merchants, API keys and authentication."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shoppable.domain.catalog.money import is_currency
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import credentials, policy
from shoppable.domain.identity.actor import ANONYMOUS, Actor
from shoppable.domain.identity.consent import CURRENT_POLICY_VERSION, Consent
from shoppable.domain.identity.ports import IdentityRepository
from shoppable.domain.identity.records import ApiKey, Merchant, User
from shoppable.domain.ports import Transaction

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MERCHANT_HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256


@dataclass(frozen=True)
class TokenConfig:
    secret: str
    ttl_seconds: int


@dataclass(frozen=True)
class AuthResult:
    token: str
    user: User


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _validate_credentials(email: str, password: str) -> list[FieldError]:
    errors = []
    if not EMAIL_RE.match(email) or len(email) > 320:
        errors.append(FieldError(("email",), ErrorCode.INVALID, "Enter a valid email address."))
    if len(password) < MIN_PASSWORD:
        errors.append(
            FieldError(
                ("password",), ErrorCode.INVALID, f"Password must be at least {MIN_PASSWORD} characters."
            )
        )
    elif len(password) > MAX_PASSWORD:
        errors.append(FieldError(("password",), ErrorCode.TOO_LARGE, "Password is too long."))
    return errors


async def sign_up(
    tx: Transaction,
    repo: IdentityRepository,
    tokens: TokenConfig,
    email: str,
    password: str,
    display_name: str,
) -> AuthResult:
    email = normalize_email(email)
    display_name = display_name.strip()
    errors = _validate_credentials(email, password)
    if not display_name or len(display_name) > 100:
        errors.append(
            FieldError(("displayName",), ErrorCode.INVALID, "Display name must be 1-100 characters.")
        )
    if errors:
        raise DomainError(*errors)
    await tx.begin_write()
    if await repo.get_user_with_password(email) is not None:
        raise DomainError.single(("email",), ErrorCode.CONFLICT, "An account with this email already exists.")
    user = await repo.add_user(email, credentials.hash_password(password), display_name, is_admin=False)
    await tx.commit()
    return AuthResult(
        credentials.issue_token(tokens.secret, user.id, user.token_version, tokens.ttl_seconds), user
    )


async def log_in(
    tx: Transaction, repo: IdentityRepository, tokens: TokenConfig, email: str, password: str
) -> AuthResult:
    found = await repo.get_user_with_password(normalize_email(email))
    user, password_hash = found if found else (None, None)
    if not credentials.verify_password(password_hash, password) or user is None:
        raise DomainError.single(("password",), ErrorCode.UNAUTHENTICATED, "Email or password is incorrect.")
    return AuthResult(
        credentials.issue_token(tokens.secret, user.id, user.token_version, tokens.ttl_seconds), user
    )


async def authenticate(
    repo: IdentityRepository, secret: str, bearer: str | None, device_id: str | None
) -> Actor:
    """Turn an Authorization bearer (user token or `shp_` API key) into an Actor.

    Raises `credentials.InvalidToken` for anything presented that is not valid: a caller who sent a
    credential must learn it failed rather than silently browsing as anonymous.
    """
    if not bearer:
        return replace(ANONYMOUS, device_id=device_id)
    if credentials.looks_like_api_key(bearer):
        key = await repo.find_active_api_key(credentials.hash_api_key(bearer))
        if key is None:
            raise credentials.InvalidToken("API key is invalid or revoked.")
        return Actor(api_key_id=key.id, merchant_ids=frozenset({key.merchant_id}), device_id=device_id)
    claims = credentials.read_token(secret, bearer)
    user = await repo.get_user(claims.user_id)
    if user is None or user.token_version != claims.token_version:
        raise credentials.InvalidToken("Token is no longer valid.")
    return Actor(
        user_id=user.id,
        is_admin=user.is_admin,
        merchant_ids=await repo.merchant_ids_of(user.id),
        device_id=device_id,
        personalization_consent=user.consent.personalization,
    )


async def create_merchant(
    tx: Transaction,
    repo: IdentityRepository,
    actor: Actor,
    handle: str,
    name: str,
    currency: str = "USD",
    low_stock_threshold: int = 5,
) -> Merchant:
    if not policy.can_create_merchant(actor) or actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to create a merchant.")
    handle = handle.strip().lower()
    errors = []
    if not MERCHANT_HANDLE_RE.match(handle):
        errors.append(
            FieldError(
                ("handle",), ErrorCode.INVALID, "Handle must be 3-64 lower-case letters, digits or hyphens."
            )
        )
    if not name.strip() or len(name) > 120:
        errors.append(FieldError(("name",), ErrorCode.INVALID, "Name must be 1-120 characters."))
    if not is_currency(currency.upper()):
        errors.append(FieldError(("currency",), ErrorCode.INVALID, f"Unknown currency code {currency!r}."))
    if not 0 <= low_stock_threshold <= 100_000:
        errors.append(
            FieldError(("lowStockThreshold",), ErrorCode.INVALID, "Low-stock threshold must be 0-100000.")
        )
    if errors:
        raise DomainError(*errors)
    await tx.begin_write()
    if await repo.get_merchant_by_handle(handle) is not None:
        raise DomainError.single(("handle",), ErrorCode.CONFLICT, "This handle is taken.")
    merchant = await repo.add_merchant(
        handle, name.strip(), currency.upper(), low_stock_threshold, actor.user_id
    )
    await tx.commit()
    return merchant


@dataclass(frozen=True)
class CreatedApiKey:
    secret: str
    api_key: ApiKey


async def create_api_key(
    tx: Transaction, repo: IdentityRepository, actor: Actor, merchant_id: int, name: str = ""
) -> CreatedApiKey:
    if not policy.can_manage_api_keys(actor, merchant_id):
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    if len(name) > 100:
        raise DomainError.single(("name",), ErrorCode.TOO_LARGE, "Name is longer than 100 characters.")
    await tx.begin_write()
    if await repo.get_merchant(merchant_id) is None:
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    new = credentials.new_api_key()
    assert actor.user_id is not None  # guaranteed by the policy
    key = await repo.add_api_key(merchant_id, name.strip(), new.prefix, new.key_hash, actor.user_id)
    await tx.commit()
    return CreatedApiKey(new.secret, key)


async def revoke_api_key(tx: Transaction, repo: IdentityRepository, actor: Actor, api_key_id: int) -> ApiKey:
    await tx.begin_write()
    key = await repo.get_api_key(api_key_id)
    if key is None or not policy.can_manage_api_keys(actor, key.merchant_id):
        raise DomainError.single(("apiKeyId",), ErrorCode.NOT_FOUND, "No such API key.")
    if key.revoked_at is None:
        now = datetime.now(UTC)
        await repo.revoke_api_key(key.id, now)
        key = replace(key, revoked_at=now)
        await tx.commit()
    return key


async def update_consent(
    tx: Transaction,
    repo: IdentityRepository,
    actor: Actor,
    personalization: bool | None,
    analytics: bool | None,
    marketing: bool | None,
) -> Consent:
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to change consent.")
    await tx.begin_write()
    user = await repo.get_user(actor.user_id)
    if user is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to change consent.")
    current = user.consent
    consent = Consent(
        personalization=current.personalization if personalization is None else personalization,
        analytics=current.analytics if analytics is None else analytics,
        marketing=current.marketing if marketing is None else marketing,
        policy_version=CURRENT_POLICY_VERSION,
        updated_at=datetime.now(UTC),
    )
    await repo.set_consent(user.id, consent)
    await tx.commit()
    return consent


async def create_admin(tx: Transaction, repo: IdentityRepository, email: str, password: str) -> User:
    """Create an admin, or promote an existing account (setting its password when one is given)."""
    email = normalize_email(email)
    errors = _validate_credentials(email, password)
    if errors:
        raise DomainError(*errors)
    await tx.begin_write()
    found = await repo.get_user_with_password(email)
    if found is None:
        user = await repo.add_user(
            email, credentials.hash_password(password), email.split("@")[0], is_admin=True
        )
    else:
        await repo.set_admin(found[0].id, credentials.hash_password(password))
        user = replace(found[0], is_admin=True)
    await tx.commit()
    return user
