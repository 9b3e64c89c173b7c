"""Writing, publishing and deleting posts."""

from __future__ import annotations

import strawberry

from shoppable.domain.content import partnerships, posts
from shoppable.domain.content import records as content_records
from shoppable.domain.content.tags import TagDraft
from shoppable.domain.errors import Path
from shoppable.graphql.content.types import DisclosureKind, Post
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.core.ids import decode_input_id


@strawberry.input
class ProductTagInput:
    product_id: strawberry.ID
    media_index: int
    sku_id: strawberry.ID | None = None
    x: float | None = strawberry.field(default=None, description="0..1 from the left; required on images.")
    y: float | None = strawberry.field(default=None, description="0..1 from the top; required on images.")
    timestamp_ms: int | None = strawberry.field(
        default=None, description="Videos only: when to show the tag."
    )

    def to_domain(self, path: Path) -> TagDraft:
        return TagDraft(
            product_id=decode_input_id(self.product_id, "Product", (*path, "productId")),
            media_index=self.media_index,
            sku_id=decode_input_id(self.sku_id, "Sku", (*path, "skuId")) if self.sku_id is not None else None,
            x=self.x,
            y=self.y,
            timestamp_ms=self.timestamp_ms,
        )


@strawberry.input
class DisclosureInput:
    kind: DisclosureKind  # type: ignore[valid-type]  # strawberry enums are values
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The partner merchant.")

    def to_domain(self) -> posts.DisclosureDraft:
        partner = (
            decode_input_id(self.partner_id, "Merchant", ("disclosure", "partnerId"))
            if self.partner_id is not None
            else None
        )
        return posts.DisclosureDraft(content_records.DisclosureKind(self.kind), partner)


def _media_ids(ids: list[strawberry.ID]) -> tuple[int, ...]:
    return tuple(decode_input_id(media_id, "Media", ("mediaIds", i)) for i, media_id in enumerate(ids))


def _tags(tags: list[ProductTagInput] | None) -> tuple[TagDraft, ...]:
    return tuple(tag.to_domain(("productTags", i)) for i, tag in enumerate(tags or ()))


def decode_post_id(post_id: strawberry.ID) -> int:
    return decode_input_id(post_id, "Post", ("postId",))


@strawberry.input
class CreatePostInput:
    media_ids: list[strawberry.ID]
    caption: str | None = None
    product_tags: list[ProductTagInput] | None = None
    disclosure: DisclosureInput | None = None

    def to_domain(self) -> posts.PostDraft:
        return posts.PostDraft(
            caption=self.caption,
            media_ids=_media_ids(self.media_ids),
            tags=_tags(self.product_tags),
            disclosure=self.disclosure.to_domain() if self.disclosure is not None else None,
        )


@strawberry.input(description="Omitted fields stay as they are; `productTags: null` removes every tag.")
class UpdatePostInput:
    post_id: strawberry.ID
    caption: str | None = strawberry.UNSET
    media_ids: list[strawberry.ID] | None = strawberry.UNSET
    product_tags: list[ProductTagInput] | None = strawberry.UNSET
    disclosure: DisclosureInput | None = strawberry.UNSET

    def post_pk(self) -> int:
        return decode_post_id(self.post_id)

    def to_domain(self) -> posts.PostDraft:
        """Omitted parts are None in the draft, so the post keeps them; `mediaIds: null` keeps the media too."""
        given_disclosure = self.disclosure is not strawberry.UNSET
        return posts.PostDraft(
            caption=None if self.caption is strawberry.UNSET else (self.caption or ""),
            media_ids=_media_ids(self.media_ids) if isinstance(self.media_ids, list) else None,
            tags=None if self.product_tags is strawberry.UNSET else _tags(self.product_tags),
            disclosure=self.disclosure.to_domain() if given_disclosure and self.disclosure else None,
            disclosure_given=given_disclosure,
        )


@strawberry.input
class PostIdInput:
    post_id: strawberry.ID

    def post_pk(self) -> int:
        return decode_post_id(self.post_id)


@strawberry.type
class PostPayload:
    post: Post | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, post: content_records.Post) -> PostPayload:
        return cls(post=Post.of(post))


@strawberry.type
class DeletePostPayload:
    deleted_post_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostMutations:
    @mutation(description="Write a draft post: 1-10 media, product tags, disclosure.")
    async def create_post(self, info: Info, input: CreatePostInput) -> PostPayload:
        post = await posts.create_post(info.context.uow, info.context.actor, input.to_domain())
        return PostPayload.of(post)

    @mutation()
    async def update_post(self, info: Info, input: UpdatePostInput) -> PostPayload:
        context = info.context
        post = await posts.update_post(context.uow, context.actor, input.post_pk(), input.to_domain())
        return PostPayload.of(post)

    @mutation()
    async def publish_post(self, info: Info, input: PostIdInput) -> PostPayload:
        post = await posts.publish_post(info.context.uow, info.context.actor, input.post_pk())
        return PostPayload.of(post)

    @mutation(
        description="For the partner merchant's people: agree to be named in a published post's "
        'disclosure ("Paid partnership with <merchant>").'
    )
    async def confirm_partnership(self, info: Info, input: PostIdInput) -> PostPayload:
        post = await partnerships.answer_partnership(
            info.context.uow, info.context.actor, input.post_pk(), True
        )
        return PostPayload.of(post)

    @mutation(
        description="For the partner merchant's people: refuse to be named; the post keeps an unnamed "
        'disclosure ("Paid partnership").'
    )
    async def decline_partnership(self, info: Info, input: PostIdInput) -> PostPayload:
        post = await partnerships.answer_partnership(
            info.context.uow, info.context.actor, input.post_pk(), False
        )
        return PostPayload.of(post)

    @mutation(description="Delete a post for good (for everyone, the creator included).")
    async def delete_post(self, info: Info, input: PostIdInput) -> DeletePostPayload:
        await posts.delete_post(info.context.uow, info.context.actor, input.post_pk())
        return DeletePostPayload(deleted_post_id=input.post_id)
