"""Accounts, log-in, authentication, merchants, API keys and consent, on in-memory repositories."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import credentials
from shoppable.domain.identity import service as identity
from shoppable.domain.identity.actor import ANONYMOUS, Actor
from shoppable.domain.identity.consent import CURRENT_POLICY_VERSION
from shoppable.domain.identity.credentials import TokenConfig
from shoppable.domain.identity.service import ConsentChanges, LogIn, NewMerchant, SignUp
from shoppable.domain.rate_limits import UNLIMITED, RateLimiter
from tests.domain.in_memory import InMemoryUnitOfWork

TOKENS = TokenConfig(secret="unit-test-secret-0123456789abcdefghij", ttl_seconds=3600)
PASSWORD = "correct horse battery"


@dataclass
class FakeIdentityServices:
    tokens: TokenConfig = TOKENS
    rate_limits: RateLimiter = UNLIMITED


SERVICES = FakeIdentityServices()


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 is slow on purpose; these tests are about the rules around it."""

    async def hash_password(password: str) -> str:
        return f"hashed:{password}"

    async def verify_password(password_hash: str | None, password: str) -> bool:
        return password_hash is not None and password_hash == f"hashed:{password}"

    monkeypatch.setattr(credentials, "hash_password", hash_password)
    monkeypatch.setattr(credentials, "verify_password", verify_password)


def codes(error: pytest.ExceptionInfo[DomainError]) -> dict[tuple[str | int, ...], ErrorCode]:
    return {e.field: e.code for e in error.value.errors}


async def signed_up(uow: InMemoryUnitOfWork, email: str = "ana@example.com") -> Actor:
    result = await identity.sign_up(uow, SERVICES, ANONYMOUS, SignUp(email, PASSWORD, "Ana"))
    return await identity.authenticate(uow, TOKENS.secret, result.token, None)


async def test_sign_up_normalizes_and_issues_a_token_for_the_new_user() -> None:
    uow = InMemoryUnitOfWork()
    result = await identity.sign_up(
        uow, SERVICES, ANONYMOUS, SignUp("  Ana@Example.COM ", PASSWORD, "  Ana  ")
    )
    assert result.user.email == "ana@example.com" and result.user.display_name == "Ana"
    assert credentials.read_token(TOKENS.secret, result.token).user_id == result.user.id
    assert uow.identity.password_hashes[result.user.id] == f"hashed:{PASSWORD}"
    assert uow.writing and uow.commits == 1


async def test_sign_up_reports_every_bad_field_and_writes_nothing() -> None:
    uow = InMemoryUnitOfWork()
    with pytest.raises(DomainError) as bad:
        await identity.sign_up(uow, SERVICES, ANONYMOUS, SignUp("not-an-email", "short", " "))
    assert codes(bad) == {
        ("email",): ErrorCode.INVALID,
        ("password",): ErrorCode.INVALID,
        ("displayName",): ErrorCode.INVALID,
    }
    with pytest.raises(DomainError) as long:
        await identity.sign_up(uow, SERVICES, ANONYMOUS, SignUp("ana@example.com", "x" * 257, "Ana"))
    assert codes(long) == {("password",): ErrorCode.TOO_LARGE}
    assert uow.identity.users == {} and uow.commits == 0


async def test_sign_up_twice_with_one_email_is_a_conflict_whatever_its_case() -> None:
    uow = InMemoryUnitOfWork()
    await identity.sign_up(uow, SERVICES, ANONYMOUS, SignUp("ana@example.com", PASSWORD, "Ana"))
    with pytest.raises(DomainError) as again:
        await identity.sign_up(uow, SERVICES, ANONYMOUS, SignUp("ANA@example.com", PASSWORD, "Other"))
    assert codes(again) == {("email",): ErrorCode.CONFLICT}
    assert len(uow.identity.users) == 1


