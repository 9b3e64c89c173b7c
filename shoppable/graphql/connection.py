"""One keyset Relay connection helper for every list a client scrolls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, InvalidPageRequest, Page, PageRequest
from shoppable.graphql.ids import CursorCodec, bad_user_input

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def page_request(codec: CursorCodec, kind: str, first: int | None, after: str | None) -> PageRequest:
    """Validate `first` and `after` (BAD_USER_INPUT when wrong) into a keyset page request."""
    key = tuple(codec.decode(kind, after)) if after else None
    try:
        return PageRequest(first=DEFAULT_PAGE_SIZE if first is None else first, after=key)
    except InvalidPageRequest as exc:
        raise bad_user_input(str(exc)) from None


def connection(
    codec: CursorCodec, kind: str, page: Page[Any], to_node: Callable[[Any], Any], had_cursor: bool = False
) -> Any:
    edges = [
        Edge(cursor=codec.encode(kind, list(key)), node=to_node(item))
        for item, key in zip(page.items, page.keys, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=had_cursor,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def page_in_memory(
    items: Sequence[Any], request: PageRequest, key: Callable[[Any], tuple[Any, ...]]
) -> Page[Any]:
    """Keyset page over an already-loaded, already-ordered small list (e.g. the SKUs of one product)."""
    start = 0
    if request.after is not None:
        after = tuple(request.after)
        start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
    chunk = list(items[start : start + request.first + 1])
    return Page(
        items=chunk[: request.first],
        keys=[key(i) for i in chunk[: request.first]],
        has_next=len(chunk) > request.first,
    )
