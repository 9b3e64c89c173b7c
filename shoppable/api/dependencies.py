"""What every REST handler is given: the app's services, a unit of work for the request, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.params import Dependency

from shoppable.api.auth import actor_for
from shoppable.domain.identity.actor import Actor
from shoppable.domain.uow import UnitOfWork
from shoppable.services import Services

RequestUnitOfWork = Annotated[UnitOfWork, Dependency(skip_validation=True)]
"""A protocol, so Litestar must not try to validate it as a value."""
AppServices = Annotated[Services, Dependency(skip_validation=True)]


async def provide_services(state: State) -> Services:
    services: Services = state.services
    return services


async def provide_uow(services: AppServices) -> AsyncIterator[UnitOfWork]:
    uow = services.database.unit_of_work()
    try:
        yield uow
    finally:
        await uow.close()


async def provide_actor(
    request: Request[Any, Any, Any], uow: RequestUnitOfWork, services: AppServices
) -> Actor:
    """The authenticated caller; anonymous calls are refused with 401."""
    actor = await actor_for(request, uow, services.settings.secret_key)
    if not actor.is_authenticated:
        raise NotAuthorizedException(
            "Send `Authorization: Bearer <API key or token>`.", headers={"WWW-Authenticate": "Bearer"}
        )
    return actor


DEPENDENCIES = {
    "services": Provide(provide_services),
    "uow": Provide(provide_uow),
    "actor": Provide(provide_actor),
}
