"""Per-request GraphQL context: the unit of work, the caller, repositories and DataLoaders."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from strawberry.litestar import BaseContext
from strawberry.types import Info as StrawberryInfo

from shoppable.domain.identity.actor import Actor
from shoppable.graphql.ids import CursorCodec
from shoppable.settings import Settings
from shoppable.storage.catalog import SqlCatalogRepository
from shoppable.storage.content import SqlContentRepository
from shoppable.storage.db import UnitOfWork
from shoppable.storage.identity import SqlIdentityRepository


class Repositories:
    """Repositories sharing one unit of work, built on first use."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @cached_property
    def identity(self) -> SqlIdentityRepository:
        return SqlIdentityRepository(self.uow)

    @cached_property
    def catalog(self) -> SqlCatalogRepository:
        return SqlCatalogRepository(self.uow)

    @cached_property
    def content(self) -> SqlContentRepository:
        return SqlContentRepository(self.uow)


class Loaders:
    """DataLoaders for one request (never shared: they cache what this caller may see)."""

    def __init__(self, repos: Repositories) -> None:
        self.repos = repos

    @cached_property
    def catalog(self) -> Any:
        from shoppable.graphql.catalog.loaders import CatalogLoaders

        return CatalogLoaders(self.repos)

    @cached_property
    def content(self) -> Any:
        from shoppable.graphql.content.loaders import ContentLoaders

        return ContentLoaders(self.repos)


class Context(BaseContext, kw_only=True):
    uow: UnitOfWork
    actor: Actor
    settings: Settings
    cursors: CursorCodec
    repos: Repositories
    loaders: Loaders
    services: Any = None  # app-level services (media store, job queue), set by the app factory


Info = StrawberryInfo[Context, None]
