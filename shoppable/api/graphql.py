"""Mounts the Strawberry schema at /graphql with a per-request context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from strawberry.litestar import make_graphql_controller

from shoppable.api.auth import actor_for
from shoppable.api.state import AppServices
from shoppable.graphql.context import Context, Loaders, Repositories
from shoppable.graphql.schema import build_schema


async def graphql_context(request: Request[Any, Any, Any], state: State) -> AsyncIterator[Context]:
    services: AppServices = state.services
    uow = services.database.unit_of_work()
    try:
        actor = await actor_for(request, uow, services.settings.secret_key)
        repos = Repositories(uow)
        yield Context(
            uow=uow,
            actor=actor,
            settings=services.settings,
            cursors=services.cursors,
            repos=repos,
            loaders=Loaders(repos),
            services=services,
        )
    finally:
        await uow.close()


def graphql_controller(services: AppServices) -> type:
    return make_graphql_controller(
        build_schema(services.settings),
        path="/graphql",
        graphql_ide="graphiql" if services.settings.debug else None,
        context_getter=graphql_context,
    )
