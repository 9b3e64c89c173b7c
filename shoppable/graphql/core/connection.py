"""One keyset Relay connection helper for every list a client scrolls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, InvalidPageRequest, Page, PageRequest
from shoppable.graphql.core.ids import CursorCodec, bad_user_input

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    first_edge: strawberry.Private[Any]
    last_edge: strawberry.Private[Any]

    @strawberry.field
    def start_cursor(self) -> str | None:
        return self.first_edge.cursor() if self.first_edge else None

    @strawberry.field
    def end_cursor(self) -> str | None:
        return self.last_edge.cursor() if self.last_edge else None


@strawberry.type
class Edge(Generic[NodeT]):
    node: NodeT
    key: strawberry.Private[tuple[Any, ...]]
    kind: strawberry.Private[str]
    codec: strawberry.Private[CursorCodec]

    @strawberry.field
    def cursor(self) -> str:
        """Signed only when asked for: most clients read just `pageInfo.endCursor`."""
        return self.codec.encode(self.kind, list(self.key))


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
        Edge(node=to_node(item), key=key, kind=kind, codec=codec)
        for item, key in zip(page.items, page.keys, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=had_cursor,
            first_edge=edges[0] if edges else None,
            last_edge=edges[-1] if edges else None,
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
