"""Payment gateways by name: the built-in `test` gateway, which goes through real states.

A provider adapter (Stripe PaymentIntents) implements `domain/commerce/payments.py` `PaymentGateway`
and is added to `KNOWN` by name.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.payments import Authorization, PaymentError, PaymentGateway, PaymentOutcome
from shoppable.settings import Settings

REFERENCE_PREFIX = "test_pay_"
UNKNOWN_AMOUNT = 10**15


class ChargeState(StrEnum):
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"


@dataclass
class _Charge:
    amount: Money
    state: ChargeState = ChargeState.AUTHORIZED
    captured: int = 0
    refunded: int = 0


@dataclass
class BuiltinTestGateway:
    """Stripe-style test tokens: `tok_visa` (and other `tok_` cards) succeed, `tok_chargeDeclined` is
    declined, `tok_processingError` fails transiently. Charges live in this process's memory: it is
    for development and tests, and the app refuses it in production unless explicitly allowed.
    """

    name: str = "test"
    _charges: dict[str, _Charge] = field(default_factory=dict)
    _answers: dict[str, Authorization] = field(default_factory=dict)
    _done: set[str] = field(default_factory=set)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def authorize(self, amount: Money, token: str, *, idempotency_key: str) -> Authorization:
        async with self._lock:
            if idempotency_key in self._answers:
                return self._answers[idempotency_key]
            if token == "tok_chargeDeclined":
                answer = Authorization(PaymentOutcome.DECLINED, None, "Your card was declined.")
            elif token == "tok_processingError":
                # Transient: not remembered, so a retry with the same key tries again.
                return Authorization(
                    PaymentOutcome.FAILED, None, "The payment could not be processed. Try again."
                )
            elif not token.startswith("tok_") or amount.amount_minor <= 0:
                answer = Authorization(PaymentOutcome.DECLINED, None, "This payment token is not valid.")
            else:
                reference = REFERENCE_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
                self._charges[reference] = _Charge(amount)
                answer = Authorization(PaymentOutcome.AUTHORIZED, reference, "Authorized.")
            self._answers[idempotency_key] = answer
            return answer

    def _charge(self, reference: str) -> _Charge:
        charge = self._charges.get(reference)
        if charge is None and reference.startswith(REFERENCE_PREFIX):
            # Made by this gateway in a process since restarted (the seeded demo orders): its amount
            # is forgotten, so it is taken as captured and the caller's own ledger bounds refunds.
            charge = self._charges[reference] = _Charge(
                Money(UNKNOWN_AMOUNT, "XXX"), ChargeState.CAPTURED, UNKNOWN_AMOUNT
            )
        if charge is None:
            raise PaymentError(f"No payment {reference!r} at the test gateway.")
        return charge

    async def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> None:
        async with self._lock:
            if idempotency_key in self._done:
                return
            charge = self._charge(reference)
            if charge.state is not ChargeState.AUTHORIZED or amount.amount_minor > charge.amount.amount_minor:
                raise PaymentError("Only an authorized payment can be captured, up to its amount.")
            charge.state, charge.captured = ChargeState.CAPTURED, amount.amount_minor
            self._done.add(idempotency_key)

    async def void(self, reference: str, *, idempotency_key: str) -> None:
        async with self._lock:
            if idempotency_key in self._done:
                return
            charge = self._charge(reference)
            if charge.state is not ChargeState.AUTHORIZED:
                raise PaymentError("Only an authorized, uncaptured payment can be voided.")
            charge.state = ChargeState.VOIDED
            self._done.add(idempotency_key)

    async def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> None:
        async with self._lock:
            if idempotency_key in self._done:
                return
            charge = self._charge(reference)
            if charge.state is not ChargeState.CAPTURED:
                raise PaymentError("Only a captured payment can be refunded.")
            if amount.amount_minor <= 0 or charge.refunded + amount.amount_minor > charge.captured:
                raise PaymentError("A refund cannot exceed what was captured and not yet refunded.")
            charge.refunded += amount.amount_minor
            self._done.add(idempotency_key)

    def state_of(self, reference: str) -> tuple[ChargeState, int, int]:
        """(state, captured, refunded) of a charge, for tests and the demo."""
        charge = self._charge(reference)
        return charge.state, charge.captured, charge.refunded


KNOWN: dict[str, Callable[[], PaymentGateway]] = {"test": BuiltinTestGateway}


def payment_gateways(settings: Settings) -> dict[str, PaymentGateway]:
    """The gateways settings enable, built once for the app's lifetime."""
    unknown = [name for name in settings.enabled_payment_gateways if name not in KNOWN]
    if unknown:
        raise ValueError(f"Unknown payment gateways in PAYMENT_GATEWAYS: {unknown}")
    return {name: KNOWN[name]() for name in settings.enabled_payment_gateways}
