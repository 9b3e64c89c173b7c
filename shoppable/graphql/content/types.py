"""GraphQL types of creators, posts, media and uploads: thin views over domain records."""

from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

from shoppable.domain.content import disclosure as disclosure_rules
from shoppable.domain.content import media as media_rules
from shoppable.domain.content import records
from shoppable.domain.content import service as content
from shoppable.domain.content.ports import MediaStore, UploadTarget
from shoppable.domain.identity import policy
from shoppable.graphql.catalog.types import Image, Merchant, Product, Sku
from shoppable.graphql.connection import Connection, connection, page_request
from shoppable.graphql.context import Info
from shoppable.graphql.ids import encode_id
from shoppable.graphql.node import Node, node_type

PostStatus = strawberry.enum(records.PostStatus, name="PostStatus")
MediaKind = strawberry.enum(media_rules.MediaKind, name="MediaKind")
DisclosureKind = strawberry.enum(records.DisclosureKind, name="DisclosureKind")
ModerationReason = strawberry.enum(records.ModerationReason, name="ModerationReason")
ModerationAction = strawberry.enum(records.ModerationAction, name="ModerationAction")


def media_store(info: Info) -> MediaStore:
    store = info.context.services.media if info.context.services is not None else None
    if store is None:
        raise RuntimeError("no media store configured (AppServices.media)")
    return store


# -- media and uploads ---------------------------------------------------------------------------------


@strawberry.type
class MediaRendition:
    url: str
    width: int
    height: int
    content_type: str


@strawberry.type(description="A photo or video, verified and processed by completeUpload.")
class Media(Node):
    kind: MediaKind  # type: ignore[valid-type]
    width: int | None = strawberry.field(description="Displayed width of the original (after EXIF rotation).")
    height: int | None
    duration_ms: int | None
    record: strawberry.Private[records.Media]

    @classmethod
    def of(cls, media: records.Media) -> Media:
        return cls(
            id=strawberry.ID(encode_id("Media", media.id)),
            kind=media.kind,
            width=media.width,
            height=media.height,
            duration_ms=media.duration_ms,
            record=media,
        )

    async def _served(self, info: Info) -> tuple[str, str]:
        """(key, content type) to show: the largest rendition of an image, else the verified original.

        An original photo keeps its EXIF metadata (GPS position included); renditions carry none, so
        they are what is served whenever there are any."""
        found = await info.context.loaders.content.renditions_by_media_id.load(self.record.id)
        if found:
            largest = found[-1]
            return largest.key, largest.content_type
        return self.record.key, self.record.content_type

    @strawberry.field
    async def url(self, info: Info) -> str:
        key, _ = await self._served(info)
        return media_store(info).public_url(key)

    @strawberry.field(description="Content type of `url`: image/webp for processed images.")
    async def content_type(self, info: Info) -> str:
        _, content_type = await self._served(info)
        return content_type

    @strawberry.field(description="WebP versions of an image, narrowest first (320, 640, 1080 px).")
    async def renditions(self, info: Info) -> list[MediaRendition]:
        store = media_store(info)
        return [
            MediaRendition(
                url=store.public_url(r.key), width=r.width, height=r.height, content_type=r.content_type
            )
            for r in await info.context.loaders.content.renditions_by_media_id.load(self.record.id)
        ]


@strawberry.type
class UploadField:
    name: str
    value: str


@strawberry.type(description="Where and how to send the bytes of one file, until `expiresAt`.")
class Upload:
    id: strawberry.ID = strawberry.field(description="For completeUpload.")
    url: str
    method: str = strawberry.field(
        description="POST: multipart form, `fields` first, the file last as `file`. PUT: the raw bytes with `headers`."
    )
    headers: list[UploadField]
    fields: list[UploadField]
    expires_at: datetime

    @classmethod
    def of(cls, upload: records.Upload, target: UploadTarget) -> Upload:
        return cls(
            id=strawberry.ID(encode_id("Upload", upload.id)),
            url=target.url,
            method=target.method,
            headers=[UploadField(name=k, value=v) for k, v in target.headers.items()],
            fields=[UploadField(name=k, value=v) for k, v in target.fields.items()],
            expires_at=target.expires_at,
        )