async def test_log_in_answers_wrong_password_and_unknown_email_alike() -> None:
    uow = InMemoryUnitOfWork()
    await identity.sign_up(uow, SERVICES, ANONYMOUS, SignUp("ana@example.com", PASSWORD, "Ana"))
    ok = await identity.log_in(uow, SERVICES, ANONYMOUS, LogIn(" Ana@example.com", PASSWORD))
    assert ok.user.email == "ana@example.com"
    failures = []
    for form in (LogIn("ana@example.com", "not the password"), LogIn("ghost@example.com", PASSWORD)):
        with pytest.raises(DomainError) as failed:
            await identity.log_in(uow, SERVICES, ANONYMOUS, form)
        failures.append(failed.value.errors)
    assert failures[0] == failures[1]
    assert failures[0][0].code is ErrorCode.UNAUTHENTICATED and failures[0][0].field == ("password",)


async def test_authenticate_tells_anonymous_users_and_api_keys_apart() -> None:
    uow = InMemoryUnitOfWork()
    assert await identity.authenticate(uow, TOKENS.secret, None, "device-1") == replace(
        ANONYMOUS, device_id="device-1"
    )
    owner = await signed_up(uow)
    merchant = await identity.create_merchant(uow, owner, NewMerchant("northwind", "Northwind"))
    owner = await identity.authenticate(
        uow, TOKENS.secret, credentials.issue_token(TOKENS.secret, owner.user_id or 0, 0, 60), "d"
    )
    assert owner.merchant_ids == {merchant.id} and owner.device_id == "d"
    created = await identity.create_api_key(uow, owner, merchant.id, "feed sync")
    key_actor = await identity.authenticate(uow, TOKENS.secret, created.secret, None)
    assert key_actor.api_key_id == created.api_key.id and key_actor.user_id is None
    assert key_actor.merchant_ids == {merchant.id}
    await identity.revoke_api_key(uow, owner, created.api_key.id)
    with pytest.raises(credentials.InvalidToken):
        await identity.authenticate(uow, TOKENS.secret, created.secret, None)


async def test_a_token_of_an_older_token_version_or_a_deleted_user_is_refused() -> None:
    uow = InMemoryUnitOfWork()
    user = await signed_up(uow)
    assert user.user_id is not None
    stale = credentials.issue_token(TOKENS.secret, user.user_id, token_version=1, ttl_seconds=60)
    unknown = credentials.issue_token(TOKENS.secret, 999, token_version=0, ttl_seconds=60)
    for token in (stale, unknown, "garbage"):
        with pytest.raises(credentials.InvalidToken):
            await identity.authenticate(uow, TOKENS.secret, token, None)


async def test_authenticated_users_carry_their_personalization_consent() -> None:
    uow = InMemoryUnitOfWork()
    user = await signed_up(uow)
    await identity.update_consent(uow, user, ConsentChanges(personalization=True))
    token = credentials.issue_token(TOKENS.secret, user.user_id or 0, 0, 60)
    assert (await identity.authenticate(uow, TOKENS.secret, token, None)).personalization_consent


async def test_create_merchant_validates_normalizes_and_makes_the_creator_owner() -> None:
    uow = InMemoryUnitOfWork()
    with pytest.raises(DomainError) as anonymous:
        await identity.create_merchant(uow, ANONYMOUS, NewMerchant("shop", "Shop"))
    assert codes(anonymous) == {(): ErrorCode.UNAUTHENTICATED}
    owner = await signed_up(uow)
    with pytest.raises(DomainError) as bad:
        await identity.create_merchant(uow, owner, NewMerchant("No!", " ", "XXX", -1))
    assert codes(bad) == {
        ("handle",): ErrorCode.INVALID,
        ("name",): ErrorCode.INVALID,
        ("currency",): ErrorCode.INVALID,
        ("lowStockThreshold",): ErrorCode.INVALID,
    }
    merchant = await identity.create_merchant(
        uow, owner, NewMerchant(" North-Wind ", " Northwind ", "eur", 3)
    )
    assert (merchant.handle, merchant.name, merchant.currency, merchant.low_stock_threshold) == (
        "north-wind",
        "Northwind",
        "EUR",
        3,
    )
    assert await uow.identity.merchant_ids_of(owner.user_id or 0) == {merchant.id}
    with pytest.raises(DomainError) as taken:
        await identity.create_merchant(uow, owner, NewMerchant("north-wind", "Again"))
    assert codes(taken) == {("handle",): ErrorCode.CONFLICT}


