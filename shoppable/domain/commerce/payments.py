"""The payment port, and the built-in `test` gateway that goes through real states.

Every call carries an idempotency key: a retried call (after a timeout, or by a second worker taking
over a crashed attempt) answers what the first one did and never charges twice. A real provider
adapter (Stripe PaymentIntents: authorize = confirm with manual capture, webhooks verified by their
signature) implements the same protocol and is selected by name in `PAYMENT_GATEWAYS`.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from shoppable.domain.catalog.money import Money


class PaymentOutcome(StrEnum):
    AUTHORIZED = "AUTHORIZED"
    DECLINED = "DECLINED"  # the card said no: the shopper must use another
    FAILED = "FAILED"  # the provider could not answer: retrying may succeed


@dataclass(frozen=True)
class Authorization:
    outcome: PaymentOutcome
    reference: str | None  # the provider's id of the payment
    message: str


class PaymentError(Exception):
    """A capture, void or refund the provider refused (wrong state, amount above what is left)."""


class PaymentGateway(Protocol):
    name: str

    async def authorize(self, amount: Money, token: str, *, idempotency_key: str) -> Authorization: ...

    async def capture(self, reference: str, amount: Money, *, idempotency_key: str) -> None: ...

    async def void(self, reference: str, *, idempotency_key: str) -> None: ...

    async def refund(self, reference: str, amount: Money, *, idempotency_key: str) -> None: ...


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
                reference = "test_pay_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
                self._charges[reference] = _Charge(amount)
                answer = Authorization(PaymentOutcome.AUTHORIZED, reference, "Authorized.")
            self._answers[idempotency_key] = answer
            return answer

    def _charge(self, reference: str) -> _Charge:
        charge = self._charges.get(reference)
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