# -- creators --------------------------------------------------------------------------------------


@strawberry.type
class Creator(Node):
    handle: str
    display_name: str
    bio: str
    follower_count: int
    record: strawberry.Private[records.Creator]

    @classmethod
    def of(cls, creator: records.Creator) -> Creator:
        return cls(
            id=strawberry.ID(encode_id("Creator", creator.id)),
            handle=creator.handle,
            display_name=creator.display_name,
            bio=creator.bio,
            follower_count=creator.follower_count,
            record=creator,
        )

    @strawberry.field
    async def avatar(self, info: Info) -> Image | None:
        if self.record.avatar_media_id is None:
            return None
        loaders = info.context.loaders.content
        media = await loaders.media_by_id.load(self.record.avatar_media_id)
        if media is None:
            return None
        found = await loaders.renditions_by_media_id.load(media.id)
        key = found[0].key if found else media.key  # the smallest rendition is plenty for an avatar
        return Image(url=media_store(info).public_url(key), alt_text=self.record.display_name)

    @strawberry.field(description="Whether the signed-in viewer follows this creator (false when anonymous).")
    async def viewer_follows(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return await info.context.loaders.content.viewer_follows.load((viewer, self.record.id))

    @strawberry.field(description="Newest first; the creator also sees their drafts and removed posts.")
    async def posts(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Post]:
        request = page_request(info.context.cursors, "creatorPosts", first, after)
        page = await content.creator_posts(
            info.context.repos.content, info.context.actor, self.record, request
        )
        info.context.loaders.content.prime_posts(page.items)
        return connection(info.context.cursors, "creatorPosts", page, Post.of, had_cursor=after is not None)

    @strawberry.field(
        description="The creator's storefront: active products tagged in published posts, most recently tagged first."
    )
    async def products(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Product]:
        request = page_request(info.context.cursors, "storefront", first, after)
        page = await content.storefront(info.context.repos.content, self.record.id, request)
        for product in page.items:
            info.context.loaders.catalog.product_by_id.prime(product.id, product)
        return connection(info.context.cursors, "storefront", page, Product.of, had_cursor=after is not None)


# -- posts -------------------------------------------------------------------------------------------


@strawberry.type
class Disclosure:
    kind: DisclosureKind  # type: ignore[valid-type]
    label: str = strawberry.field(
        description='What shoppers are shown, e.g. "Paid partnership with Northwind".'
    )
    partner: Merchant


@strawberry.type
class ProductTag:
    product: Product
    media_index: int
    x: float | None
    y: float | None
    timestamp_ms: int | None
    sku_id: strawberry.Private[int | None]

    @strawberry.field
    async def sku(self, info: Info) -> Sku | None:
        if self.sku_id is None:
            return None
        found = await info.context.loaders.catalog.sku_by_id.load(self.sku_id)
        return Sku.of(found) if found is not None else None


@strawberry.type(description="The moderation decision on a post: the statement of reasons (EU DSA art. 17).")
class PostModeration:
    action: ModerationAction  # type: ignore[valid-type]
    reason: ModerationReason | None  # type: ignore[valid-type]
    statement: str
    decided_at: datetime


@strawberry.type
class Post(Node):
    caption: str
    hashtags: list[str]
    status: PostStatus  # type: ignore[valid-type]
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
    async def creator(self, info: Info) -> Creator:
        found = await info.context.loaders.content.creator_by_id.load(self.record.creator_id)
        if found is None:  # posts.creator_id is a foreign key
            raise RuntimeError(f"post {self.record.id} has no creator")
        return Creator.of(found)

    @strawberry.field(description="Creators mentioned in the caption (@handle) who exist.")
    async def mentions(self, info: Info) -> list[Creator]:
        found = await info.context.loaders.content.creator_by_handle.load_many(list(self.record.mentions))
        return [Creator.of(c) for c in found if c is not None]

    @strawberry.field(description="The carousel, in order.")
    async def media(self, info: Info) -> list[Media]:
        return [Media.of(m) for m in await info.context.loaders.content.media_by_post_id.load(self.record.id)]

    @strawberry.field(description="Tags to products the viewer may see; an archived product's tag is hidden.")
    async def product_tags(self, info: Info) -> list[ProductTag]:
        tags = await info.context.loaders.content.tags_by_post_id.load(self.record.id)
        products = await info.context.loaders.catalog.product_by_id.load_many([t.product_id for t in tags])
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
    async def disclosure(self, info: Info) -> Disclosure | None:
        found = self.record.disclosure
        if found is None:
            return None
        partner = await info.context.loaders.catalog.merchant_by_id.load(found.partner_id)
        if partner is None:  # posts.disclosure_partner_id is a foreign key
            raise RuntimeError(f"post {self.record.id} discloses a missing merchant")
        return Disclosure(
            kind=found.kind,
            label=disclosure_rules.label(found.kind, partner.name),
            partner=Merchant.of(partner),
        )

    @strawberry.field(description="How many people saved the post; only its creator sees it.")
    async def save_count(self, info: Info) -> int | None:
        creator = await info.context.loaders.content.creator_by_id.load(self.record.creator_id)
        if creator is None or not policy.can_see_post_insights(info.context.actor, creator.user_id):
            return None
        return self.record.save_count

    @strawberry.field
    async def viewer_has_liked(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return await info.context.loaders.content.viewer_liked.load((viewer, self.record.id))

    @strawberry.field
    async def viewer_has_saved(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return await info.context.loaders.content.viewer_saved.load((viewer, self.record.id))

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
        return PostModeration(
            action=decision.action,
            reason=decision.reason,
            statement=decision.statement,
            decided_at=decision.decided_at,
        )


@strawberry.type
class PostReport(Node):
    reason: ModerationReason  # type: ignore[valid-type]
    details: str
    created_at: datetime

    @classmethod
    def of(cls, report: records.PostReport) -> PostReport:
        return cls(
            id=strawberry.ID(encode_id("PostReport", report.id)),
            reason=report.reason,
            details=report.details,
            created_at=report.created_at,
        )


async def featured_in(info: Info, product_id: int, first: int | None, after: str | None) -> Connection[Post]:
    """`Product.featuredIn`: published posts tagging the product, newest first."""
    request = page_request(info.context.cursors, "featuredIn", first, after)
    page = await content.featured_in(info.context.repos.content, product_id, request)
    info.context.loaders.content.prime_posts(page.items)
    return connection(info.context.cursors, "featuredIn", page, Post.of, had_cursor=after is not None)


async def visible_post(info: Info, post_id: int) -> Post | None:
    loaders = info.context.loaders.content
    post = await loaders.post_by_id.load(post_id)
    creator = await loaders.creator_by_id.load(post.creator_id) if post is not None else None
    if post is None or creator is None or not content.post_visible(info.context.actor, post, creator):
        return None
    return Post.of(post)


@node_type("Post")
async def _post_node(info: Info, pk: int) -> Post | None:
    return await visible_post(info, pk)


@node_type("Creator")
async def _creator_node(info: Info, pk: int) -> Creator | None:
    found = await info.context.loaders.content.creator_by_id.load(pk)
    return Creator.of(found) if found else None


@node_type("Media")
async def _media_node(info: Info, pk: int) -> Media | None:
    found = await info.context.loaders.content.media_by_id.load(pk)
    if found is None or not policy.can_see_media(info.context.actor, found.owner_id):
        return None
    return Media.of(found)


@node_type("PostReport")
async def _report_node(info: Info, pk: int) -> PostReport | None:
    found = await info.context.loaders.content.report_by_id.load(pk)
    if found is None or not policy.can_see_report(info.context.actor, found.user_id):
        return None
    return PostReport.of(found)
