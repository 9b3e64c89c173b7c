"""The built-in test gateway goes through real states and answers retries as the first call."""

from __future__ import annotations

import pytest

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.payments import PaymentError, PaymentOutcome
from shoppable.storage.payment_gateways import BuiltinTestGateway, ChargeState

EUR = Money(10_000, "EUR")


async def test_authorize_capture_refund_and_void_follow_the_states() -> None:
    gateway = BuiltinTestGateway()
    auth = await gateway.authorize(EUR, "tok_visa", idempotency_key="a1")
    assert auth.outcome is PaymentOutcome.AUTHORIZED and auth.reference
    assert await gateway.authorize(EUR, "tok_visa", idempotency_key="a1") == auth  # same key, same answer
    with pytest.raises(PaymentError):
        await gateway.refund(auth.reference, Money(100, "EUR"), idempotency_key="r0")  # not captured yet
    await gateway.capture(auth.reference, EUR, idempotency_key="c1")
    await gateway.capture(auth.reference, EUR, idempotency_key="c1")  # a retry is a no-op
    with pytest.raises(PaymentError):
        await gateway.void(auth.reference, idempotency_key="v1")  # captured money is refunded, not voided
    await gateway.refund(auth.reference, Money(4_000, "EUR"), idempotency_key="r1")
    await gateway.refund(auth.reference, Money(4_000, "EUR"), idempotency_key="r1")  # retried: once
    with pytest.raises(PaymentError):
        await gateway.refund(auth.reference, Money(6_001, "EUR"), idempotency_key="r2")
    assert gateway.state_of(auth.reference) == (ChargeState.CAPTURED, 10_000, 4_000)

    other = await gateway.authorize(EUR, "tok_mastercard", idempotency_key="a2")
    assert other.reference
    await gateway.void(other.reference, idempotency_key="v2")
    assert gateway.state_of(other.reference)[0] is ChargeState.VOIDED


async def test_test_tokens_decline_and_fail_as_documented() -> None:
    gateway = BuiltinTestGateway()
    declined = await gateway.authorize(EUR, "tok_chargeDeclined", idempotency_key="d")
    assert (declined.outcome, declined.reference) == (PaymentOutcome.DECLINED, None)
    failed = await gateway.authorize(EUR, "tok_processingError", idempotency_key="f")
    assert failed.outcome is PaymentOutcome.FAILED
    # A transient failure is not remembered: the same key may succeed on retry with a good card.
    assert (
        await gateway.authorize(EUR, "tok_visa", idempotency_key="f")
    ).outcome is PaymentOutcome.AUTHORIZED
    assert (
        await gateway.authorize(EUR, "4242424242424242", idempotency_key="x")
    ).outcome is PaymentOutcome.DECLINED


async def test_a_charge_from_before_a_restart_can_still_be_refunded() -> None:
    before = BuiltinTestGateway()
    auth = await before.authorize(EUR, "tok_visa", idempotency_key="seeded")
    await before.capture(auth.reference or "", EUR, idempotency_key="seeded:capture")
    after = BuiltinTestGateway()  # a new process: its memory is empty
    await after.refund(auth.reference or "", Money(2_500, "EUR"), idempotency_key="r")
    with pytest.raises(PaymentError):
        await after.refund("ch_not_ours", Money(1, "EUR"), idempotency_key="r2")
