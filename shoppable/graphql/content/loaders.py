"""Content DataLoaders: one statement per relation per request, whatever the page size.

Loaders that answer for the viewer (liked, saved, follows) are keyed by (user id, object id), so a
cached answer can never be served to anyone else even if a loader outlived its request.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from shoppable.domain.content.records import (
    Creator,
    Media,
    MediaRendition,
    ModerationDecision,
    Post,
    PostReport,
    ProductTag,
)
from shoppable.domain.identity.records import Merchant
from shoppable.graphql.core.dataloader import MISSING, Loader

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

ViewerKey = tuple[int, int]
"""(viewer's user id, post or creator id)"""


class ContentLoaders:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.creator_by_id = Loader[int, Creator | None](self._creators)
        self.creator_by_user_id = Loader[int, Creator | None](self._creators_of_users)
        self.creator_by_handle = Loader[str, Creator | None](self._creators_by_handle)
        self.post_by_id = Loader[int, Post | None](self._posts)
        self.media_by_id = Loader[int, Media | None](self._media)
        self.media_by_post_id = Loader[int, list[Media]](self._media_of_posts)
        self.renditions_by_media_id = Loader[int, list[MediaRendition]](self._renditions)
        self.tags_by_post_id = Loader[int, list[ProductTag]](self._tags)
        self.decision_by_post_id = Loader[int, ModerationDecision | None](self._decisions)
        self.report_by_id = Loader[int, PostReport | None](self._reports)
        self.viewer_liked = Loader[ViewerKey, bool](self._liked)
        self.viewer_saved = Loader[ViewerKey, bool](self._saved)
        self.viewer_follows = Loader[ViewerKey, bool](self._follows)

    async def load_liked_and_follows(
        self, viewer: int, post_ids: Sequence[int], creator_ids: Sequence[int]
    ) -> None:
        """Load `viewer_liked` for the posts and `viewer_follows` for the creators in one statement
        (a page of posts shows both), for the keys neither loader has yet."""
        posts = sorted({i for i in post_ids if self.viewer_liked.peek((viewer, i)) is MISSING})
        creators = sorted({i for i in creator_ids if self.viewer_follows.peek((viewer, i)) is MISSING})
        if not posts or not creators:
            await asyncio.gather(
                self.viewer_liked.load_many([(viewer, i) for i in posts]),
                self.viewer_follows.load_many([(viewer, i) for i in creators]),
            )
            return
        liked, followed = await self.uow.content.liked_and_followed(viewer, posts, creators)
        self.viewer_liked.prime_many({(viewer, i): i in liked for i in posts})
        self.viewer_follows.prime_many({(viewer, i): i in followed for i in creators})

    async def load_post_cards(
        self,
        post_ids: Sequence[int],
        *,
        tags: bool = False,
        viewer: int | None = None,
        liked: bool = False,
        follows: bool = False,
        partners: Loader[int, Merchant | None] | None = None,
    ) -> list[Post | None]:
        """The posts, read for the ids `post_by_id` has not loaded yet in one statement together with
        their creators and, as asked, their tags, the viewer's likes of them and follows of their
        creators, and their disclosed partners (primed into `partners`), each primed into its own
        loader (the viewer's answers keyed by the viewer)."""
        unread = sorted({i for i in post_ids if self.post_by_id.peek(i) is MISSING})
        if unread:
            cards = await self.uow.content.post_cards(
                unread,
                with_tags=tags,
                viewer=viewer,
                with_liked=liked,
                with_follows=follows,
                with_partner=partners is not None,
            )
            read = {card.post.id: card for card in cards}
            self.post_by_id.prime_many({i: read[i].post if i in read else None for i in unread})
            for card in cards:
                self.creator_by_id.prime(card.creator.id, card.creator)
                if partners is not None and card.partner is not None:
                    partners.prime(card.partner.id, card.partner)
                if card.tags is not None:
                    self.tags_by_post_id.prime(card.post.id, card.tags)
                if viewer is not None and card.viewer_liked is not None:
                    self.viewer_liked.prime((viewer, card.post.id), card.viewer_liked)
                if viewer is not None and card.viewer_follows is not None:
                    self.viewer_follows.prime((viewer, card.creator.id), card.viewer_follows)
        return await self.post_by_id.load_many(list(post_ids))

    def prime_posts(self, posts: Sequence[Post]) -> None:
        for post in posts:
            self.post_by_id.prime(post.id, post)

    def prime_creators(self, creators: Sequence[Creator]) -> None:
        for creator in creators:
            self.creator_by_id.prime(creator.id, creator)

    async def _creators(self, ids: list[int]) -> list[Creator | None]:
        found = {c.id: c for c in await self.uow.content.get_creators(ids)}
        return [found.get(i) for i in ids]

    async def _creators_of_users(self, user_ids: list[int]) -> list[Creator | None]:
        found = {c.user_id: c for c in await self.uow.content.creators_of_users(user_ids)}
        for creator in found.values():
            self.creator_by_id.prime(creator.id, creator)
        return [found.get(i) for i in user_ids]

    async def _creators_by_handle(self, handles: list[str]) -> list[Creator | None]:
        found = {c.handle: c for c in await self.uow.content.creators_by_handles(handles)}
        for creator in found.values():
            self.creator_by_id.prime(creator.id, creator)
        return [found.get(h) for h in handles]

    async def _posts(self, ids: list[int]) -> list[Post | None]:
        """With their creators (every list of posts shows them), in the same statement."""
        found: dict[int, Post] = {}
        for post, creator in await self.uow.content.posts_with_creators(ids):
            found[post.id] = post
            self.creator_by_id.prime(creator.id, creator)
        return [found.get(i) for i in ids]

    async def _media(self, ids: list[int]) -> list[Media | None]:
        found = {m.id: m for m in await self.uow.content.get_media(ids)}
        return [found.get(i) for i in ids]

    async def _media_of_posts(self, post_ids: list[int]) -> list[list[Media]]:
        """With their renditions (what a photo's url is), in the same statement."""
        grouped: dict[int, list[Media]] = defaultdict(list)
        for post_id, media, renditions in await self.uow.content.media_of_posts_with_renditions(post_ids):
            grouped[post_id].append(media)
            self.media_by_id.prime(media.id, media)
            self.renditions_by_media_id.prime(media.id, renditions)
        return [grouped.get(i, []) for i in post_ids]

    async def _renditions(self, media_ids: list[int]) -> list[list[MediaRendition]]:
        grouped: dict[int, list[MediaRendition]] = defaultdict(list)
        for rendition in await self.uow.content.renditions_of(media_ids):
            grouped[rendition.media_id].append(rendition)
        return [grouped.get(i, []) for i in media_ids]

    async def _tags(self, post_ids: list[int]) -> list[list[ProductTag]]:
        grouped: dict[int, list[ProductTag]] = defaultdict(list)
        for tag in await self.uow.content.tags_of_posts(post_ids):
            grouped[tag.post_id].append(tag)
        return [grouped.get(i, []) for i in post_ids]

    async def _decisions(self, post_ids: list[int]) -> list[ModerationDecision | None]:
        found = {d.post_id: d for d in await self.uow.content.latest_decisions(post_ids)}
        return [found.get(i) for i in post_ids]

    async def _reports(self, ids: list[int]) -> list[PostReport | None]:
        found = {r.id: r for r in await self.uow.content.get_reports(ids)}
        return [found.get(i) for i in ids]

    async def _liked(self, keys: list[ViewerKey]) -> list[bool]:
        return await _per_viewer(keys, self.uow.content.liked_post_ids)

    async def _saved(self, keys: list[ViewerKey]) -> list[bool]:
        return await _per_viewer(keys, self.uow.content.saved_post_ids)

    async def _follows(self, keys: list[ViewerKey]) -> list[bool]:
        return await _per_viewer(keys, self.uow.content.followed_creator_ids)


async def _per_viewer(
    keys: list[ViewerKey], lookup: Callable[[int, Sequence[int]], Awaitable[set[int]]]
) -> list[bool]:
    """One statement per viewer (a request has one), answering membership for each object id."""
    by_user: dict[int, list[int]] = defaultdict(list)
    for user_id, object_id in keys:
        by_user[user_id].append(object_id)
    found: set[ViewerKey] = set()
    for user_id, object_ids in by_user.items():
        found.update((user_id, i) for i in await lookup(user_id, object_ids))
    return [key in found for key in keys]
