"""Mounts the Strawberry schema at /graphql with a per-request context."""

from __future__ import annotations

import json
import re
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

# `\ud800`..`\udfff` in JSON text: the escape of a surrogate, paired or not.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: object) -> bool:
    """Whether a string (or key) of a decoded JSON value holds a surrogate that was not paired: not
    Unicode text, so no database, hash or response encoder can take it (`json.loads` accepts it)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


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
            is a 400."""
            raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
            try:
                # Strictly UTF-8: `json.loads` would read bytes with "surrogatepass".
                value = json.loads(raw.decode("utf-8"))
            except (
                ValueError,
                UnicodeDecodeError,
                RecursionError,
            ):  # RecursionError: `[[[…` nested 1,000 deep
                raise ClientException("Unable to parse request body as JSON") from None
            if not isinstance(value, dict | list):
                raise ClientException("The request body must be a JSON object.")
            if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(value):
                raise ClientException(
                    "The request body has a lone surrogate escape (such as \\ud800) in a string: not Unicode text."
                )
            return value

        def encode_json(self, data: object) -> bytes:
            """msgspec rather than the standard library: a 20-card feed page is a few hundred fields."""
            return _ENCODER.encode(data)

    return GraphQLController
