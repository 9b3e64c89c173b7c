"""Identity operations: accounts, log-in, merchants, API keys and authentication."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shoppable.domain.catalog.money import is_currency
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import credentials, policy
from shoppable.domain.identity.actor import ANONYMOUS, Actor
from shoppable.domain.identity.consent import CURRENT_POLICY_VERSION, Consent
from shoppable.domain.identity.records import ApiKey, Merchant, User

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MERCHANT_HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])$")
MERCHANT_HANDLE_MAX = 64  # the `merchants.handle` column
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


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    display_name: str


@dataclass(frozen=True)
class LogIn:
    email: str
    password: str


@dataclass(frozen=True)
class NewMerchant:
    handle: str
    name: str
    currency: str = "USD"
    low_stock_threshold: int = 5


@dataclass(frozen=True)
class ConsentChanges:
    """None leaves a choice as it is."""

    personalization: bool | None = None
    analytics: bool | None = None
    marketing: bool | None = None


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


async def sign_up(uow: UnitOfWork, tokens: TokenConfig, form: SignUp) -> AuthResult:
    email = normalize_email(form.email)
    display_name = form.display_name.strip()
    errors = _validate_credentials(email, form.password)
    if not display_name or len(display_name) > 100:
        errors.append(
            FieldError(("displayName",), ErrorCode.INVALID, "Display name must be 1-100 characters.")
        )
    if errors:
        raise DomainError(*errors)
    await uow.begin_write()
    if await uow.identity.get_user_with_password(email) is not None:
        raise DomainError.single(("email",), ErrorCode.CONFLICT, "An account with this email already exists.")
    user = await uow.identity.add_user(
        email, credentials.hash_password(form.password), display_name, is_admin=False
    )
    await uow.commit()
    return AuthResult(
        credentials.issue_token(tokens.secret, user.id, user.token_version, tokens.ttl_seconds), user
    )


async def log_in(uow: UnitOfWork, tokens: TokenConfig, form: LogIn) -> AuthResult:
    found = await uow.identity.get_user_with_password(normalize_email(form.email))
    user, password_hash = found if found else (None, None)
    if not credentials.verify_password(password_hash, form.password) or user is None:
        raise DomainError.single(("password",), ErrorCode.UNAUTHENTICATED, "Email or password is incorrect.")
    return AuthResult(
        credentials.issue_token(tokens.secret, user.id, user.token_version, tokens.ttl_seconds), user
    )


async def authenticate(uow: UnitOfWork, secret: str, bearer: str | None, device_id: str | None) -> Actor:
    """Turn an Authorization bearer (user token or `shp_` API key) into an Actor.

    Raises `credentials.InvalidToken` for anything presented that is not valid: a caller who sent a
    credential must learn it failed rather than silently browsing as anonymous.
    """
    if not bearer:
        return replace(ANONYMOUS, device_id=device_id)
    if credentials.looks_like_api_key(bearer):
        key = await uow.identity.find_active_api_key(credentials.hash_api_key(bearer))
        if key is None:
            raise credentials.InvalidToken("API key is invalid or revoked.")
        return Actor(api_key_id=key.id, merchant_ids=frozenset({key.merchant_id}), device_id=device_id)
    claims = credentials.read_token(secret, bearer)
    user = await uow.identity.get_user(claims.user_id)
    if user is None or user.token_version != claims.token_version:
        raise credentials.InvalidToken("Token is no longer valid.")
    return Actor(
        user_id=user.id,
        is_admin=user.is_admin,
        merchant_ids=await uow.identity.merchant_ids_of(user.id),
        device_id=device_id,
        personalization_consent=user.consent.personalization,
        analytics_consent=user.consent.analytics,
    )


async def create_merchant(uow: UnitOfWork, actor: Actor, form: NewMerchant) -> Merchant:
    if not policy.can_create_merchant(actor) or actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to create a merchant.")
    handle = form.handle.strip().lower()
    name, currency, low_stock_threshold = form.name, form.currency, form.low_stock_threshold
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
    await uow.begin_write()
    if await uow.identity.get_merchant_by_handle(handle) is not None:
        raise DomainError.single(("handle",), ErrorCode.CONFLICT, "This handle is taken.")
    merchant = await uow.identity.add_merchant(
        handle, name.strip(), currency.upper(), low_stock_threshold, actor.user_id
    )
    if merchant is None:  # taken by a concurrent call since the check above
        raise DomainError.single(("handle",), ErrorCode.CONFLICT, "This handle is taken.")
    await uow.commit()
    return merchant


@dataclass(frozen=True)
class CreatedApiKey:
    secret: str
    api_key: ApiKey


async def create_api_key(uow: UnitOfWork, actor: Actor, merchant_id: int, name: str = "") -> CreatedApiKey:
    if not policy.can_manage_api_keys(actor, merchant_id):
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    if len(name) > 100:
        raise DomainError.single(("name",), ErrorCode.TOO_LARGE, "Name is longer than 100 characters.")
    await uow.begin_write()
    if await uow.identity.get_merchant(merchant_id) is None:
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    new = credentials.new_api_key()
    assert actor.user_id is not None  # guaranteed by the policy
    key = await uow.identity.add_api_key(merchant_id, name.strip(), new.prefix, new.key_hash, actor.user_id)
    await uow.commit()
    return CreatedApiKey(new.secret, key)


async def revoke_api_key(uow: UnitOfWork, actor: Actor, api_key_id: int) -> ApiKey:
    await uow.begin_write()
    key = await uow.identity.get_api_key(api_key_id)
    if key is None or not policy.can_manage_api_keys(actor, key.merchant_id):
        raise DomainError.single(("apiKeyId",), ErrorCode.NOT_FOUND, "No such API key.")
    if key.revoked_at is None:
        now = datetime.now(UTC)
        await uow.identity.revoke_api_key(key.id, now)
        key = replace(key, revoked_at=now)
        await uow.commit()
    return key


async def update_consent(uow: UnitOfWork, actor: Actor, changes: ConsentChanges) -> Consent:
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to change consent.")
    await uow.begin_write()
    user = await uow.identity.get_user(actor.user_id)
    if user is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to change consent.")
    current = user.consent
    consent = Consent(
        personalization=current.personalization
        if changes.personalization is None
        else changes.personalization,
        analytics=current.analytics if changes.analytics is None else changes.analytics,
        marketing=current.marketing if changes.marketing is None else changes.marketing,
        policy_version=CURRENT_POLICY_VERSION,
        updated_at=datetime.now(UTC),
    )
    await uow.identity.set_consent(user.id, consent)
    await uow.commit()
    return consent


async def create_admin(uow: UnitOfWork, email: str, password: str) -> User:
    """Create an admin, or promote an existing account (setting its password when one is given)."""
    email = normalize_email(email)
    errors = _validate_credentials(email, password)
    if errors:
        raise DomainError(*errors)
    await uow.begin_write()
    found = await uow.identity.get_user_with_password(email)
    if found is None:
        user = await uow.identity.add_user(
            email, credentials.hash_password(password), email.split("@")[0], is_admin=True
        )
    else:
        await uow.identity.set_admin(found[0].id, credentials.hash_password(password))
        user = replace(found[0], is_admin=True)
    await uow.commit()
    return user
