"""The feed query."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from shoppable.domain.experiments.service import serve_feed
from shoppable.domain.feed import model, visibility
from shoppable.domain.feed.service import FeedRequest
from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from shoppable.graphql.catalog.types import Product
from shoppable.graphql.content.types import Post, load_cards, prefetch_posts
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import PageInfo
from shoppable.graphql.core.ids import CursorCodec, bad_user_input
from shoppable.graphql.feed.types import FEED_CURSOR, FeedConnection, FeedEdge, FeedMode, FeedReason


def _cursor(info: Info, after: str | None) -> tuple[str | None, int]:
    if after is None:
        return None, 0
    key = info.context.cursors.decode(FEED_CURSOR, after)
    if not (isinstance(key, list) and len(key) == 2 and isinstance(key[0], str) and isinstance(key[1], int)):
        raise bad_user_input("Invalid cursor.")
    return key[0], max(0, key[1])


def _page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_user_input(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return size


@strawberry.type
class FeedQueries:
    @strawberry.field(
        description="Posts and product cards to scroll. FOR_YOU is personalized only for signed-in viewers "
        "who turned personalization on; otherwise it equals NON_PERSONALIZED."
    )
    async def feed(
        self,
        info: Info,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        mode: FeedMode = model.FeedMode.FOR_YOU,  # type: ignore[valid-type]  # a strawberry.enum() value
    ) -> FeedConnection:
        request = FeedRequest(model.FeedMode(mode), _page_size(first), *_cursor(info, after))
        context = info.context
        # Under the viewer's variant when a feed experiment runs (the exposure is logged there).
        page = await serve_feed(context.uow, context.actor, request, context.services)
        return await _hydrate(info, page)


@dataclass(frozen=True)
class _Position:
    """A place in a feed session that can be written as a cursor (what PageInfo needs of an edge)."""

    session_id: str
    position: int
    codec: CursorCodec

    def cursor(self) -> str:
        return self.codec.encode(FEED_CURSOR, [self.session_id, self.position + 1])


async def _hydrate(info: Info, page: model.FeedPage) -> FeedConnection:
    """Turn served ids into objects in a fixed number of statements; drop what became invisible since."""
    post_ids = [i.item_id for i in page.items if i.kind is model.ItemKind.POST]
    product_ids = [i.item_id for i in page.items if i.kind is model.ItemKind.PRODUCT]
    loaded_posts, loaded_products = await load_cards(info, post_ids, product_ids, "edges", "node")
    posts = visibility.showable_posts(loaded_posts)
    products = visibility.showable_products(info.context.actor, loaded_products)
    # Every card's relations for the whole page at once, so the cards' fields answer synchronously.
    await prefetch_posts(info, list(posts.values()), "edges", "node")
    edges = []
    for item in page.items:
        if item.kind is model.ItemKind.POST and item.item_id in posts:
            node: Post | Product = Post.of(posts[item.item_id])
        elif item.kind is model.ItemKind.PRODUCT and item.item_id in products:
            node = Product.of(products[item.item_id])
        else:
            continue  # no longer visible
        edges.append(
            FeedEdge(
                node=node,
                source=item.source,
                reasons=[FeedReason(code=r.code.value, text=r.text) for r in item.reasons],
                session_id=page.session.id,
                position=item.position,
                codec=info.context.cursors,
            )
        )
    return _connection(info, page, edges)


def _connection(info: Info, page: model.FeedPage, edges: list[FeedEdge]) -> FeedConnection:
    # The end cursor follows the last *served* item, even one dropped as no longer visible, so the
    # next page starts after it.
    last = page.items[-1] if page.items else None
    end = _Position(page.session.id, last.position, info.context.cursors) if last else None
    return FeedConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.items[0].position > 0 if page.items else False,
            first_edge=edges[0] if edges else None,
            last_edge=end,
        ),
    )
