"""Commerce queries: the caller's cart (an anonymous device has one too, while `viewer` is null)."""

from __future__ import annotations

import strawberry

from shoppable.domain.commerce import cart
from shoppable.domain.errors import DomainError
from shoppable.graphql.commerce.types import Cart
from shoppable.graphql.context import Info


async def caller_cart(info: Info) -> Cart | None:
    try:
        view = await cart.view_cart(info.context.uow, info.context.actor, info.context.services.clock())
    except DomainError:  # no user and no device: nobody to own a cart
        return None
    return Cart.of(view)


@strawberry.type
class CommerceQueries:
    @strawberry.field(description="The caller's cart: the signed-in user's, else the X-Device-Id device's.")
    async def cart(self, info: Info) -> Cart | None:
        return await caller_cart(info)
