"""Sessions, refresh rotation, reuse detection, merge steps and the price band, on in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import credentials, merge, sessions
from shoppable.domain.identity import service as identity
from shoppable.domain.identity.actor import ANONYMOUS, Actor
from shoppable.domain.identity.consent import ConsentSource
from shoppable.domain.identity.credentials import TokenConfig
from shoppable.domain.identity.privacy import price_band
from shoppable.domain.identity.records import SessionChannel
from shoppable.domain.identity.service import ConsentChanges, LogIn, SignUp
from shoppable.domain.rate_limits import UNLIMITED, RateLimiter
from tests.domain.in_memory import InMemoryUnitOfWork

TOKENS = TokenConfig(secret="unit-test-secret-0123456789abcdefghij")
PASSWORD = "correct horse battery"


@dataclass
class Services:
    tokens: TokenConfig = TOKENS
    rate_limits: RateLimiter = UNLIMITED


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hash_password(password: str) -> str:
        return f"hashed:{password}"

    async def verify_password(password_hash: str | None, password: str) -> bool:
        return password_hash == f"hashed:{password}"

    monkeypatch.setattr(credentials, "hash_password", hash_password)
    monkeypatch.setattr(credentials, "verify_password", verify_password)


async def test_sign_up_starts_a_session_and_records_the_forms_consent() -> None:
    uow = InMemoryUnitOfWork()
    client = sessions.ClientInfo(SessionChannel.WATCH, "  Ana's\x00 watch\n")
    result = await identity.sign_up(
        uow,
        Services(),
        ANONYMOUS,
        SignUp("ana@example.com", PASSWORD, "Ana", ConsentChanges(analytics=True), client),
    )
    assert result.refresh_token and result.refresh_token.startswith("rt_")
    assert result.session is not None and result.session.device_label == "Ana's watch"
    assert TOKENS.ttl_seconds == 15 * 60
    (change,) = uow.trust.consent_changes
    assert change[1].analytics and not change[1].marketing and change[3] is ConsentSource.SIGN_UP
    actor = await identity.authenticate(uow, TOKENS.secret, result.token, None)
    assert actor.session_id == result.session.id and actor.analytics_consent


async def test_gpc_at_sign_up_keeps_marketing_off() -> None:
    uow = InMemoryUnitOfWork()
    form = SignUp("gpc@example.com", PASSWORD, "G", ConsentChanges(marketing=True))
    result = await identity.sign_up(uow, Services(), Actor(global_privacy_control=True), form)
    assert result.user.consent.marketing is False and result.user.consent.global_privacy_control


async def test_refresh_rotates_and_a_replayed_token_ends_the_session() -> None:
    uow = InMemoryUnitOfWork()
    first = await identity.sign_up(uow, Services(), ANONYMOUS, SignUp("r@example.com", PASSWORD, "R"))
    assert first.refresh_token
    second = await sessions.refresh(uow, TOKENS, first.refresh_token)
    assert second.refresh_token and second.refresh_token != first.refresh_token
    with pytest.raises(DomainError) as replay:
        await sessions.refresh(uow, TOKENS, first.refresh_token)
    assert replay.value.errors[0].code is ErrorCode.UNAUTHENTICATED
    assert (
        second.session is not None
        and uow.trust.sessions[second.session.id].revoked_reason == "REFRESH_TOKEN_REUSED"
    )
    with pytest.raises(DomainError):
        await sessions.refresh(uow, TOKENS, second.refresh_token)
    with pytest.raises(credentials.InvalidToken):
        await identity.authenticate(uow, TOKENS.secret, second.token, None)


async def test_log_in_runs_every_merge_step_with_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    uow = InMemoryUnitOfWork()
    await identity.sign_up(uow, Services(), ANONYMOUS, SignUp("m@example.com", PASSWORD, "M"))
    seen: list[tuple[str, str]] = []

    def step(name: str) -> merge.MergeStep:
        async def recorded(uow: object, user: object, device_id: str, now: datetime) -> int:
            assert now.tzinfo is not None
            seen.append((name, device_id))
            return 1

        return recorded

    # The steps of other domains (cart, experiment unit) run against their own repositories, which
    # the in-memory unit of work does not have: stand-ins record that they ran, with the device.
    for name in ("cart", "experiments"):
        monkeypatch.setitem(merge.DEVICE_MERGE_STEPS, name, step(name))
    await identity.log_in(uow, Services(), Actor(device_id="dev-1"), LogIn("m@example.com", PASSWORD))
    await identity.log_in(uow, Services(), ANONYMOUS, LogIn("m@example.com", PASSWORD))  # no device: no merge
    assert seen == [("cart", "dev-1"), ("experiments", "dev-1")]


def test_price_band_is_the_middle_half_in_the_most_common_currency() -> None:
    assert price_band([]) is None
    prices = [(1000, "EUR"), (2000, "EUR"), (3000, "EUR"), (9000, "EUR"), (500, "USD")]
    assert price_band(prices) == "20.00-90.00 EUR"
    assert price_band([(1999, "EUR")]) == "19.99-19.99 EUR"
