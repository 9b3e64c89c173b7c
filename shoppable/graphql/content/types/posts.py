"""The GraphQL Post: caption, carousel, product tags, disclosure, engagement and moderation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from shoppable.domain.catalog.records import Product as ProductRecord
from shoppable.domain.content import disclosure as disclosure_rules
from shoppable.domain.content import records
from shoppable.domain.content.access import post_visible
from shoppable.domain.identity import policy
from shoppable.domain.identity.records import Merchant as MerchantRecord
from shoppable.graphql.catalog.types import Merchant, Product, Sku
from shoppable.graphql.content.types.creators import Creator, existing_creators
from shoppable.graphql.content.types.media import Media
from shoppable.graphql.content.types.moderation import PostModeration
from shoppable.graphql.context import Info
from shoppable.graphql.core.dataloader import MISSING, now_or_later, then
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type

if TYPE_CHECKING:
    from shoppable.graphql.commerce.types import PostInsights
    from shoppable.graphql.vision.types import VisualMatch

PostStatus = strawberry.enum(records.PostStatus, name="PostStatus")
DisclosureKind = strawberry.enum(records.DisclosureKind, name="DisclosureKind")
PartnershipStatus = strawberry.enum(
    records.PartnershipStatus,
    name="PartnershipStatus",
    description="Whether the merchant named as partner agreed (confirmPartnership, declinePartnership).",
)


@strawberry.type
class Disclosure:
    kind: DisclosureKind  # type: ignore[valid-type]  # strawberry enums are values
    label: str = strawberry.field(
        description='What shoppers are shown: "Paid partnership with Northwind" once Northwind confirmed, '
        'else "Paid partnership".'
    )
    partnership_status: PartnershipStatus  # type: ignore[valid-type]  # strawberry enums are values
    partner: Merchant | None = strawberry.field(
        description="The partner merchant, once it confirmed (its own people always see it)."
    )


@strawberry.type
class ProductTag:
    product: Product
    media_index: int
    x: float | None
    y: float | None
    timestamp_ms: int | None
    sku_id: strawberry.Private[int | None]

    @strawberry.field
    def sku(self, info: Info) -> Sku | None:
        if self.sku_id is None:
            return None
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.catalog.sku_by_id,
            self.sku_id,
            lambda found: Sku.of(found) if found else None,
        )


@strawberry.type
class Post(Node):
    caption: str
    hashtags: list[str]
    status: PostStatus  # type: ignore[valid-type]  # strawberry enums are values
    published_at: datetime | None
    created_at: datetime
    like_count: int
    record: strawberry.Private[records.Post]

    @classmethod
    def of(cls, post: records.Post) -> Post:
        return cls(
            id=strawberry.ID(encode_id("Post", post.id)),
            caption=post.caption,
            hashtags=list(post.hashtags),
            status=post.status,
            published_at=post.published_at,
            created_at=post.created_at,
            like_count=post.like_count,
            record=post,
        )

    @strawberry.field
    def creator(self, info: Info) -> Creator:
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.creator_by_id, self.record.creator_id, self._creator
        )

    def _creator(self, found: records.Creator | None) -> Creator:
        if found is None:  # posts.creator_id is a foreign key
            raise RuntimeError(f"post {self.record.id} has no creator")
        return Creator.of(found)

    @strawberry.field(description="Creators mentioned in the caption (@handle) who exist.")
    def mentions(self, info: Info) -> list[Creator]:
        loader = info.context.loaders.content.creator_by_handle
        found = [loader.peek(handle) for handle in self.record.mentions]
        if any(c is MISSING for c in found):
            return then(  # type: ignore[return-value]  # strawberry awaits an awaitable result
                loader.load_many(list(self.record.mentions)), existing_creators
            )
        return existing_creators(found)

    @strawberry.field(description="The carousel, in order.")
    def media(self, info: Info) -> list[Media]:
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.media_by_post_id,
            self.record.id,
            lambda found: [Media.of(m) for m in found],
        )

    @strawberry.field(description="Tags to products the viewer may see; an archived product's tag is hidden.")
    def product_tags(self, info: Info) -> list[ProductTag]:
        products = info.context.loaders.catalog.product_by_id

        def with_tags(tags: list[records.ProductTag]) -> Any:
            found = [products.peek(t.product_id) for t in tags]
            if any(p is MISSING for p in found):
                pending = products.load_many([t.product_id for t in tags])
                return then(pending, lambda loaded: self._visible_tags(info, tags, loaded))
            return self._visible_tags(info, tags, found)

        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.tags_by_post_id, self.record.id, with_tags
        )

    @staticmethod
    def _visible_tags(
        info: Info, tags: list[records.ProductTag], products: Sequence[ProductRecord | None]
    ) -> list[ProductTag]:
        actor = info.context.actor
        return [
            ProductTag(
                product=Product.of(product),
                media_index=tag.media_index,
                x=tag.x,
                y=tag.y,
                timestamp_ms=tag.timestamp_ms,
                sku_id=tag.sku_id,
            )
            for tag, product in zip(tags, products, strict=True)
            if product is not None and policy.can_see_product(actor, product.merchant_id, product.status)
        ]

    @strawberry.field
    def disclosure(self, info: Info) -> Disclosure | None:
        found = self.record.disclosure
        if found is None:
            return None

        def build(partner: MerchantRecord | None) -> Disclosure:
            if partner is None:  # posts.disclosure_partner_id is a foreign key
                raise RuntimeError(f"post {self.record.id} discloses a missing merchant")
            named = disclosure_rules.names_partner(found)
            shown = named or policy.can_answer_partnership(info.context.actor, partner.id)
            return Disclosure(
                kind=found.kind,
                label=disclosure_rules.label(found.kind, partner.name if named else None),
                partnership_status=found.status,
                partner=Merchant.of(partner) if shown else None,
            )

        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.catalog.merchant_by_id, found.partner_id, build
        )

    @strawberry.field(
        description="Impressions, clicks, adds to cart, orders, revenue and commission: the creator only."
    )
    def insights(
        self, info: Info
    ) -> Annotated[PostInsights, strawberry.lazy("shoppable.graphql.commerce.types")] | None:
        from shoppable.graphql.commerce.types import PostInsights

        def build(creator: records.Creator | None) -> Any:
            if creator is None or creator.user_id != info.context.actor.user_id:
                return None
            return then(
                info.context.loaders.commerce.insights_by_post_id.load(self.record.id), PostInsights.of
            )

        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.creator_by_id, self.record.creator_id, build
        )

    @strawberry.field(
        description="Catalog products that look like what is in the post's photos, to tag in a tap: "
        "for the post's own creator (empty for anyone else)."
    )
    async def suggested_tags(
        self, info: Info
    ) -> list[Annotated[VisualMatch, strawberry.lazy("shoppable.graphql.vision.types")]]:
        from shoppable.domain.vision.search import suggested_tags
        from shoppable.graphql.vision.types import hydrate_matches

        context = info.context
        creator = await context.loaders.content.creator_by_id.load(self.record.creator_id)
        if creator is None:
            return []
        found = await suggested_tags(
            context.uow, context.services, context.actor, self.record.id, creator.user_id
        )
        return await hydrate_matches(info, found)

    @strawberry.field(description="How many people saved the post; only its creator sees it.")
    def save_count(self, info: Info) -> int | None:
        def build(creator: records.Creator | None) -> int | None:
            if creator is None or not policy.can_see_post_insights(info.context.actor, creator.user_id):
                return None
            return self.record.save_count

        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.creator_by_id, self.record.creator_id, build
        )

    @strawberry.field
    def viewer_has_liked(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.viewer_liked, (viewer, self.record.id), bool
        )

    @strawberry.field
    def viewer_has_saved(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.viewer_saved, (viewer, self.record.id), bool
        )

    @strawberry.field(description="The latest moderation decision; only for the creator (and moderators).")
    async def moderation(self, info: Info) -> PostModeration | None:
        loaders = info.context.loaders.content
        creator, decision = await asyncio.gather(
            loaders.creator_by_id.load(self.record.creator_id),
            loaders.decision_by_post_id.load(self.record.id),
        )
        if (
            decision is None
            or creator is None
            or not policy.can_see_moderation(info.context.actor, creator.user_id)
        ):
            return None
        return PostModeration.of(decision)


async def visible_post(info: Info, post_id: int) -> Post | None:
    loaders = info.context.loaders.content
    post = await loaders.post_by_id.load(post_id)
    creator = await loaders.creator_by_id.load(post.creator_id) if post is not None else None
    if post is None or creator is None or not post_visible(info.context.actor, post, creator):
        return None
    return Post.of(post)


@node_type("Post")
async def _post_node(info: Info, pk: int) -> Post | None:
    return await visible_post(info, pk)
