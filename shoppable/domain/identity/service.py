"""Identity operations: accounts, log-in, merchants, API keys and authentication."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shoppable.domain import rate_limits
from shoppable.domain.catalog.money import is_currency
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import accounts, audit, credentials, policy
from shoppable.domain.identity.accounts import MAX_PASSWORD, normalize_email
from shoppable.domain.identity.actor import ANONYMOUS, OPERATOR, Actor
from shoppable.domain.identity.consent import CURRENT_POLICY_VERSION, Consent, ConsentSource
from shoppable.domain.identity.merge import join_device
from shoppable.domain.identity.ports import IdentityServices
from shoppable.domain.identity.records import ApiKey, Merchant, User
from shoppable.domain.identity.sessions import AuthResult, ClientInfo, now_utc, start_session

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

MERCHANT_HANDLE_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{1,62}[a-z0-9])")
MAX_MERCHANT_NAME = 120
MAX_API_KEY_NAME = 100


@dataclass(frozen=True)
class ConsentChanges:
    """None leaves a choice as it is."""

    personalization: bool | None = None
    analytics: bool | None = None
    marketing: bool | None = None


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    display_name: str
    consent: ConsentChanges | None = None
    """The choices of the sign-up form (all off when not given), recorded with source SIGN_UP."""
    client: ClientInfo = field(default_factory=ClientInfo)


@dataclass(frozen=True)
class LogIn:
    email: str
    password: str
    client: ClientInfo = field(default_factory=ClientInfo)


@dataclass(frozen=True)
class NewMerchant:
    handle: str
    name: str
    currency: str = "USD"
    low_stock_threshold: int = 5


def _credential_errors(email: str, password: str) -> list[FieldError]:
    return accounts.email_errors(email) + accounts.password_errors(password, email)


def initial_consent(changes: ConsentChanges | None, gpc: bool, now: datetime) -> Consent:
    """Sign-up choices: off unless chosen; a Global Privacy Control signal keeps marketing off."""
    chosen = changes or ConsentChanges()
    return Consent(
        personalization=bool(chosen.personalization),
        analytics=bool(chosen.analytics),
        marketing=bool(chosen.marketing) and not gpc,
        policy_version=CURRENT_POLICY_VERSION,
        updated_at=now,
        global_privacy_control=gpc,
    )


async def sign_up(uow: UnitOfWork, services: IdentityServices, actor: Actor, form: SignUp) -> AuthResult:
    await services.rate_limits.hit(rate_limits.SIGN_UP_PER_IP, rate_limits.ip_key(actor))
    email = normalize_email(form.email)
    display_name = form.display_name.strip()
    errors = _credential_errors(email, form.password) + accounts.display_name_errors(display_name)
    if errors:
        raise DomainError(*errors)
    # Hashed before the email is looked up, so that a taken email costs the same argon2 work as a
    # new one: the time of the answer does not tell which emails have accounts.
    password_hash = await credentials.hash_password(form.password)
    await uow.begin_write()
    if await uow.identity.get_user_with_password(email) is not None:
        raise DomainError.single(("email",), ErrorCode.CONFLICT, "An account with this email already exists.")
    user = await uow.identity.add_user(email, password_hash, display_name, is_admin=False)
    now = now_utc()
    consent = initial_consent(form.consent, actor.global_privacy_control, now)
    await uow.identity.set_consent(user.id, consent)
    await uow.trust.add_consent_change(user.id, consent, form.client.channel.value, ConsentSource.SIGN_UP)
    user = replace(user, consent=consent)
    result = await start_session(uow, services.tokens, user, form.client, now)
    await join_device(uow, user, actor.device_id, now)
    await uow.commit()
    return result


async def log_in(uow: UnitOfWork, services: IdentityServices, actor: Actor, form: LogIn) -> AuthResult:
    """Failed attempts count against the account (whether it exists or not) and the caller's address;
    once either limit is used up, even the right password waits."""
    email = normalize_email(form.email)
    if accounts.has_control_characters(email):
        raise DomainError(*accounts.email_errors(email))
    limiter = services.rate_limits
    account_key, ip_key = f"email:{email}", rate_limits.ip_key(actor)
    await limiter.check(rate_limits.LOG_IN_FAILURES_PER_ACCOUNT, account_key)
    await limiter.check(rate_limits.LOG_IN_FAILURES_PER_IP, ip_key)
    found = await uow.identity.get_user_with_password(email)
    user, password_hash = found if found else (None, None)
    # No password this long was ever accepted: refused without hashing megabytes.
    fits = len(form.password) <= MAX_PASSWORD
    if not fits or not await credentials.verify_password(password_hash, form.password) or user is None:
        await limiter.hit(rate_limits.LOG_IN_FAILURES_PER_ACCOUNT, account_key)
        await limiter.hit(rate_limits.LOG_IN_FAILURES_PER_IP, ip_key)
        raise DomainError.single(("password",), ErrorCode.UNAUTHENTICATED, "Email or password is incorrect.")
    await uow.begin_write()
    now = now_utc()
    result = await start_session(uow, services.tokens, user, form.client, now)
    await join_device(uow, user, actor.device_id, now)
    await uow.commit()
    return result


async def authenticate(
    uow: UnitOfWork,
    secret: str,
    bearer: str | None,
    device_id: str | None,
    *,
    gpc: bool = False,
    channel: str = "OTHER",
) -> Actor:
    """Turn an Authorization bearer (user token or `shp_` API key) into an Actor.

    Raises `credentials.InvalidToken` for anything presented that is not valid: a caller who sent a
    credential must learn it failed rather than silently browsing as anonymous. A user token dies
    with its session (logged out, revoked, replaced refresh token reused, password changed).

    `gpc`: the request carried `Sec-GPC: 1`; for a signed-in user whose consent does not yet
    reflect it, the opt-out is recorded (consent history source GPC).
    """
    if not bearer:
        return replace(ANONYMOUS, device_id=device_id, global_privacy_control=gpc, channel=channel)
    if credentials.looks_like_api_key(bearer):
        key = await uow.identity.find_active_api_key(credentials.hash_api_key(bearer))
        if key is None:
            raise credentials.InvalidToken("API key is invalid or revoked.")
        return Actor(api_key_id=key.id, merchant_ids=frozenset({key.merchant_id}), device_id=device_id)
    claims = credentials.read_token(secret, bearer)
    if claims.session_id is not None:
        found = await uow.trust.session_with_user(claims.session_id)
        session, user, merchant_ids = found if found else (None, None, frozenset[int]())
        if (
            session is None
            or user is None
            or session.user_id != claims.user_id
            or not session.active(now_utc())
        ):
            raise credentials.InvalidToken("This session has ended; log in again.")
    else:  # a token minted without a session (operators' scripts, tests): its expiry and version
        with_merchants = await uow.identity.user_with_merchant_ids(claims.user_id)
        user, merchant_ids = with_merchants if with_merchants else (None, frozenset[int]())
    if user is None or user.deleted_at is not None or user.token_version != claims.token_version:
        raise credentials.InvalidToken("Token is no longer valid.")
    if gpc and (user.consent.marketing or not user.consent.global_privacy_control):
        user = await record_gpc(uow, user, channel)
    return Actor(
        user_id=user.id,
        is_admin=user.is_admin,
        merchant_ids=merchant_ids,
        device_id=device_id,
        personalization_consent=user.consent.personalization,
        analytics_consent=user.consent.analytics,
        session_id=claims.session_id,
        recommendations_reset_at=user.recommendations_reset_at,
        global_privacy_control=gpc,
        channel=channel,
    )


async def record_gpc(uow: UnitOfWork, user: User, channel: str) -> User:
    """`Sec-GPC: 1` is the person's opt-out of marketing and of sharing (CCPA regulations § 7025)."""
    consent = replace(
        user.consent,
        marketing=False,
        global_privacy_control=True,
        policy_version=CURRENT_POLICY_VERSION,
        updated_at=now_utc(),
    )
    await uow.begin_write()
    await uow.identity.set_consent(user.id, consent)
    await uow.trust.add_consent_change(user.id, consent, channel, ConsentSource.GPC)
    await uow.commit()
    return replace(user, consent=consent)


