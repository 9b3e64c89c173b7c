"""Creators' commissions: earned on attributed lines, locked when returns close, reversed by refunds.

PENDING while the merchant's return window is open; LOCKED after it (a later refund no longer
touches it); PAID when a payout batch records it. A refund reverses a PENDING commission in
proportion to the units refunded (the reversed part becomes a REVERSED row, so totals per status add
up to what was ever earned); a cancellation reverses what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.catalog.money import Money
from shoppable.domain.commerce.records import Commission, CommissionStatus, Earnings, OrderLine
from shoppable.domain.pagination import Page, PageRequest

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

BPS = 10_000


def commission_minor(paid_minor: int, rate_bps: int) -> int:
    """Rate applied to the price paid, rounded half up to a whole minor unit."""
    return (paid_minor * rate_bps + BPS // 2) // BPS


@dataclass(frozen=True)
class NewCommission:
    creator_id: int
    order_id: int
    order_line_id: int
    post_id: int | None
    amount: Money
    rate_bps: int
    locks_at: datetime


def earn(line: OrderLine, order_id: int, return_window_days: int, now: datetime) -> NewCommission | None:
    if line.attributed_creator_id is None or line.commission_rate_bps is None:
        return None
    amount = commission_minor(line.price.amount_minor * line.quantity, line.commission_rate_bps)
    if amount <= 0:
        return None
    return NewCommission(
        creator_id=line.attributed_creator_id,
        order_id=order_id,
        order_line_id=line.id,
        post_id=line.attributed_post_id,
        amount=Money(amount, line.price.currency),
        rate_bps=line.commission_rate_bps,
        locks_at=now + timedelta(days=return_window_days),
    )


async def reverse_for_refund(uow: UnitOfWork, line: OrderLine, refunded_after: int) -> None:
    """Reverse the share of the line's PENDING commission that `refunded_after` units represent."""
    rows = await uow.commerce.commissions_of_lines([line.id])
    earned = next((c for c in rows if c.status is CommissionStatus.PENDING), None)
    if earned is None:
        return  # none, or already locked or paid: a late refund is the merchant's cost
    original = earned.amount.amount_minor + sum(
        c.amount.amount_minor for c in rows if c.status is CommissionStatus.REVERSED
    )
    reversed_before = original - earned.amount.amount_minor
    if refunded_after >= line.quantity:
        await uow.commerce.set_commission_status(earned.id, CommissionStatus.REVERSED)
        return
    reversed_after = (original * refunded_after + line.quantity // 2) // line.quantity
    delta = reversed_after - reversed_before
    if delta > 0:
        await uow.commerce.split_reversal(earned, delta)


async def reverse_pending(uow: UnitOfWork, order_id: int) -> None:
    await uow.commerce.reverse_pending_of_order(order_id)


async def lock_due(uow: UnitOfWork, now: datetime) -> int:
    await uow.begin_write()
    count = await uow.commerce.lock_due_commissions(now)
    await uow.commit()
    return count


async def pay_out(uow: UnitOfWork, minimum_minor: int, now: datetime) -> int:
    """Record a payout batch per creator and currency whose LOCKED total reaches `minimum_minor`."""
    await uow.begin_write()
    batches = await uow.commerce.pay_locked(minimum_minor, now)
    await uow.commit()
    return batches


async def earnings(uow: UnitOfWork, creator_id: int) -> Earnings:
    totals = await uow.commerce.commission_totals(creator_id)

    def of(status: CommissionStatus) -> tuple[Money, ...]:
        return tuple(sorted(totals.get(status, []), key=lambda m: m.currency))

    return Earnings(
        pending=of(CommissionStatus.PENDING),
        locked=of(CommissionStatus.LOCKED),
        paid=of(CommissionStatus.PAID),
        reversed=of(CommissionStatus.REVERSED),
    )


async def list_commissions(
    uow: UnitOfWork, creator_id: int, statuses: Sequence[CommissionStatus], page: PageRequest
) -> Page[Commission]:
    return await uow.commerce.list_commissions(creator_id, list(statuses), page)
