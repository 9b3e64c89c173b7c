"""GraphQL types of identity: the viewer, users and consent."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shoppable.domain.commerce.orders import buyer_orders
from shoppable.domain.content import creators, engagement
from shoppable.domain.identity import policy
from shoppable.domain.identity.consent import Consent as ConsentRecord
from shoppable.domain.identity.records import User as UserRecord
from shoppable.graphql.catalog.types import Merchant
from shoppable.graphql.commerce.queries import caller_cart
from shoppable.graphql.commerce.types import Cart, Order
from shoppable.graphql.content.types import Creator, Post, prefetch_posts
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type


@strawberry.type
class Consent:
    personalization: bool
    analytics: bool
    marketing: bool
    policy_version: str
    updated_at: datetime | None

    @classmethod
    def of(cls, consent: ConsentRecord) -> Consent:
        return cls(
            personalization=consent.personalization,
            analytics=consent.analytics,
            marketing=consent.marketing,
            policy_version=consent.policy_version,
            updated_at=consent.updated_at,
        )


@strawberry.type(
    description="An account, seen by its owner (and admins) only; creators are public as `Creator`."
)
class User(Node):
    display_name: str
    is_admin: bool

    @classmethod
    def of(cls, user: UserRecord) -> User:
        return cls(
            id=strawberry.ID(encode_id("User", user.id)),
            display_name=user.display_name,
            is_admin=user.is_admin,
        )


@strawberry.type
class Viewer:
    """The signed-in caller's own view: only ever built for the caller themself."""

    user: User
    email: str
    consent: Consent
    record: strawberry.Private[UserRecord]

    @strawberry.field
    async def merchants(self, info: Info) -> list[Merchant]:
        ids = sorted(info.context.actor.merchant_ids)
        found = await info.context.loaders.catalog.merchant_by_id.load_many(ids)
        return [Merchant.of(m) for m in found if m is not None]

    @strawberry.field(description="The viewer's creator profile, when they became a creator.")
    async def creator(self, info: Info) -> Creator | None:
        found = await info.context.loaders.content.creator_by_user_id.load(self.record.id)
        return Creator.of(found) if found else None

    @strawberry.field(description="Creators the viewer follows, most recently followed first.")
    async def following(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Creator]:
        request = page_request(info.context.cursors, "following", first, after)
        page = await creators.list_following(info.context.uow, info.context.actor, request)
        info.context.loaders.content.prime_creators(page.items)
        return connection(info.context.cursors, "following", page, Creator.of, had_cursor=after is not None)

    @strawberry.field(description="The viewer's cart (an anonymous device's cart is the `cart` query).")
    async def cart(self, info: Info) -> Cart:
        found = await caller_cart(info)
        assert found is not None  # a viewer is signed in, so there is an owner
        return found

    @strawberry.field(description="The viewer's orders, newest first.")
    async def orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Order]:
        request = page_request(info.context.cursors, "orders", first, after)
        page = await buyer_orders(info.context.uow, info.context.actor, request)
        return connection(info.context.cursors, "orders", page, Order.of, had_cursor=after is not None)

    @strawberry.field(description="Published posts the viewer saved, most recently saved first.")
    async def saved(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Post]:
        request = page_request(info.context.cursors, "saved", first, after)
        page = await engagement.saved_posts(info.context.uow, info.context.actor, request)
        await prefetch_posts(info, page.items, "edges", "node")
        return connection(info.context.cursors, "saved", page, Post.of, had_cursor=after is not None)


@node_type("User")
async def _user_node(info: Info, pk: int) -> User | None:
    # Creators are the public people (the `Creator` type); a user account is its owner's business.
    if not policy.can_see_user(info.context.actor, pk):
        return None
    user = await info.context.uow.identity.get_user(pk)
    return User.of(user) if user else None
