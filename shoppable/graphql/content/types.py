"""GraphQL types of creators, posts, media and uploads: thin views over domain records."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import datetime
from typing import Any

import strawberry

from shoppable.domain.catalog.records import Product as ProductRecord
from shoppable.domain.content import disclosure as disclosure_rules
from shoppable.domain.content import media as media_rules
from shoppable.domain.content import records
from shoppable.domain.content import service as content
from shoppable.domain.content.ports import MediaStore, UploadTarget
from shoppable.domain.identity import policy
from shoppable.domain.identity.records import Merchant as MerchantRecord
from shoppable.graphql.catalog.types import Image, Merchant, Product, Sku
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.dataloader import MISSING, now_or_later, then
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.lookahead import selected_below
from shoppable.graphql.core.node import Node, node_type

PostStatus = strawberry.enum(records.PostStatus, name="PostStatus")
MediaKind = strawberry.enum(media_rules.MediaKind, name="MediaKind")
DisclosureKind = strawberry.enum(records.DisclosureKind, name="DisclosureKind")
ModerationReason = strawberry.enum(records.ModerationReason, name="ModerationReason")
ModerationAction = strawberry.enum(records.ModerationAction, name="ModerationAction")


def media_store(info: Info) -> MediaStore:
    return info.context.services.media


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

    def _served(self, renditions: list[records.MediaRendition]) -> tuple[str, str]:
        """(key, content type) to show: the largest rendition of an image, else the verified original.

        An original photo keeps its EXIF metadata (GPS position included); renditions carry none, so
        they are what is served whenever there are any."""
        if renditions:
            return renditions[-1].key, renditions[-1].content_type
        return self.record.key, self.record.content_type

    @strawberry.field
    def url(self, info: Info) -> str:
        store = media_store(info)
        return now_or_later(
            info.context.loaders.content.renditions_by_media_id,
            self.record.id,
            lambda found: store.public_url(self._served(found)[0]),
        )

    @strawberry.field(description="Content type of `url`: image/webp for processed images.")
    def content_type(self, info: Info) -> str:
        return now_or_later(
            info.context.loaders.content.renditions_by_media_id,
            self.record.id,
            lambda found: self._served(found)[1],
        )

    @strawberry.field(description="WebP versions of an image, narrowest first (320, 640, 1080 px).")
    def renditions(self, info: Info) -> list[MediaRendition]:
        store = media_store(info)
        return now_or_later(
            info.context.loaders.content.renditions_by_media_id,
            self.record.id,
            lambda found: [
                MediaRendition(
                    url=store.public_url(r.key), width=r.width, height=r.height, content_type=r.content_type
                )
                for r in found
            ],
        )


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
    def avatar(self, info: Info) -> Image | None:
        if self.record.avatar_media_id is None:
            return None
        loaders = info.context.loaders.content
        store = media_store(info)

        def with_media(media: records.Media | None) -> Any:
            if media is None:
                return None
            # The smallest rendition is plenty for an avatar.
            return now_or_later(
                loaders.renditions_by_media_id,
                media.id,
                lambda found: Image(
                    url=store.public_url(found[0].key if found else media.key),
                    alt_text=self.record.display_name,
                ),
            )

        return now_or_later(loaders.media_by_id, self.record.avatar_media_id, with_media)

    @strawberry.field(description="Whether the signed-in viewer follows this creator (false when anonymous).")
    def viewer_follows(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return now_or_later(info.context.loaders.content.viewer_follows, (viewer, self.record.id), bool)

    @strawberry.field(description="Newest first; the creator also sees their drafts and removed posts.")
    async def posts(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Post]:
        request = page_request(info.context.cursors, "creatorPosts", first, after)
        page = await content.creator_posts(info.context.uow.content, info.context.actor, self.record, request)
        info.context.loaders.content.prime_posts(page.items)
        return connection(info.context.cursors, "creatorPosts", page, Post.of, had_cursor=after is not None)

    @strawberry.field(
        description="The creator's storefront: active products tagged in published posts, most recently tagged first."
    )
    async def products(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Product]:
        request = page_request(info.context.cursors, "storefront", first, after)
        page = await content.storefront(info.context.uow.content, self.record.id, request)
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
    def sku(self, info: Info) -> Sku | None:
        if self.sku_id is None:
            return None
        return now_or_later(
            info.context.loaders.catalog.sku_by_id,
            self.sku_id,
            lambda found: Sku.of(found) if found else None,
        )


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
    def creator(self, info: Info) -> Creator:
        return now_or_later(info.context.loaders.content.creator_by_id, self.record.creator_id, self._creator)

    def _creator(self, found: records.Creator | None) -> Creator:
        if found is None:  # posts.creator_id is a foreign key
            raise RuntimeError(f"post {self.record.id} has no creator")
        return Creator.of(found)

    @strawberry.field(description="Creators mentioned in the caption (@handle) who exist.")
    def mentions(self, info: Info) -> list[Creator]:
        loader = info.context.loaders.content.creator_by_handle
        found = [loader.peek(handle) for handle in self.record.mentions]
        if any(c is MISSING for c in found):
            return then(loader.load_many(list(self.record.mentions)), _existing_creators)
        return _existing_creators(found)

    @strawberry.field(description="The carousel, in order.")
    def media(self, info: Info) -> list[Media]:
        return now_or_later(
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

        return now_or_later(info.context.loaders.content.tags_by_post_id, self.record.id, with_tags)

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
            label = disclosure_rules.label(found.kind, partner.name)
            return Disclosure(kind=found.kind, label=label, partner=Merchant.of(partner))

        return now_or_later(info.context.loaders.catalog.merchant_by_id, found.partner_id, build)

    @strawberry.field(description="How many people saved the post; only its creator sees it.")
    def save_count(self, info: Info) -> int | None:
        def build(creator: records.Creator | None) -> int | None:
            if creator is None or not policy.can_see_post_insights(info.context.actor, creator.user_id):
                return None
            return self.record.save_count

        return now_or_later(info.context.loaders.content.creator_by_id, self.record.creator_id, build)

    @strawberry.field
    def viewer_has_liked(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return now_or_later(info.context.loaders.content.viewer_liked, (viewer, self.record.id), bool)

    @strawberry.field
    def viewer_has_saved(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return now_or_later(info.context.loaders.content.viewer_saved, (viewer, self.record.id), bool)

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


def _existing_creators(found: Sequence[records.Creator | None]) -> list[Creator]:
    return [Creator.of(c) for c in found if c is not None]


async def featured_in(info: Info, product_id: int, first: int | None, after: str | None) -> Connection[Post]:
    """`Product.featuredIn`: published posts tagging the product, newest first."""
    request = page_request(info.context.cursors, "featuredIn", first, after)
    page = await content.featured_in(info.context.uow.content, product_id, request)
    await prefetch_posts(info, page.items, "edges", "node")
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


async def prefetch_posts(info: Info, posts: Sequence[records.Post], *path: str) -> None:
    """Load, for a whole page at once, the relations the query selects on its posts (at `path`
    below the current field), so that every post's fields answer without a task of their own."""
    loaders, catalog = info.context.loaders.content, info.context.loaders.catalog
    loaders.prime_posts(posts)
    if not posts:
        return
    fields = selected_below(info, *path)
    ids = [p.id for p in posts]
    viewer = info.context.actor.user_id
    jobs: list[Awaitable[Any]] = []
    if fields & {"creator", "saveCount", "moderation"}:
        creator_ids = sorted({p.creator_id for p in posts})
        jobs.append(_prefetch_creators(info, creator_ids, selected_below(info, *path, "creator")))
    if "media" in fields:
        jobs.append(_prefetch_media(info, ids, selected_below(info, *path, "media")))
    if "productTags" in fields:
        jobs.append(_prefetch_tags(info, ids, *path))
    if "mentions" in fields:
        handles = sorted({handle for p in posts for handle in p.mentions})
        jobs.append(loaders.creator_by_handle.load_many(handles))
    if "disclosure" in fields:
        partners = sorted({p.disclosure.partner_id for p in posts if p.disclosure})
        jobs.append(catalog.merchant_by_id.load_many(partners))
    if "moderation" in fields:
        jobs.append(loaders.decision_by_post_id.load_many(ids))
    if viewer is not None and "viewerHasLiked" in fields:
        jobs.append(loaders.viewer_liked.load_many([(viewer, i) for i in ids]))
    if viewer is not None and "viewerHasSaved" in fields:
        jobs.append(loaders.viewer_saved.load_many([(viewer, i) for i in ids]))
    await asyncio.gather(*jobs)


