"""Per-request GraphQL context: the unit of work, the caller, the app's services and the DataLoaders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property

from strawberry.litestar import BaseContext
from strawberry.types import Info as StrawberryInfo

from shoppable.domain.identity.actor import Actor
from shoppable.domain.uow import UnitOfWork
from shoppable.graphql.catalog.loaders import CatalogLoaders
from shoppable.graphql.commerce.loaders import CommerceLoaders
from shoppable.graphql.content.loaders import ContentLoaders
from shoppable.graphql.core.ids import CursorCodec
from shoppable.graphql.vision.loaders import VisionLoaders
from shoppable.services import Services
from shoppable.settings import Settings


class Loaders:
    """DataLoaders for one request (never shared: they cache what this caller may see)."""

    def __init__(self, uow: UnitOfWork, clock: Callable[[], datetime]) -> None:
        self.uow = uow
        self.clock = clock

    @cached_property
    def catalog(self) -> CatalogLoaders:
        return CatalogLoaders(self.uow)

    @cached_property
    def content(self) -> ContentLoaders:
        return ContentLoaders(self.uow)

    @cached_property
    def vision(self) -> VisionLoaders:
        return VisionLoaders(self.uow)

    @cached_property
    def commerce(self) -> CommerceLoaders:
        return CommerceLoaders(self.uow, self.clock())


class Context(BaseContext, kw_only=True):
    uow: UnitOfWork
    actor: Actor
    services: Services
    cursors: CursorCodec
    loaders: Loaders

    @property
    def settings(self) -> Settings:
        return self.services.settings


Info = StrawberryInfo[Context, None]
