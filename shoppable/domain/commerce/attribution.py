"""Which creator an order line is credited to.

A line added from a post's tag goes to that post's creator. Otherwise the last post (tagging the
line's product) that the shopper clicked within the merchant's attribution window wins. A creator
never earns from their own purchases: their own posts are left out, and someone else's may win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shoppable.domain.commerce.records import Checkout, CheckoutLine, Owner

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


@dataclass(frozen=True)
class Touch:
    """A post the shopper clicked, or added to cart from, tagging `product_id`."""

    post_id: int
    creator_id: int
    creator_user_id: int
    product_id: int
    at: datetime


@dataclass(frozen=True)
class Credit:
    creator_id: int
    post_id: int
    at: datetime


@dataclass(frozen=True)
class Touches:
    creators: dict[int, tuple[int, int]]  # post the lines were added from -> (creator, their user)
    clicks: list[Touch]  # clicks within the longest window, newest first


async def touches_for(uow: UnitOfWork, owner: Owner, checkout: Checkout, now: datetime) -> Touches:
    merchants = {
        m.id: m
        for m in await uow.identity.get_merchants(sorted({line.merchant_id for line in checkout.lines}))
    }
    longest = max((m.attribution_window_days for m in merchants.values()), default=0)
    product_ids = sorted({line.product_id for line in checkout.lines})
    post_ids = sorted({line.post_id for line in checkout.lines if line.post_id is not None})
    creators = await uow.commerce.live_post_creators(post_ids)
    clicks = await uow.commerce.recent_clicks(owner, product_ids, now - timedelta(days=longest))
    return Touches(creators, clicks)


def credit_for(
    line: CheckoutLine, touches: Touches, buyer_user_id: int | None, window: timedelta, now: datetime
) -> Credit | None:
    if line.post_id is not None:
        direct = touches.creators.get(line.post_id)
        if direct is not None and direct[1] != buyer_user_id:
            return Credit(direct[0], line.post_id, line.added_at)
    for click in touches.clicks:  # newest first: last click wins
        if (
            click.product_id == line.product_id
            and click.creator_user_id != buyer_user_id
            and click.at >= now - window
        ):
            return Credit(click.creator_id, click.post_id, click.at)
    return None