async def _prefetch_creators(info: Info, creator_ids: list[int], fields: set[str]) -> None:
    loaders = info.context.loaders.content
    creators = [c for c in await loaders.creator_by_id.load_many(creator_ids) if c is not None]
    viewer = info.context.actor.user_id
    jobs: list[Awaitable[Any]] = []
    if viewer is not None and "viewerFollows" in fields:
        jobs.append(loaders.viewer_follows.load_many([(viewer, c.id) for c in creators]))
    avatars = sorted({c.avatar_media_id for c in creators if c.avatar_media_id is not None})
    if "avatar" in fields and avatars:
        jobs.append(_prefetch_media_by_id(info, avatars))
    await asyncio.gather(*jobs)


async def _prefetch_media_by_id(info: Info, media_ids: list[int]) -> None:
    loaders = info.context.loaders.content
    await loaders.media_by_id.load_many(media_ids)
    await loaders.renditions_by_media_id.load_many(media_ids)


async def _prefetch_media(info: Info, post_ids: list[int], fields: set[str]) -> None:
    loaders = info.context.loaders.content
    media = [m for found in await loaders.media_by_post_id.load_many(post_ids) for m in found]
    if fields & {"url", "contentType", "renditions"}:
        await loaders.renditions_by_media_id.load_many(sorted({m.id for m in media}))


async def _prefetch_tags(info: Info, post_ids: list[int], *path: str) -> None:
    catalog = info.context.loaders.catalog
    tags = [
        t for found in await info.context.loaders.content.tags_by_post_id.load_many(post_ids) for t in found
    ]
    products = await catalog.product_by_id.load_many(sorted({t.product_id for t in tags}))
    jobs: list[Awaitable[Any]] = [
        catalog.prefetch_for(
            [p for p in products if p is not None], selected_below(info, *path, "productTags", "product")
        )
    ]
    sku_ids = sorted({t.sku_id for t in tags if t.sku_id is not None})
    if sku_ids and "sku" in selected_below(info, *path, "productTags"):
        jobs.append(catalog.sku_by_id.load_many(sku_ids))
    await asyncio.gather(*jobs)
