"""Creator, upload, post, engagement and moderation mutations."""

from __future__ import annotations

import strawberry

from shoppable.domain.content import moderation, service
from shoppable.domain.content import records as content_records
from shoppable.domain.content.tags import TagDraft
from shoppable.domain.errors import DomainError
from shoppable.graphql.content.types import (
    Creator,
    DisclosureKind,
    Media,
    ModerationReason,
    Post,
    PostReport,
    Upload,
    media_store,
)
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, user_errors
from shoppable.graphql.core.ids import decode_id


@strawberry.input
class BecomeCreatorInput:
    handle: str
    display_name: str
    bio: str | None = None
    avatar_media_id: strawberry.ID | None = None


@strawberry.input
class FollowInput:
    creator_id: strawberry.ID


@strawberry.input
class CreateUploadInput:
    filename: str
    content_type: str
    byte_size: int


@strawberry.input
class CompleteUploadInput:
    upload_id: strawberry.ID


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


@strawberry.input
class DisclosureInput:
    kind: DisclosureKind  # type: ignore[valid-type]
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="The partner merchant.")


@strawberry.input
class CreatePostInput:
    media_ids: list[strawberry.ID]
    caption: str | None = None
    product_tags: list[ProductTagInput] | None = None
    disclosure: DisclosureInput | None = None


@strawberry.input(description="Omitted fields stay as they are; `productTags: null` removes every tag.")
class UpdatePostInput:
    post_id: strawberry.ID
    caption: str | None = strawberry.UNSET
    media_ids: list[strawberry.ID] | None = strawberry.UNSET
    product_tags: list[ProductTagInput] | None = strawberry.UNSET
    disclosure: DisclosureInput | None = strawberry.UNSET


@strawberry.input
class PostIdInput:
    post_id: strawberry.ID


@strawberry.input
class ReportPostInput:
    post_id: strawberry.ID
    reason: ModerationReason  # type: ignore[valid-type]
    details: str | None = None


@strawberry.input
class RemovePostInput:
    post_id: strawberry.ID
    reason: ModerationReason  # type: ignore[valid-type]
    statement: str = strawberry.field(description="The statement of reasons shown to the creator.")


@strawberry.input
class RestorePostInput:
    post_id: strawberry.ID
    statement: str


@strawberry.type
class CreatorPayload:
    creator: Creator | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UploadPayload:
    upload: Upload | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MediaPayload:
    media: Media | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostPayload:
    post: Post | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePostPayload:
    deleted_post_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportPostPayload:
    report: PostReport | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _tags(tags: list[ProductTagInput] | None) -> tuple[TagDraft, ...]:
    return tuple(
        TagDraft(
            product_id=decode_id(t.product_id, "Product") or 0,
            media_index=t.media_index,
            sku_id=(decode_id(t.sku_id, "Sku") or 0) if t.sku_id is not None else None,
            x=t.x,
            y=t.y,
            timestamp_ms=t.timestamp_ms,
        )
        for t in tags or ()
    )


def _disclosure(value: DisclosureInput | None) -> service.DisclosureDraft | None:
    if value is None:
        return None
    partner = (decode_id(value.partner_id, "Merchant") or 0) if value.partner_id is not None else None
    return service.DisclosureDraft(content_records.DisclosureKind(value.kind), partner)


def _media_ids(ids: list[strawberry.ID]) -> tuple[int, ...]:
    return tuple(decode_id(i, "Media") or 0 for i in ids)


def _post_id(value: strawberry.ID) -> int:
    return decode_id(value, "Post") or 0


