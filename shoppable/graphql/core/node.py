"""The Node interface and `node`/`nodes` lookups that never reveal what the caller may not see."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from shoppable.domain.pagination import MAX_IDS_PER_LOOKUP
from shoppable.graphql.context import Info
from shoppable.graphql.core.ids import bad_user_input, parse_id


@strawberry.interface
class Node:
    id: strawberry.ID


# type name -> async (info, pk) -> visible GraphQL object or None
NodeResolver = Callable[[Info, int], Awaitable[Any]]
_resolvers: dict[str, NodeResolver] = {}


def node_type(type_name: str) -> Callable[[NodeResolver], NodeResolver]:
    """Register how to fetch one `type_name` by pk for `node(id:)`, applying visibility rules."""

    def register(fn: NodeResolver) -> NodeResolver:
        _resolvers[type_name] = fn
        return fn

    return register


async def resolve_node(info: Info, global_id: str) -> Any:
    type_name, pk = parse_id(global_id)
    resolver = _resolvers.get(type_name)
    return await resolver(info, pk) if resolver else None


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any object by global id; null when it does not exist or is not yours to see."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(
        description="Objects by global id, in order; null for each one not found or not visible."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_IDS_PER_LOOKUP:
            raise bad_user_input(f"At most {MAX_IDS_PER_LOOKUP} ids per call.")
        for global_id in ids:
            parse_id(global_id)  # one malformed id fails the call before any lookup
        # Lookups run concurrently so that each type's DataLoader batches them into one statement.
        return list(await asyncio.gather(*(resolve_node(info, i) for i in ids)))
