"""Mounts the Strawberry schema at /graphql with a per-request context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ClientException
from strawberry.litestar import make_graphql_controller

from shoppable.api.auth import actor_for
from shoppable.graphql.context import Context, Loaders
from shoppable.graphql.core.ids import CursorCodec
from shoppable.graphql.schema import build_schema
from shoppable.services import Services

_ENCODER = msgspec.json.Encoder()

_DECODER = msgspec.json.Decoder()


def _context_getter(services: Services) -> Callable[[Request[Any, Any, Any]], AsyncIterator[Context]]:
    cursors = CursorCodec(services.settings.secret_key)

    async def graphql_context(request: Request[Any, Any, Any]) -> AsyncIterator[Context]:
        uow = services.database.unit_of_work()
        try:
            actor = await actor_for(request, uow, services.settings.secret_key)
            yield Context(
                uow=uow, actor=actor, services=services, cursors=cursors, loaders=Loaders(uow, services.clock)
            )
        finally:
            await uow.close()

    return graphql_context


def graphql_controller(services: Services) -> type:
    base: Any = make_graphql_controller(
        build_schema(services.settings),
        path="/graphql",
        graphql_ide="graphiql" if services.settings.debug else None,
        context_getter=_context_getter(services),
    )

    class GraphQLController(base):  # a class made by a factory, typed Any
        include_in_schema = False  # GraphQL has its own schema; the OpenAPI document is the REST contract

        def decode_json(self, data: str | bytes) -> object:
            """Only a JSON object (or a list, for batches) of Unicode text is a request; anything else
            is a 400.

            msgspec, not the standard library: it reads JSON as RFC 8259 has it, so it refuses what
            `json.loads` lets through to fail later as a 500 or "Unexpected error." (a lone surrogate,
            escaped or as its bytes, which no database, hash or encoder takes; NaN; 1e400), and a body
            nested too deeply raises RecursionError here rather than deep in the server."""
            try:
                value = _DECODER.decode(data)
            except (msgspec.MsgspecError, UnicodeError, RecursionError):
                raise ClientException("Unable to parse request body as JSON") from None
            if not isinstance(value, dict | list):
                raise ClientException("The request body must be a JSON object.")
            return value

        def encode_json(self, data: object) -> bytes:
            """msgspec rather than the standard library: a 20-card feed page is a few hundred fields."""
            return _ENCODER.encode(data)

    return GraphQLController