@strawberry.type
class ContentMutations:
    @strawberry.mutation(description="Turn the signed-in user into a creator with a unique handle.")
    async def become_creator(self, info: Info, input: BecomeCreatorInput) -> CreatorPayload:
        avatar = (decode_id(input.avatar_media_id, "Media") or 0) if input.avatar_media_id else None
        try:
            creator = await service.become_creator(
                info.context.uow,
                info.context.uow.content,
                info.context.actor,
                input.handle,
                input.display_name,
                input.bio,
                avatar,
            )
        except DomainError as exc:
            return CreatorPayload(user_errors=user_errors(exc.errors))
        return CreatorPayload(creator=Creator.of(creator))

    @strawberry.mutation(description="Follow a creator; following twice is following once.")
    async def follow(self, info: Info, input: FollowInput) -> CreatorPayload:
        return await _follow(info, input, following=True)

    @strawberry.mutation
    async def unfollow(self, info: Info, input: FollowInput) -> CreatorPayload:
        return await _follow(info, input, following=False)

    @strawberry.mutation(
        description="Ask where to upload one photo or video; then send it and call completeUpload."
    )
    async def create_upload(self, info: Info, input: CreateUploadInput) -> UploadPayload:
        try:
            created = await service.create_upload(
                info.context.uow,
                info.context.uow.content,
                media_store(info),
                info.context.services.media_limits,
                info.context.actor,
                input.filename,
                input.content_type,
                input.byte_size,
            )
        except DomainError as exc:
            return UploadPayload(user_errors=user_errors(exc.errors))
        return UploadPayload(upload=Upload.of(created.upload, created.target))

    @strawberry.mutation(description="Verify an uploaded file and turn it into media for posts.")
    async def complete_upload(self, info: Info, input: CompleteUploadInput) -> MediaPayload:
        try:
            media = await service.complete_upload(
                info.context.uow,
                info.context.uow.content,
                media_store(info),
                info.context.services.images,
                info.context.services.media_limits,
                info.context.actor,
                decode_id(input.upload_id, "Upload") or 0,
            )
        except DomainError as exc:
            return MediaPayload(user_errors=user_errors(exc.errors))
        return MediaPayload(media=Media.of(media))

    @strawberry.mutation(description="Write a draft post: 1-10 media, product tags, disclosure.")
    async def create_post(self, info: Info, input: CreatePostInput) -> PostPayload:
        draft = service.PostDraft(
            caption=input.caption,
            media_ids=_media_ids(input.media_ids),
            tags=_tags(input.product_tags),
            disclosure=_disclosure(input.disclosure),
        )
        try:
            post = await service.create_post(
                info.context.uow,
                info.context.uow.content,
                info.context.uow.catalog,
                info.context.uow.identity,
                info.context.actor,
                draft,
            )
        except DomainError as exc:
            return PostPayload(user_errors=user_errors(exc.errors))
        return PostPayload(post=Post.of(post))

    @strawberry.mutation
    async def update_post(self, info: Info, input: UpdatePostInput) -> PostPayload:
        draft = service.PostDraft(
            caption=None if input.caption is strawberry.UNSET else (input.caption or ""),
            media_ids=_media_ids(input.media_ids) if isinstance(input.media_ids, list) else None,
            tags=None if input.product_tags is strawberry.UNSET else _tags(input.product_tags),
            disclosure=None if input.disclosure is strawberry.UNSET else _disclosure(input.disclosure),
            disclosure_given=input.disclosure is not strawberry.UNSET,
        )
        try:
            post = await service.update_post(
                info.context.uow,
                info.context.uow.content,
                info.context.uow.catalog,
                info.context.uow.identity,
                info.context.actor,
                _post_id(input.post_id),
                draft,
            )
        except DomainError as exc:
            return PostPayload(user_errors=user_errors(exc.errors))
        return PostPayload(post=Post.of(post))

    @strawberry.mutation
    async def publish_post(self, info: Info, input: PostIdInput) -> PostPayload:
        try:
            post = await service.publish_post(
                info.context.uow,
                info.context.uow.content,
                info.context.uow.catalog,
                info.context.uow.identity,
                info.context.actor,
                _post_id(input.post_id),
            )
        except DomainError as exc:
            return PostPayload(user_errors=user_errors(exc.errors))
        return PostPayload(post=Post.of(post))

    @strawberry.mutation(description="Delete a post for good (for everyone, the creator included).")
    async def delete_post(self, info: Info, input: PostIdInput) -> DeletePostPayload:
        try:
            await service.delete_post(
                info.context.uow, info.context.uow.content, info.context.actor, _post_id(input.post_id)
            )
        except DomainError as exc:
            return DeletePostPayload(user_errors=user_errors(exc.errors))
        return DeletePostPayload(deleted_post_id=input.post_id)

    @strawberry.mutation
    async def like_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, service.set_like, on=True)

    @strawberry.mutation
    async def unlike_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, service.set_like, on=False)

    @strawberry.mutation
    async def save_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, service.set_save, on=True)

    @strawberry.mutation
    async def unsave_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, service.set_save, on=False)

    @strawberry.mutation(description="Report a published post to the moderators (once per post).")
    async def report_post(self, info: Info, input: ReportPostInput) -> ReportPostPayload:
        try:
            report = await moderation.report_post(
                info.context.uow,
                info.context.uow.content,
                info.context.actor,
                _post_id(input.post_id),
                content_records.ModerationReason(input.reason),
                input.details,
            )
        except DomainError as exc:
            return ReportPostPayload(user_errors=user_errors(exc.errors))
        return ReportPostPayload(report=PostReport.of(report))

    @strawberry.mutation(
        description="Moderators: take a post down, with a statement of reasons for its creator."
    )
    async def remove_post(self, info: Info, input: RemovePostInput) -> PostPayload:
        try:
            post, _ = await moderation.remove_post(
                info.context.uow,
                info.context.uow.content,
                info.context.actor,
                _post_id(input.post_id),
                content_records.ModerationReason(input.reason),
                input.statement,
            )
        except DomainError as exc:
            return PostPayload(user_errors=user_errors(exc.errors))
        return PostPayload(post=Post.of(post))

    @strawberry.mutation(description="Moderators: publish a removed post again (an upheld appeal).")
    async def restore_post(self, info: Info, input: RestorePostInput) -> PostPayload:
        try:
            post, _ = await moderation.restore_post(
                info.context.uow,
                info.context.uow.content,
                info.context.actor,
                _post_id(input.post_id),
                input.statement,
            )
        except DomainError as exc:
            return PostPayload(user_errors=user_errors(exc.errors))
        return PostPayload(post=Post.of(post))


async def _follow(info: Info, input: FollowInput, *, following: bool) -> CreatorPayload:
    operation = service.follow if following else service.unfollow
    try:
        creator = await operation(
            info.context.uow,
            info.context.uow.content,
            info.context.actor,
            decode_id(input.creator_id, "Creator") or 0,
        )
    except DomainError as exc:
        return CreatorPayload(user_errors=user_errors(exc.errors))
    return CreatorPayload(creator=Creator.of(creator))


async def _react(info: Info, input: PostIdInput, operation: service.Reaction, *, on: bool) -> PostPayload:
    try:
        post = await operation(
            info.context.uow, info.context.uow.content, info.context.actor, _post_id(input.post_id), on
        )
    except DomainError as exc:
        return PostPayload(user_errors=user_errors(exc.errors))
    return PostPayload(post=Post.of(post))
