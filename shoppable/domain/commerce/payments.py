"""The payment port. Implementations: `storage/payment_gateways.py` (the built-in `test` gateway).

Every call carries an idempotency key: a retried call (after a timeout, or by a second worker taking
over a crashed attempt) answers what the first one did and never charges twice. A real provider
adapter (Stripe PaymentIntents: authorize = confirm with manual capture, webhooks verified by their
signature) implements the same protocol and is selected by name in `PAYMENT_GATEWAYS`.
"""

from __future__ import annotations

from dataclasses import dataclass
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