async def test_api_keys_are_made_and_revoked_by_the_merchants_people_only() -> None:
    uow = InMemoryUnitOfWork()
    owner = await signed_up(uow)
    merchant = await identity.create_merchant(uow, owner, NewMerchant("northwind", "Northwind"))
    owner = replace(owner, merchant_ids=frozenset({merchant.id}))
    stranger = await signed_up(uow, "bea@example.com")
    key_actor = Actor(api_key_id=1, merchant_ids=frozenset({merchant.id}))
    for actor in (stranger, key_actor):
        with pytest.raises(DomainError) as denied:
            await identity.create_api_key(uow, actor, merchant.id)
        assert codes(denied) == {("merchantId",): ErrorCode.NOT_FOUND}
    with pytest.raises(DomainError) as long_name:
        await identity.create_api_key(uow, owner, merchant.id, "n" * 101)
    assert codes(long_name) == {("name",): ErrorCode.TOO_LARGE}
    created = await identity.create_api_key(uow, owner, merchant.id, " sync ")
    assert created.secret.startswith(created.api_key.prefix) and created.api_key.name == "sync"
    assert uow.identity.api_key_hashes[created.api_key.id] == credentials.hash_api_key(created.secret)
    with pytest.raises(DomainError) as not_theirs:
        await identity.revoke_api_key(uow, stranger, created.api_key.id)
    assert codes(not_theirs) == {("apiKeyId",): ErrorCode.NOT_FOUND}
    revoked = await identity.revoke_api_key(uow, owner, created.api_key.id)
    assert revoked.revoked_at is not None
    assert (await identity.revoke_api_key(uow, owner, created.api_key.id)).revoked_at == revoked.revoked_at


async def test_an_api_key_for_a_missing_merchant_is_not_found() -> None:
    uow = InMemoryUnitOfWork()
    admin = Actor(user_id=1, is_admin=True)
    with pytest.raises(DomainError) as missing:
        await identity.create_api_key(uow, admin, 404)
    assert codes(missing) == {("merchantId",): ErrorCode.NOT_FOUND}


async def test_consent_changes_only_what_is_given_and_records_the_policy_version() -> None:
    uow = InMemoryUnitOfWork()
    with pytest.raises(DomainError) as anonymous:
        await identity.update_consent(uow, ANONYMOUS, ConsentChanges(analytics=True))
    assert codes(anonymous) == {(): ErrorCode.UNAUTHENTICATED}
    user = await signed_up(uow)
    first = await identity.update_consent(uow, user, ConsentChanges(analytics=True))
    assert (first.personalization, first.analytics, first.marketing) == (False, True, False)
    second = await identity.update_consent(uow, user, ConsentChanges(marketing=True, analytics=None))
    assert (second.personalization, second.analytics, second.marketing) == (False, True, True)
    assert second.policy_version == CURRENT_POLICY_VERSION and second.updated_at is not None
    assert uow.identity.users[user.user_id or 0].consent == second


async def test_create_admin_creates_or_promotes() -> None:
    uow = InMemoryUnitOfWork()
    new = await identity.create_admin(uow, "Root@Example.com", PASSWORD)
    assert new.is_admin and new.email == "root@example.com" and new.display_name == "root"
    user = (await identity.sign_up(uow, SERVICES, ANONYMOUS, SignUp("ana@example.com", PASSWORD, "Ana"))).user
    promoted = await identity.create_admin(uow, "ana@example.com", "a new password!")
    assert promoted.id == user.id and promoted.is_admin
    assert uow.identity.users[user.id].is_admin
    assert uow.identity.password_hashes[user.id] == "hashed:a new password!"
    with pytest.raises(DomainError):
        await identity.create_admin(uow, "nope", "short")
