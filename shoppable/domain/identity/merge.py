"""One customer across channels: what an anonymous device did joins the account it signs in to.

`join_device` runs at sign-up and at every log-in, in the same transaction, and is idempotent: each
step moves the device's rows to the account, so a second run finds nothing left to move, and a row
the account already has (the same client event id, the same hidden item) is kept once.

To add a step (the commerce domain's cart merge, an experiment bucket), append an async function
`(uow, user, device_id, now) -> int` to `DEVICE_MERGE_STEPS`; it runs inside the caller's write
transaction, after the user's consent is known, and must not commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from shoppable.domain.identity.records import User

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

MergeStep = Callable[["UnitOfWork", User, str, datetime], Awaitable[int]]


async def merge_events(uow: UnitOfWork, user: User, device_id: str, now: datetime) -> int:
    """Behavioural events join the account only with its analytics consent; without it they are
    deleted, since the device is now known to be this person's."""
    return await uow.trust.claim_device_events(device_id, user.id, keep=user.consent.analytics)


async def merge_hides(uow: UnitOfWork, user: User, device_id: str, now: datetime) -> int:
    return await uow.trust.claim_device_hides(device_id, user.id)


async def merge_feed_sessions(uow: UnitOfWork, user: User, device_id: str, now: datetime) -> int:
    """The device's feed session goes on as the account's: the next page continues, not restarts."""
    return await uow.trust.claim_device_feed_sessions(device_id, user.id)


async def merge_cart(uow: UnitOfWork, user: User, device_id: str, now: datetime) -> int:
    """The device's cart lines join the account's cart (quantities added), and its orders the account."""
    from shoppable.domain.commerce.cart import merge_device_cart  # commerce builds on identity

    return await merge_device_cart(uow, device_id, user.id, now)


async def adopt_experiment_unit(uow: UnitOfWork, user: User, device_id: str, now: datetime) -> int:
    """The account keeps the experiment variants its first device had (assignment follows the device)."""
    from shoppable.domain.experiments.service import adopt_device  # experiments build on identity

    return await adopt_device(uow, user, device_id)


DEVICE_MERGE_STEPS: dict[str, MergeStep] = {
    "events": merge_events,
    "hides": merge_hides,
    "feedSessions": merge_feed_sessions,
    "cart": merge_cart,
    "experiments": adopt_experiment_unit,
}


async def join_device(uow: UnitOfWork, user: User, device_id: str | None, now: datetime) -> dict[str, int]:
    """Run every merge step for `device_id` (nothing without one) at the request's `now`; returns rows
    moved per step."""
    if not device_id:
        return {}
    return {name: await step(uow, user, device_id, now) for name, step in DEVICE_MERGE_STEPS.items()}