async def create_merchant(uow: UnitOfWork, actor: Actor, form: NewMerchant) -> Merchant:
    if not policy.can_create_merchant(actor) or actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to create a merchant.")
    handle = form.handle.strip().lower()
    name, currency, low_stock_threshold = form.name, form.currency, form.low_stock_threshold
    errors = []
    if not MERCHANT_HANDLE_RE.fullmatch(handle):
        errors.append(
            FieldError(
                ("handle",), ErrorCode.INVALID, "Handle must be 3-64 lower-case letters, digits or hyphens."
            )
        )
    if accounts.has_control_characters(name):
        errors.append(FieldError(("name",), ErrorCode.INVALID, "Name cannot contain control characters."))
    elif not name.strip() or len(name) > MAX_MERCHANT_NAME:
        errors.append(
            FieldError(("name",), ErrorCode.INVALID, f"Name must be 1-{MAX_MERCHANT_NAME} characters.")
        )
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
    await audit.record(uow, actor, "merchant.created", "Merchant", merchant.id, {"handle": merchant.handle})
    await uow.commit()
    return merchant


@dataclass(frozen=True)
class CreatedApiKey:
    secret: str
    api_key: ApiKey


async def create_api_key(uow: UnitOfWork, actor: Actor, merchant_id: int, name: str = "") -> CreatedApiKey:
    if not policy.can_manage_api_keys(actor, merchant_id):
        raise policy.refusal(actor, ("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    if len(name) > MAX_API_KEY_NAME:
        raise DomainError.single(
            ("name",), ErrorCode.TOO_LARGE, f"Name is longer than {MAX_API_KEY_NAME} characters."
        )
    if accounts.has_control_characters(name):
        raise DomainError.single(("name",), ErrorCode.INVALID, "Name cannot contain control characters.")
    await uow.begin_write()
    if await uow.identity.get_merchant(merchant_id) is None:
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    new = credentials.new_api_key()
    assert actor.user_id is not None  # guaranteed by the policy
    key = await uow.identity.add_api_key(merchant_id, name.strip(), new.prefix, new.key_hash, actor.user_id)
    await audit.record(
        uow, actor, "api_key.created", "ApiKey", key.id, {"merchantId": merchant_id, "prefix": key.prefix}
    )
    await uow.commit()
    return CreatedApiKey(new.secret, key)


async def revoke_api_key(uow: UnitOfWork, actor: Actor, api_key_id: int) -> ApiKey:
    await uow.begin_write()
    key = await uow.identity.get_api_key(api_key_id)
    if key is None or not policy.can_manage_api_keys(actor, key.merchant_id):
        raise policy.refusal(actor, ("apiKeyId",), ErrorCode.NOT_FOUND, "No such API key.")
    if key.revoked_at is None:
        now = datetime.now(UTC)
        await uow.identity.revoke_api_key(key.id, now)
        key = replace(key, revoked_at=now)
        await audit.record(uow, actor, "api_key.revoked", "ApiKey", key.id, {"merchantId": key.merchant_id})
        await uow.commit()
    return key


async def update_consent(uow: UnitOfWork, actor: Actor, changes: ConsentChanges) -> Consent:
    """Every change is kept in the consent history (source USER). Turning analytics off deletes the
    user's stored behavioural events. Marketing cannot be turned on from a browser that sends Global
    Privacy Control (the next request would record the opt-out again); doing it elsewhere lifts the
    recorded signal until a request carries it again."""
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to change consent.")
    if changes.marketing and actor.global_privacy_control:
        raise DomainError.single(
            ("marketing",),
            ErrorCode.CONFLICT,
            "Your browser sends Global Privacy Control, which opts out of marketing; turn it off there first.",
        )
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
        global_privacy_control=current.global_privacy_control and not changes.marketing,
    )
    await uow.identity.set_consent(user.id, consent)
    await uow.trust.add_consent_change(user.id, consent, actor.channel, ConsentSource.USER)
    if current.analytics and not consent.analytics:
        await uow.trust.delete_user_events(user.id)
    await uow.commit()
    return consent


async def create_admin(uow: UnitOfWork, email: str, password: str, actor: Actor = OPERATOR) -> User:
    """Create an admin, or promote an existing account (setting its password when one is given)."""
    email = normalize_email(email)
    errors = _credential_errors(email, password)
    if errors:
        raise DomainError(*errors)
    password_hash = await credentials.hash_password(password)
    await uow.begin_write()
    found = await uow.identity.get_user_with_password(email)
    if found is None:
        user = await uow.identity.add_user(email, password_hash, email.split("@")[0], is_admin=True)
    else:
        await uow.identity.set_admin(found[0].id, password_hash)
        user = replace(found[0], is_admin=True)
    await audit.record(uow, actor, "admin.created", "User", user.id, {})
    await uow.commit()
    return user


async def find_merchant(uow: UnitOfWork, handle: str) -> Merchant | None:
    """A merchant by handle as a caller typed it; None, without a query, for what no handle can be."""
    handle = handle.strip().lower()
    if not MERCHANT_HANDLE_RE.fullmatch(handle):
        return None
    return await uow.identity.get_merchant_by_handle(handle)
